"""Signals the hybrid fusion could add, each scored on the SciFact training claims in-sample and with 5-fold
cross-validation over its own constants, beside today's fusion (search/fusion.py) in the same run.

Run: .venv/bin/python -m bench.fusion_signals --index DIR [--max-pieces N --work W]
(DIR: a passages index of ../shared/data/scifact/corpus.jsonl, e.g. the one `abstracts eval --index DIR` builds;
--max-pieces N also embeds every abstract again as passages of at most N word pieces, title included, with the
index's embedder, cached in W: about 13 minutes on 2 cores for N=64, and scores dense and hybrid with them.)
Every figure is computed over the whole corpus exactly (5,183 papers: the dense and BM25 scores of every paper,
from the index's stored vectors and passages and an in-memory BM25 that scores as search/lexical.py does), and
the fused candidates are the union of the 100 best by each retriever, as search/hybrid.py pools them; its first
lines give today's hybrid, dense and BM25 figures, to be read beside `abstracts eval` (they agree to 4 places
on the index `abstracts eval` builds). The signals tried:
  - passage BM25: the best passage's BM25 (title and that passage) mixed into the lexical z-score;
  - BM25's k1 and b;
  - dense pseudo-relevance feedback: the query vector plus a share of the first pass's top papers' vectors;
  - a paper's passages pooled by a soft maximum (log-mean-exp) rather than the best one;
  - the smoothing's depth, neighbours and share;
  - logistic-regression fusion of the dense and BM25 z-scores, whole and best-passage cosines and the dense
    model's confidence (trained on four folds, ranking the fifth).
Cross-validated: the claims are cut into 5 folds (seed 0, as bench/fit_fusion.py); each fold is ranked with the
constants best on the other four, and the out-of-fold rankings are scored together. Only a signal's own constants
are chosen per fold: the fusion's other constants (search/fusion.py, TITLE_WEIGHT) were fitted on these same
claims, so every figure here leans in-sample; bench/fit_fusion.py's 0.7543 is today's cross-validated figure.
"""

from __future__ import annotations

import argparse
import itertools
import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sparse

from abstract_search.api.engine import Engine
from abstract_search.api.settings import Settings
from abstract_search.index.passages import Passages, split
from abstract_search.search.evaluation import judged, read_qrels, read_queries
from abstract_search.search.fusion import SMOOTH_DEPTH, SMOOTH_NEIGHBOURS, SMOOTH_SHARE, Fusion, combine, smooth
from abstract_search.search.hybrid import POOL
from abstract_search.search.lexical import K1, TITLE_WEIGHT, B
from abstract_search.search.metrics import ndcg_at
from abstract_search.search.text_terms import query_terms, terms_of, words
from bench.fit_fusion import FOLDS, folds_of, out_of_fold

SCIFACT = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "scifact"


def term_counts(text: str) -> Counter:
    """Return the FTS5 terms of a text with their counts, as the postings count them."""
    return Counter(term for found in terms_of(words(text)) for term in found)


