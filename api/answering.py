"""The reads every engine answers alike, over one index (a Searcher) or a cluster's shards (a Gather)."""

from __future__ import annotations

from collections.abc import Sequence

from abstract_search.data.ids import lookup_ids
from abstract_search.data.text import has_lone_surrogate
from abstract_search.search.filters import Filters
from abstract_search.search.hits import Results
from abstract_search.search.searcher import UnknownPaperError

NO_ID = ""  # what stored_id answers for an id no paper can have


class Answering:
    """Search, several searches and related work. An engine gives `settings`, `answers` (a Searcher or a
    Gather: the same calls) and `holds(paper_id)`.

    `mode` is dense, lexical, hybrid or hybrid+rerank (None: hybrid, or hybrid+rerank when a reranker is
    set); `reranker` is a cross-encoder name or path (None: the settings' reranker, if any).
    """

    def holds(self, paper_id: str) -> bool:
        """Return whether a paper is stored under exactly this id."""
        raise NotImplementedError

    def search(self, query: str, k: int = 10, offset: int = 0, filters: Filters | None = None,
               mode: str | None = None, reranker: str | None = None) -> Results:
        """Return the papers nearest to a query."""
        return self.answers.search(query, k, offset, filters, mode, self.reranker_for(reranker))

    def search_many(self, queries: list[str], k: int = 10, filters: Filters | None = None,
                    mode: str | None = None, reranker: str | None = None) -> list[Results]:
        """Answer several queries in one embedding batch."""
        return self.answers.search_many(queries, k, filters, mode, self.reranker_for(reranker))

    def similar(self, paper_id: str | Sequence[str], k: int = 10, offset: int = 0, filters: Filters | None = None,
                mode: str | None = None, reranker: str | None = None, not_ids: Sequence[str] = (),
                texts: Sequence[str] = ()) -> Results:
        """Return papers related to one paper in the index, or to a set taken together (papers and pasted
        texts), less what is like the `not_ids` papers."""
        typed = [paper_id] if isinstance(paper_id, str) else list(paper_id)
        liked, disliked = [self.stored_id(i) for i in typed], [self.stored_id(i) for i in not_ids]
        stored = dict(zip(liked + disliked, typed + list(not_ids)))
        try:
            return self.answers.similar(liked, k, offset, filters, mode, self.reranker_for(reranker), disliked,
                                        list(texts))
        except UnknownPaperError as exc:
            raise UnknownPaperError(stored.get(exc.args[0], exc.args[0])) from None  # the id as the user typed it

    def similar_text(self, text: str, k: int = 10, offset: int = 0, filters: Filters | None = None,
                     mode: str | None = None, reranker: str | None = None) -> Results:
        """Return papers related to a pasted text."""
        return self.answers.similar_text(text, k, offset, filters, mode, self.reranker_for(reranker))

    def stored_id(self, paper_id: str) -> str:
        """Return the id a paper is stored under for an id as typed (data/ids.py), or NO_ID for none possible."""
        if has_lone_surrogate(paper_id):
            return NO_ID  # no stored id holds one, and neither SQLite nor the shard hash can even be asked
        candidates = lookup_ids(paper_id)
        return next((c for c in candidates if self.holds(c)), candidates[-1])

    def reranker_for(self, reranker: str | None) -> str | None:
        """Return the cross-encoder asked for, else the one in the settings (ABSTRACTS_RERANKER), if any."""
        return reranker or self.settings.reranker
