"""The Python API for notebooks and scripts: one index, through the same engine as the CLI and the HTTP API."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from abstract_search.api.engine import Engine
from abstract_search.api.settings import Settings
from abstract_search.data.corpus import bundled_corpus_path, read_corpus
from abstract_search.data.paper import Paper
from abstract_search.data.readers.json_records import papers_from_dicts
from abstract_search.index.ingest import IngestReport, ingest
from abstract_search.search.filters import Filters
from abstract_search.search.hits import Results

PaperLike = Paper | Mapping  # a Paper, or a record with the readers' fields (id, title, abstract, authors...)


class Library:
    """An index of paper abstracts: open or build one, add papers, search, find related work, get, delete.

    Every answer is the engine's, so it is the same as `abstracts search` and `GET /search` give::

        from abstract_search import Library
        library = Library.build("my-index", "papers.jsonl")   # or Library.open("my-index")
        for hit in library.search("papers on LLM judges", k=5):
            print(hit.score, hit.paper.title)
        library.similar(["2401.00001", "2401.00002"], k=5)    # related to several papers at once
    """

    def __init__(self, index: str | Path | None = None, *, create: bool = False, **settings):
        """Open the index at `index` (default: ABSTRACTS_INDEX, else the per-user one); `create` makes a new one.

        Other keywords are Settings fields (model, device, read_only, reranker, ...), as ABSTRACTS_* are.
        """
        given = {"index": Path(index).expanduser() if index is not None else None, **settings}
        self._engine = Engine(Settings(**{k: v for k, v in given.items() if v is not None}), create=create)

    @classmethod
    def open(cls, index: str | Path | None = None, **settings) -> "Library":
        """Open an existing index (IndexNotFoundError names the fix when there is none)."""
        return cls(index, **settings)

    @classmethod
    def build(cls, index: str | Path | None = None, *sources: str | Path | Iterable[PaperLike],
              **settings) -> "Library":
        """Build or extend an index from corpus files or records; with no sources, the bundled 50 abstracts."""
        library = cls(index, create=True, **settings)
        for source in sources or (bundled_corpus_path(),):
            library.add(source)
        return library

    # --- writes -------------------------------------------------------------
    def add(self, papers: str | Path | Iterable[PaperLike], *, format: str | None = None,
            field_map: Mapping[str, str] | None = None, capture_year: int | None = None) -> IngestReport:
        """Add or update papers from a corpus file (any format the CLI reads) or from records.

        Each record is checked by the readers' rules; bad ones are skipped and listed in the report's
        `skipped` with the reason, and the rest go in. Only new or changed texts are embedded.
        """
        if isinstance(papers, (str, Path)):
            options = {"field_map": field_map, "capture_year": capture_year}
            records = read_corpus(Path(papers).expanduser(), format,
                                  **{k: v for k, v in options.items() if v is not None})
        else:
            records = papers_from_dicts([p.to_dict() if isinstance(p, Paper) else p for p in papers], "python")
        report = ingest(records, self._engine.add, chunk_size=self._engine.settings.commit_every)
        self._engine.save()
        return report

    def delete(self, ids: str | Sequence[str]) -> tuple[list[str], list[str]]:
        """Delete papers by id; return (deleted, not found)."""
        return self._engine.delete([ids] if isinstance(ids, str) else list(ids))

    # --- reads --------------------------------------------------------------
    def search(self, query: str, k: int = 10, *, offset: int = 0, year_min: int | None = None,
               year_max: int | None = None, author: str | None = None, category: str | None = None,
               author_exact: bool = False, mode: str | None = None, reranker: str | None = None) -> Results:
        """Return the papers that best answer a question in plain words."""
        if not query.strip():
            raise ValueError("the query is empty; ask a question, e.g. library.search('papers on LLM judges')")
        filters = Filters(year_min, year_max, author, category, author_exact)
        return self._engine.search(query, k, offset, filters, mode, reranker)

    def similar(self, paper: str | Sequence[str] | None = None, *, text: str | None = None, k: int = 10,
                offset: int = 0, year_min: int | None = None, year_max: int | None = None, author: str | None = None,
                category: str | None = None, author_exact: bool = False, mode: str | None = None,
                reranker: str | None = None, not_ids: Sequence[str] = ()) -> Results:
        """Return papers related to one paper id, to several (their common ground), or to a pasted text;
        `not_ids` are papers whose like is less wanted (left out too)."""
        if (paper is None) == (text is None):
            raise ValueError("give either paper ids or text=..., not both or neither")
        if text is not None and not text.strip():
            raise ValueError("text is empty; paste an abstract")
        filters = Filters(year_min, year_max, author, category, author_exact)
        if text is not None:
            return self._engine.similar_text(text, k, offset, filters, mode, reranker)
        return self._engine.similar([paper] if isinstance(paper, str) else list(paper), k, offset, filters, mode,
                                    reranker, list(not_ids))

    def get(self, paper_id: str) -> Paper | None:
        """Return one paper by id, or None."""
        return self._engine.get(paper_id)

    def stats(self) -> dict:
        """Return what the index holds and how it was built."""
        return self._engine.stats()

    def __len__(self) -> int:
        return self._engine.count()

    def __repr__(self) -> str:
        return f"Library({str(self._engine.index_dir)!r}, {len(self)} papers)"

    # --- lifetime -----------------------------------------------------------
    def close(self) -> None:
        """Save the derived files and release the index."""
        self._engine.close()

    def __enter__(self) -> "Library":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