@dataclass
class Corpus:
    """Every paper's stored vectors and passages, and BM25 term counts of its title and abstract and of each passage."""

    ids: np.ndarray
    whole: np.ndarray  # (papers, d)
    passages: np.ndarray  # (passages, d)
    starts: np.ndarray  # each paper's first passage row
    vocabulary: dict[str, int]
    title_tf: sparse.csr_matrix  # (papers, terms)
    abstract_tf: sparse.csr_matrix
    passage_tf: sparse.csr_matrix  # (passages, terms): title at TITLE_WEIGHT plus the passage's words

    def __post_init__(self):
        self.df = np.asarray(((self.title_tf + self.abstract_tf) > 0).sum(axis=0)).ravel()  # papers holding each term

    @classmethod
    def read(cls, engine: Engine) -> "Corpus":
        """Read every paper of the engine's store."""
        store = engine.store
        nums = [int(n) for n in store.all_nums()]
        papers, whole, blobs = store.papers_by_num(nums), store.vectors_of(nums), store.passages_of(nums)
        vocabulary: dict[str, int] = {}
        title_rows, abstract_rows, passage_rows, vectors, starts = [], [], [], [], []
        for n in nums:
            paper = papers[n]
            found = Passages.from_bytes(blobs[n], store.dimension())
            title, abstract = term_counts(paper.title), term_counts(paper.abstract)
            title_rows.append(title)
            abstract_rows.append(abstract)
            starts.append(starts[-1] + len(vectors[-1]) if vectors else 0)
            vectors.append(found.vectors)
            for start, end in found.spans:
                counts = Counter({t: TITLE_WEIGHT * c for t, c in title.items()})
                counts.update(term_counts(paper.abstract[start:end]))
                passage_rows.append(counts)
        for rows in (title_rows, abstract_rows):
            for counts in rows:
                for term in counts:
                    vocabulary.setdefault(term, len(vocabulary))

        def matrix(rows: list[Counter]) -> sparse.csr_matrix:
            r, c, v = zip(*((i, vocabulary[t], n) for i, counts in enumerate(rows) for t, n in counts.items()))
            return sparse.csr_matrix((np.array(v, float), (r, c)), shape=(len(rows), len(vocabulary)))

        return cls(np.array([papers[n].id for n in nums]), np.stack([whole[n] for n in nums]).astype(np.float32),
                   np.vstack(vectors).astype(np.float32), np.array(starts), vocabulary,
                   matrix(title_rows), matrix(abstract_rows), matrix(passage_rows))

    def bm25_weights(self, k1: float = K1, b: float = B) -> tuple[sparse.csc_matrix, sparse.csc_matrix]:
        """Return BM25's saturated term weights (before idf) of every paper and of every passage."""
        papers = TITLE_WEIGHT * self.title_tf + self.abstract_tf
        return _saturated(papers, self._lengths(), k1, b), _saturated(self.passage_tf, self._passage_lengths(), k1, b)

    def _lengths(self) -> np.ndarray:
        return np.asarray((self.title_tf + self.abstract_tf).sum(axis=1)).ravel()

    def _passage_lengths(self) -> np.ndarray:
        title = np.asarray(self.title_tf.sum(axis=1)).ravel()
        counts = np.diff(np.append(self.starts, len(self.passages)))
        return np.asarray(self.passage_tf.sum(axis=1)).ravel() - (TITLE_WEIGHT - 1) * np.repeat(title, counts)

    def idf(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Return the query's term columns and their count x idf, as FTS5 floors idf."""
        papers, df = len(self.ids), self.df
        found = [(self.vocabulary[t], c) for t, c in query_terms(text).items() if t in self.vocabulary]
        columns = np.array([j for j, _ in found], int)
        return columns, np.array([c * max(math.log((papers - df[j] + 0.5) / (df[j] + 0.5)), 1e-6) for j, c in found])

    def best_passage(self, scores: np.ndarray) -> np.ndarray:
        """Return each paper's best passage score."""
        return np.maximum.reduceat(scores, self.starts)


def _saturated(tf: sparse.csr_matrix, lengths: np.ndarray, k1: float, b: float) -> sparse.csc_matrix:
    coo = tf.tocoo()
    norm = k1 * (1 - b + b * lengths / lengths.mean())
    return sparse.csc_matrix((coo.data * (k1 + 1) / (coo.data + norm[coo.row]), (coo.row, coo.col)), shape=tf.shape)


@dataclass
class Claim:
    """One judged claim's exact scores over the corpus."""

    row: int  # its place among the claims
    text: str
    vector: np.ndarray
    relevant: dict[str, int]
    whole: np.ndarray  # cosine with each paper's whole vector
    passage: np.ndarray  # cosine with each paper's best passage
    bm25: np.ndarray  # BM25 of each paper
    passage_bm25: np.ndarray  # BM25 of each paper's best passage
    pool: np.ndarray  # the hybrid's candidates: the POOL best by dense and by BM25


def zscores(scores: np.ndarray) -> np.ndarray:
    """Return scores as standard deviations from their mean over the corpus."""
    return (scores - scores.mean()) / max(scores.std(), 1e-9)


def read_claims(engine: Engine, corpus: Corpus) -> list[Claim]:
    """Score every judged SciFact training claim against every paper."""
    qrels = read_qrels(SCIFACT / "qrels" / "train.tsv")
    texts = judged(read_queries(SCIFACT / "queries.jsonl"), qrels)
    vectors = engine.embedder.encode_queries(list(texts.values())).astype(np.float32)
    papers, passages = corpus.bm25_weights()
    claims = []
    for row, ((key, text), vector) in enumerate(zip(texts.items(), vectors)):
        columns, weights = corpus.idf(text)
        bm25 = papers[:, columns] @ weights if len(columns) else np.zeros(len(corpus.ids))
        passage_bm25 = corpus.best_passage(passages[:, columns] @ weights) if len(columns) else np.zeros(len(corpus.ids))
        whole, passage = corpus.whole @ vector, corpus.best_passage(corpus.passages @ vector)
        dense = np.argsort(-whole)[:POOL]  # FAISS finds the dense candidates by their whole vectors
        lexical = [i for i in np.argsort(-bm25)[:POOL] if bm25[i] > 0]
        pool = np.array(list(dict.fromkeys([*dense, *lexical])))
        claims.append(Claim(row, text, vector, qrels[key], whole, passage, bm25, passage_bm25, pool))
    return claims


Scorer = Callable[[Claim], np.ndarray]  # a claim -> fused scores of its pool, before smoothing


def fused(claim: Claim, dense: np.ndarray | None = None, lexical: np.ndarray | None = None,
          fusion: Fusion = Fusion()) -> np.ndarray:
    """Return today's fusion of the pool: dense (default: mean of whole and best passage) and lexical z-scores
    (default: BM25), weighted by the dense model's confidence."""
    dense = (claim.whole + claim.passage) / 2 if dense is None else dense
    lexical = zscores(claim.bm25) if lexical is None else lexical
    return combine(zscores(dense)[claim.pool], lexical[claim.pool], fusion.lexical_weight(float(dense[claim.pool].max())))


def scored(claims: list[Claim], corpus: Corpus, scorer: Scorer, smoothing=(SMOOTH_DEPTH, SMOOTH_NEIGHBOURS, SMOOTH_SHARE)
           ) -> np.ndarray:
    """Return each claim's nDCG@10 of the scorer's ranking, smoothed as search/fusion.py smooths."""
    found = np.zeros(len(claims))
    for row, claim in enumerate(claims):
        scores = smooth(scorer(claim), corpus.whole[claim.pool], *smoothing) if smoothing else scorer(claim)
        top = claim.pool[np.argsort(-scores, kind="stable")[:10]]
        found[row] = ndcg_at(list(corpus.ids[top]), claim.relevant, 10)
    return found


def report(name: str, options: dict[str, np.ndarray], today: float) -> None:
    """Print a signal's best in-sample option and its cross-validated figure beside today's."""
    table = np.stack(list(options.values()), axis=1)
    best = int(np.argmax(table.mean(axis=0)))
    print(f"{name:<34} best in-sample {table[:, best].mean():.4f} ({list(options)[best]}), "
          f"{FOLDS}-fold CV {out_of_fold(table)[0].mean():.4f}   [today {today:.4f}]", flush=True)


def feedback(corpus: Corpus, share: float, depth: int) -> Scorer:
    """Dense PRF: rescore the same pool with the query vector plus `share` of the mean of the first pass's `depth`
    best papers (FAISS is not asked again, and the lexical weight keeps the first query's confidence)."""
    def scorer(claim: Claim) -> np.ndarray:
        first = smooth(fused(claim), corpus.whole[claim.pool])
        query = claim.vector + share * corpus.whole[claim.pool[np.argsort(-first)[:depth]]].mean(axis=0)
        query /= np.linalg.norm(query)
        dense = (corpus.whole @ query + corpus.best_passage(corpus.passages @ query)) / 2
        return combine(zscores(dense)[claim.pool], zscores(claim.bm25)[claim.pool],
                       Fusion().lexical_weight(float(((claim.whole + claim.passage) / 2)[claim.pool].max())))
    return scorer


def soft_passages(corpus: Corpus, temperature: float) -> Scorer:
    """A paper's passages pooled by log-mean-exp at this temperature in place of the best one."""
    counts = np.diff(np.append(corpus.starts, len(corpus.passages)))
    owner = np.repeat(np.arange(len(corpus.ids)), counts)

    def scorer(claim: Claim) -> np.ndarray:
        scores = corpus.passages @ claim.vector
        ease = np.exp((scores - claim.passage[owner]) / temperature)
        pooled = claim.passage + temperature * np.log(np.add.reduceat(ease, corpus.starts) / counts)
        return fused(claim, dense=(claim.whole + pooled) / 2)
    return scorer


def learned(claims: list[Claim], corpus: Corpus) -> np.ndarray:
    """Return each claim's out-of-fold nDCG@10 under a logistic-regression fusion trained on the other folds."""
    from sklearn.linear_model import LogisticRegression

    def features(claim: Claim) -> np.ndarray:
        dense = (claim.whole + claim.passage) / 2
        best = float(dense[claim.pool].max())
        dz, lz = zscores(dense)[claim.pool], zscores(claim.bm25)[claim.pool]
        return np.stack([dz, lz, best * dz, best * lz, zscores(claim.whole)[claim.pool],
                         zscores(claim.passage)[claim.pool]], axis=1)

    rows = [features(c) for c in claims]
    labels = [np.array([c.relevant.get(corpus.ids[i], 0) > 0 for i in c.pool], float) for c in claims]
    folds = folds_of(len(claims))
    scores: list[np.ndarray] = [np.zeros(0)] * len(claims)
    for fold in range(FOLDS):
        train = np.flatnonzero(folds != fold)
        model = LogisticRegression(max_iter=2000, class_weight="balanced").fit(
            np.vstack([rows[i] for i in train]), np.concatenate([labels[i] for i in train]))
        for i in np.flatnonzero(folds == fold):
            scores[i] = model.decision_function(rows[i])
    return scored(claims, corpus, lambda claim: scores[claim.row])


def shorter_passages(engine: Engine, max_pieces: int, work: Path) -> tuple[np.ndarray, np.ndarray]:
    """Return every paper's passages of at most `max_pieces` word pieces embedded, and each paper's first row
    (cached in `work`)."""
    nums = [int(n) for n in engine.store.all_nums()]
    model = "".join(c if c.isalnum() else "-" for c in engine.embedder.name)[-60:]
    path = work / f"passages-{max_pieces}-{model}-{len(nums)}-{engine.store.get_meta('created_at') or 'store'}.npz"
    if not path.exists():
        papers = engine.store.papers_by_num(nums)
        splits = [split(papers[n].title, papers[n].abstract, engine.embedder.piece_counts, max_pieces)[0] for n in nums]
        vectors = engine.embedder.encode_passages([text for texts in splits for text in texts])
        work.mkdir(parents=True, exist_ok=True)
        np.savez(path, vectors=vectors, starts=np.cumsum([0] + [len(t) for t in splits[:-1]]))
    found = np.load(path)
    if len(found["starts"]) != len(nums):
        raise SystemExit(f"{path} holds another corpus's passages: remove it")
    return found["vectors"].astype(np.float32), found["starts"]


def main() -> None:
    """Print today's fusion and each signal's in-sample and cross-validated nDCG@10."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--max-pieces", type=int, default=None)
    parser.add_argument("--work", type=Path, default=Path("/tmp/bench-fusion-signals"))
    args = parser.parse_args()
    engine = Engine(Settings(index=args.index, read_only=True))
    if not engine.searcher.passages.active:
        raise SystemExit(f"{args.index} keeps no passage vectors: build it with passages (the default)")
    corpus = Corpus.read(engine)
    claims = read_claims(engine, corpus)
    today = scored(claims, corpus, fused).mean()
    print(f"{len(claims)} SciFact training claims, {len(corpus.ids)} papers, hybrid nDCG@10")
    print(f"{'today (search/fusion.py)':<34} {today:.4f} in-sample (its constants were fitted on these claims)")
    print(f"{'dense alone':<34} {scored(claims, corpus, lambda c: ((c.whole + c.passage) / 2)[c.pool], None).mean():.4f}; "
          f"BM25 alone {scored(claims, corpus, lambda c: c.bm25[c.pool], None).mean():.4f}; "
          f"best-passage BM25 alone {scored(claims, corpus, lambda c: c.passage_bm25[c.pool], None).mean():.4f}")
    report("passage BM25 share of lexical", {
        share: scored(claims, corpus, lambda c, s=share: fused(c, lexical=(1 - s) * zscores(c.bm25) + s * zscores(c.passage_bm25)))
        for share in (0.0, 0.1, 0.2, 0.3, 0.5, 1.0)}, today)
    options = {}
    for k1, b in ((0.9, 0.5), (0.9, 0.75), (0.9, 0.9), (K1, 0.5), (K1, B), (K1, 0.9), (1.6, 0.5), (1.6, 0.75), (1.6, 0.9)):
        papers, _ = corpus.bm25_weights(k1, b)
        bm25 = [papers[:, cols] @ weights if len(cols) else np.zeros(len(corpus.ids))
                for cols, weights in (corpus.idf(c.text) for c in claims)]
        options[f"k1 {k1}, b {b}"] = scored(claims, corpus, lambda c, s=bm25: fused(c, lexical=zscores(s[c.row])))
    report("BM25 k1 and b", options, today)
    report("dense pseudo-relevance feedback", {
        f"share {share}, top {depth}": scored(claims, corpus, feedback(corpus, share, depth))
        for share in (0.0, 0.25, 0.5) for depth in (3, 10)}, today)
    report("passages by log-mean-exp", {
        f"temperature {t}": scored(claims, corpus, soft_passages(corpus, t)) for t in (0.02, 0.05, 0.1)}, today)
    report("smoothing depth, neighbours, share", {
        f"{d}, {n}, {s}": scored(claims, corpus, fused, (d, n, s))
        for d in (10, 20, 40) for n in (2, 3, 5) for s in (0.1, 0.2, 0.3)}, today)
    print(f"{'logistic-regression fusion':<34} {FOLDS}-fold CV {learned(claims, corpus).mean():.4f}   [today {today:.4f}]")
    if args.max_pieces:
        vectors, starts = shorter_passages(engine, args.max_pieces, args.work)
        best = [np.maximum.reduceat(vectors @ c.vector, starts) for c in claims]
        print(f"passages of at most {args.max_pieces} word pieces: {len(vectors) / len(claims[0].whole):.2f} per paper "
              f"(stored: {len(corpus.passages) / len(corpus.ids):.2f})")
        for share in (0.5, 0.75, 1.0):
            def dense(c: Claim, s: float = share) -> np.ndarray:
                return (1 - s) * c.whole + s * best[c.row]
            alone = scored(claims, corpus, lambda c: dense(c)[c.pool], None).mean()
            print(f"  passage share {share}: dense {alone:.4f}, hybrid "
                  f"{scored(claims, corpus, lambda c: fused(c, dense=dense(c))).mean():.4f}   [today {today:.4f}]")
        options = {}
        for share, smoothing, pivot, slope in itertools.product((0.5, 0.75), (0.2, 0.3), (0.5, 0.6, 0.7), (0.5, 1.0, 1.5)):
            fusion = Fusion(pivot=pivot, slope=slope)
            options[f"share {share}, smoothing {smoothing}, pivot {pivot}, slope {slope}"] = scored(
                claims, corpus, lambda c, s=share, f=fusion: fused(c, dense=(1 - s) * c.whole + s * best[c.row], fusion=f),
                (SMOOTH_DEPTH, SMOOTH_NEIGHBOURS, smoothing))
        report("these passages, smoothing, refit", options, today)


if __name__ == "__main__":
    main()
