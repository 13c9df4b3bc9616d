"""The SQLite store: the source of truth for papers, their embeddings and the store generation."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from abstract_search.data.names import any_author_matches, name_parts
from abstract_search.data.paper import Paper
from abstract_search.index.crashpoints import reach
from abstract_search.index.errors import DamagedIndexError, IndexFailure, StoreUnavailableError

SCHEMA = """
CREATE TABLE IF NOT EXISTS papers (
    num INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    abstract TEXT NOT NULL,
    authors TEXT NOT NULL,
    affiliations TEXT NOT NULL,
    date TEXT,
    year INTEGER,
    categories TEXT NOT NULL,
    has_code INTEGER NOT NULL,
    source TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    text_hash TEXT NOT NULL,
    embedding BLOB NOT NULL,
    vec_gen INTEGER NOT NULL,
    url TEXT,
    passages BLOB
);
CREATE INDEX IF NOT EXISTS papers_vec_gen ON papers(vec_gen);
CREATE INDEX IF NOT EXISTS papers_year ON papers(year);
CREATE TABLE IF NOT EXISTS tombstones (num INTEGER PRIMARY KEY, gen INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS tombstones_gen ON tombstones(gen);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

# The lexical index: SQLite FTS5 over title and abstract, with the papers table as its content.
# Triggers keep it in step inside every write transaction, so add and delete stay incremental.
LEXICAL_TABLE = "papers_fts"
LEXICAL_TOKENIZER = "porter unicode61 remove_diacritics 2"
LEXICAL_SCHEMA = (
    f"""CREATE VIRTUAL TABLE IF NOT EXISTS {LEXICAL_TABLE} USING fts5(
        title, abstract, content='papers', content_rowid='num', tokenize='{LEXICAL_TOKENIZER}')""",
    f"""CREATE TRIGGER IF NOT EXISTS papers_fts_insert AFTER INSERT ON papers BEGIN
        INSERT INTO {LEXICAL_TABLE}(rowid, title, abstract) VALUES (new.num, new.title, new.abstract);
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS papers_fts_delete AFTER DELETE ON papers BEGIN
        INSERT INTO {LEXICAL_TABLE}({LEXICAL_TABLE}, rowid, title, abstract)
        VALUES ('delete', old.num, old.title, old.abstract);
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS papers_fts_update AFTER UPDATE OF title, abstract ON papers BEGIN
        INSERT INTO {LEXICAL_TABLE}({LEXICAL_TABLE}, rowid, title, abstract)
        VALUES ('delete', old.num, old.title, old.abstract);
        INSERT INTO {LEXICAL_TABLE}(rowid, title, abstract) VALUES (new.num, new.title, new.abstract);
    END""",
)

PASSAGE_SCHEME_KEY, PASSAGE_PENDING_KEY = "passages", "passages_pending"
PASSAGES_SINCE_KEY = "passages_since"  # the generation before a migration last completed
PAPER_COLUMNS = "id, title, abstract, authors, affiliations, date, year, categories, has_code, source, url"
STORE_FILE = "papers.sqlite"


@dataclass(frozen=True)
class StoredState:
    """What the store already holds for one paper id."""

    num: int
    content_hash: str
    text_hash: str


@dataclass(frozen=True)
class Written:
    """What one committed write changed: its generation, vector ids removed and added, updates not applied."""

    generation: int
    removed: np.ndarray
    added: dict[str, int]
    stale: list[Paper]


def _paper_from_row(row: Sequence) -> Paper:
    """Turn a row of PAPER_COLUMNS into a Paper."""
    return Paper(
        id=row[0],
        title=row[1],
        abstract=row[2],
        authors=tuple(json.loads(row[3])),
        affiliations=tuple(json.loads(row[4])),
        date=row[5],
        year=row[6],
        categories=tuple(json.loads(row[7])),
        has_code=bool(row[8]),
        source=row[9],
        url=row[10],
    )


def _paper_values(paper: Paper) -> tuple:
    """Turn a Paper into values for PAPER_COLUMNS."""
    return (
        paper.id,
        paper.title,
        paper.abstract,
        json.dumps(list(paper.authors), ensure_ascii=False),
        json.dumps(list(paper.affiliations), ensure_ascii=False),
        paper.date,
        paper.year,
        json.dumps(list(paper.categories), ensure_ascii=False),
        int(paper.has_code),
        paper.source,
        paper.url,
    )


class Store:
    """Papers, embeddings and metadata in one SQLite file, written in transactions."""

    def __init__(self, index_dir: Path, readonly: bool = False):
        self.path = Path(index_dir) / STORE_FILE
        self.readonly = readonly
        self._read_mode: str | None = None  # the URI mode of read-only connections, once the first has opened
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._guard = threading.Lock()
        if not readonly:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # SQLite opens an existing WAL store on a read-only mount without complaint (its -shm file
            # is there), and would only fail at the first write; say so at open instead.
            if _not_writable(self.path):
                raise read_only_error(self.path, "the directory or the file does not accept writes")
        try:
            conn = self.conn
            if not readonly:
                conn.execute("PRAGMA journal_mode=WAL")
                conn.executescript(SCHEMA)
            columns = {row[1] for row in conn.execute("PRAGMA table_info(papers)")}
            has_url, has_passages = "url" in columns, "passages" in columns
            if not readonly:
                if not has_url:  # a store made before papers had links: NULL until a paper is written again
                    conn.execute("ALTER TABLE papers ADD COLUMN url TEXT")
                    has_url = True
                if not has_passages:  # a store made before passage vectors: NULL until `reindex --passages`
                    conn.execute("ALTER TABLE papers ADD COLUMN passages BLOB")
                    has_passages = True
                self._ensure_lexical()
            conn.execute("SELECT count(*) FROM papers").fetchone()
        except sqlite3.DatabaseError as exc:
            raise store_failure(self.path, exc) from exc
        # What reads select: a store made before papers had links, opened read-only, has no url column.
        self.columns = PAPER_COLUMNS if has_url else PAPER_COLUMNS.replace(", url", ", NULL")
        self._passages = "passages" if has_passages else "NULL"

    def has_lexical(self) -> bool:
        """Return whether the store has its full-text (BM25) index."""
        row = self.conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (LEXICAL_TABLE,)).fetchone()
        return row is not None

    def _ensure_lexical(self) -> None:
        """Create the full-text index and its triggers if missing, filling it from the stored papers."""
        if self.has_lexical():
            return
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            if not self.has_lexical():  # another process may have migrated while we waited
                for statement in LEXICAL_SCHEMA:
                    conn.execute(statement)
                conn.execute(f"INSERT INTO {LEXICAL_TABLE}({LEXICAL_TABLE}) VALUES ('rebuild')")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    @property
    def conn(self) -> sqlite3.Connection:
        """Return this thread's connection, so concurrent readers never share one."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            if self.readonly:
                conn, self._read_mode = _connect_read_only(self.path, self._read_mode)
            else:
                conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
                conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA busy_timeout=10000")
            conn.create_function("author_matches", 2, any_author_matches, deterministic=True)
            self._local.conn = conn
            with self._guard:
                self._connections.append(conn)
        return conn

    def close(self) -> None:
        """Close every connection."""
        with self._guard:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
        self._local = threading.local()

    # --- metadata -----------------------------------------------------------
    def get_meta(self, key: str, default: str | None = None) -> str | None:
        """Return one metadata value."""
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    def _set_meta(self, key: str, value: str) -> None:
        self.conn.execute(
            "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def generation(self) -> int:
        """Return the store generation: it grows with every committed write."""
        return int(self.get_meta("generation", "0"))

    def model(self) -> str | None:
        """Return the embedding model the stored vectors came from, if any."""
        return self.get_meta("model")

    def dimension(self) -> int | None:
        """Return the dimension of the stored vectors, if any."""
        value = self.get_meta("dimension")
        return int(value) if value else None

    def bind_model(self, model: str, dimension: int) -> None:
        """Record which model the stored vectors come from (once, when the store is new)."""
        with self.transaction():
            if self.get_meta("model") is None:
                self._set_meta("model", model)
                self._set_meta("dimension", str(dimension))
                self._set_meta("created_at", _now())

    def passage_scheme(self) -> str | None:
        """Return the passage scheme every stored paper has vectors of, or None (whole-abstract vectors only)."""
        return self.get_meta(PASSAGE_SCHEME_KEY) or None

    def passage_target(self) -> str | None:
        """Return the scheme new writes must carry passages of: the index's, or the one a migration is moving to."""
        return self.get_meta(PASSAGE_PENDING_KEY) or self.passage_scheme()

    def start_passages(self, scheme: str) -> None:
        """Have every paper carry passage vectors of `scheme`: at once for a new store, else once
        `set_passages` has given every paper its passages (a migration; another scheme's are dropped)."""
        with self.transaction():
            if self.passage_target() == scheme:
                return
            if self.get_meta("model") is None or not self.count():
                self._set_meta(PASSAGE_SCHEME_KEY, scheme)
                return
            if self.passage_scheme() not in (None, scheme):
                self.conn.execute("UPDATE papers SET passages = NULL")
                self.conn.execute("DELETE FROM meta WHERE key = ?", (PASSAGE_SCHEME_KEY,))
            self._set_meta(PASSAGE_PENDING_KEY, scheme)
            self._complete_passages()

    def without_passages(self, after: int, limit: int) -> list[tuple[int, Paper]]:
        """Return up to `limit` (vector id, paper) of papers past vector id `after` that have no passage
        vectors yet, in vector id order."""
        rows = self.conn.execute(f"SELECT num, {self.columns} FROM papers WHERE num > ? AND {self._passages} "
                                 "IS NULL ORDER BY num LIMIT ?", (after, limit)).fetchall()
        return [(row[0], _paper_from_row(row[1:])) for row in rows]

    def iter_without_passages(self, page: int = 500) -> Iterator[Paper]:
        """Yield every paper that has no passage vectors yet, in vector id order, a page of rows at a time."""
        after = 0
        while rows := self.without_passages(after, page):
            yield from (paper for _, paper in rows)
            after = rows[-1][0]

    def lacking_passages(self, ids: Sequence[str]) -> list[tuple[int, str, Paper]]:
        """Return (vector id, text hash, paper), read together, of these papers that have no passage vectors."""
        return [(row[0], row[1], _paper_from_row(row[3:])) for row in
                self._rows_in(f"num, text_hash, {self._passages} IS NULL, {self.columns}", "id", ids) if row[2]]

    def count_without_passages(self) -> int:
        """Return how many stored papers have no passage vectors yet."""
        return self.conn.execute(f"SELECT count(*) FROM papers WHERE {self._passages} IS NULL").fetchone()[0]

    def set_passages(self, items: Sequence[tuple[int, str, bytes]]) -> int:
        """Store passage vectors for (vector id, text hash, passages) of papers whose text is still that one,
        in one transaction; when none lacks them then, the pending scheme becomes the index's. Return how many."""
        with self.transaction():
            done = 0
            for num, text_hash, blob in items:
                done += self.conn.execute("UPDATE papers SET passages = ? WHERE num = ? AND text_hash = ?",
                                          (blob, num, text_hash)).rowcount
            self._complete_passages()
            return done

    def _complete_passages(self) -> None:
        """Inside a transaction: make a migration's scheme the index's once every paper has its passages."""
        pending = self.get_meta(PASSAGE_PENDING_KEY)
        if pending and not self.count_without_passages():
            self._set_meta(PASSAGE_SCHEME_KEY, pending)
            self._set_meta(PASSAGES_SINCE_KEY, str(self.generation() - 1))  # inside: this one's less one
            self.conn.execute("DELETE FROM meta WHERE key = ?", (PASSAGE_PENDING_KEY,))

    def passages_since(self) -> int:
        """Return the generation before the last migration made every paper's passages anew (-1: none did):
        a copy of passages read at or before it may hold another scheme's, under the same vector ids."""
        return int(self.get_meta(PASSAGES_SINCE_KEY, "-1"))

    def passages_of(self, nums: Sequence[int]) -> dict[int, bytes]:
        """Return the stored passage vectors (index/passages.py's form) of these vector ids that have them."""
        return {num: blob for num, blob in self._rows_in(f"num, {self._passages}", "num", (int(n) for n in nums))
                if blob is not None}

    def sample_passages(self, limit: int) -> list[tuple[np.ndarray, bytes]]:
        """Return (embedding, passage vectors) of up to `limit` papers spread evenly over the store."""
        step = max(1, -(-self.count() // max(limit, 1)))
        rows = self.conn.execute(f"SELECT embedding, {self._passages} FROM papers WHERE num % ? = 0 AND "
                                 f"{self._passages} IS NOT NULL LIMIT ?", (step, limit)).fetchall()
        return [(np.frombuffer(row[0], dtype=np.float32), row[1]) for row in rows]

    # --- reads --------------------------------------------------------------
    def count(self) -> int:
        """Return how many papers are stored."""
        return self.conn.execute("SELECT count(*) FROM papers").fetchone()[0]

    def _rows_in(self, select: str, column: str, values: Iterable) -> Iterator[tuple]:
        """Yield the rows of `SELECT ... FROM papers WHERE column IN (values)`, asked 500 values at a time."""
        for chunk in chunked(values, 500):
            marks = ",".join("?" * len(chunk))
            yield from self.conn.execute(f"SELECT {select} FROM papers WHERE {column} IN ({marks})", chunk)

    def states(self, ids: Sequence[str]) -> dict[str, StoredState]:
        """Return what is stored for each of these ids that exists."""
        return {pid: StoredState(num, content_hash, text_hash) for pid, num, content_hash, text_hash
                in self._rows_in("id, num, content_hash, text_hash", "id", ids)}

    def get(self, paper_id: str) -> Paper | None:
        """Return one stored paper, or None."""
        row = self.conn.execute(f"SELECT {self.columns} FROM papers WHERE id = ?", (paper_id,)).fetchone()
        return _paper_from_row(row) if row else None

    def num_of(self, paper_id: str) -> int | None:
        """Return the vector id of a paper, or None."""
        row = self.conn.execute("SELECT num FROM papers WHERE id = ?", (paper_id,)).fetchone()
        return row[0] if row else None

    def papers_by_num(self, nums: Sequence[int]) -> dict[int, Paper]:
        """Return the papers for these vector ids, keyed by vector id."""
        return {row[0]: _paper_from_row(row[1:])
                for row in self._rows_in(f"num, {self.columns}", "num", (int(n) for n in nums))}

    def vectors_of(self, nums: Sequence[int]) -> dict[int, np.ndarray]:
        """Return the stored embedding of each of these vector ids that still exists."""
        return {num: np.frombuffer(blob, dtype=np.float32)
                for num, blob in self._rows_in("num, embedding", "num", (int(n) for n in nums))}

    def nums_matching(self, year_min: int | None = None, year_max: int | None = None, author: str | None = None,
                      category: str | None = None, author_exact: bool = False) -> np.ndarray:
        """Return the vector ids of every paper within the year range, by the author and in the category.

        Authors match by name parts (data/names.py: "Weston" and "J. Weston" find "Jason Weston", "Li" does
        not find "Lin"), or, with `author_exact`, whole and case-insensitively. "CL" matches "cs.CL", "cs.CL"
        matches itself, and the value is text, never a LIKE pattern.
        """
        clauses, args = [], []
        if year_min is not None:
            clauses.append("year >= ?")
            args.append(year_min)
        if year_max is not None:
            clauses.append("year <= ?")
            args.append(year_max)
        if author and author_exact:
            clauses.append("EXISTS (SELECT 1 FROM json_each(papers.authors) WHERE lower(value) = lower(?))")
            args.append(author.strip())
        elif author:
            longest = max(name_parts(author) or [""], key=len)
            if longest.isascii():  # SQLite's LIKE folds ASCII case only: a cheap first cut before Python's check
                clauses.append("papers.authors LIKE ? ESCAPE '\\'")
                args.append(f"%{like_literal(longest)}%")
            clauses.append("author_matches(papers.authors, ?)")
            args.append(author)
        if category:
            clauses.append("EXISTS (SELECT 1 FROM json_each(papers.categories) "
                           "WHERE lower(value) = lower(?) OR lower(value) LIKE '%.' || lower(?) ESCAPE '\\')")
            args += [category.strip(), like_literal(category.strip())]
        rows = self.conn.execute(f"SELECT num FROM papers WHERE {' AND '.join(clauses) or '1'}", args).fetchall()
        return np.array([r[0] for r in rows], dtype=np.int64)

    def category_counts(self, limit: int = 500) -> list[tuple[str, int]]:
        """Return the index's categories with how many papers each has, most papers first."""
        rows = self.conn.execute("SELECT value, count(*) AS papers FROM papers, json_each(papers.categories) "
                                 "GROUP BY value ORDER BY papers DESC, value LIMIT ?", (limit,)).fetchall()
        return [(str(name), int(count)) for name, count in rows]

    def stored_by_num(self, nums: Sequence[int]) -> dict[int, tuple[np.ndarray, Paper]]:
        """Return (embedding, paper) for each of these vector ids that still exists, read together."""
        return {row[0]: (np.frombuffer(row[1], dtype=np.float32), _paper_from_row(row[2:]))
                for row in self._rows_in(f"num, embedding, {self.columns}", "num", (int(n) for n in nums))}

    def stored_paper(self, paper_id: str) -> tuple[int, np.ndarray, Paper] | None:
        """Return (vector id, embedding, paper) of one stored paper, read together, or None."""
        row = self.conn.execute(f"SELECT num, embedding, {self.columns} FROM papers WHERE id = ?",
                                (paper_id,)).fetchone()
        return (row[0], np.frombuffer(row[1], dtype=np.float32), _paper_from_row(row[2:])) if row else None

    def embedding_of(self, paper_id: str) -> np.ndarray | None:
        """Return the stored vector of one paper, or None."""
        row = self.conn.execute("SELECT embedding FROM papers WHERE id = ?", (paper_id,)).fetchone()
        return np.frombuffer(row[0], dtype=np.float32) if row else None

    def vectors_since(self, generation: int, batch: int = 20000) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Yield (nums, vectors) for every vector written after `generation`, in batches."""
        cursor = self.conn.execute(
            "SELECT num, embedding FROM papers WHERE vec_gen > ? ORDER BY num", (generation,)
        )
        while rows := cursor.fetchmany(batch):
            nums = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
            vectors = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32).reshape(len(rows), -1)
            yield nums, vectors

    def sample_vectors(self, limit: int) -> np.ndarray:
        """Return up to `limit` stored vectors spread evenly over the store (quantizer training, dense moments)."""
        total = self.count()
        step = max(1, -(-total // max(limit, 1)))  # ceil: the sample reaches the newest papers too
        rows = self.conn.execute(
            "SELECT embedding FROM papers WHERE num % ? = 0 LIMIT ?", (step, limit)
        ).fetchall()
        if not rows:
            rows = self.conn.execute("SELECT embedding FROM papers LIMIT ?", (limit,)).fetchall()
        return np.frombuffer(b"".join(r[0] for r in rows), dtype=np.float32).reshape(len(rows), -1)

    def removed_since(self, generation: int) -> np.ndarray:
        """Return the vector ids removed after `generation`."""
        rows = self.conn.execute("SELECT num FROM tombstones WHERE gen > ?", (generation,)).fetchall()
        return np.array([r[0] for r in rows], dtype=np.int64)

    def all_nums(self) -> np.ndarray:
        """Return every live vector id."""
        rows = self.conn.execute("SELECT num FROM papers").fetchall()
        return np.array([r[0] for r in rows], dtype=np.int64)

    def changed_since(self, generation: int) -> int:
        """Return how many papers were written or removed after `generation`."""
        written = self.conn.execute("SELECT count(*) FROM papers WHERE vec_gen > ?", (generation,)).fetchone()[0]
        return int(written) + len(self.removed_since(generation))

    def texts_since(self, generation: int) -> tuple[int, np.ndarray, list[tuple[int, str, str]]]:
        """Return, from one read snapshot, the generation, the vector ids removed after `generation`, and
        (num, title, abstract) of the papers written after it."""
        self.conn.execute("BEGIN")
        try:
            now = self.generation()
            removed = self.removed_since(generation)
            rows = self.conn.execute("SELECT num, title, abstract FROM papers WHERE vec_gen > ? ORDER BY num",
                                     (generation,)).fetchall()
        finally:
            self.conn.execute("COMMIT")
        return now, removed, rows

    @contextmanager
    def passage_rows(self, fetch: int) -> Iterator[tuple[int, Iterator[list[tuple[int, bytes]]]]]:
        """Yield, inside one read snapshot, the generation and batches of (vector id, passage vectors) of
        every paper that has them, in vector id order."""
        with self._snapshot() as generation:
            cursor = self.conn.execute(f"SELECT num, {self._passages} FROM papers WHERE {self._passages} IS NOT NULL "
                                       "ORDER BY num")
            yield generation, iter(lambda: cursor.fetchmany(fetch), [])

    @contextmanager
    def term_instances(self, fetch: int) -> Iterator[tuple[int, np.ndarray, Iterator[list[tuple]]]]:
        """Yield, inside one read snapshot, the generation, every vector id in order, and batches of
        (term, paper num, column) from the FTS5 index: one row per occurrence."""
        self.conn.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.{LEXICAL_TABLE}_instances "
                          f"USING fts5vocab(main, {LEXICAL_TABLE}, instance)")
        with self._snapshot() as generation:
            nums = np.array([r[0] for r in self.conn.execute("SELECT num FROM papers ORDER BY num")], dtype=np.int64)
            cursor = self.conn.execute(f"SELECT term, doc, col FROM temp.{LEXICAL_TABLE}_instances")
            yield generation, nums, iter(lambda: cursor.fetchmany(fetch), [])

    @contextmanager
    def _snapshot(self) -> Iterator[int]:
        """Hold one read snapshot of the store for the block; yield its generation."""
        self.conn.execute("BEGIN")
        try:
            yield self.generation()
        finally:
            self.conn.execute("COMMIT")

    def iter_papers(self) -> Iterator[Paper]:
        """Yield every stored paper in insertion order."""
        for row in self.conn.execute(f"SELECT {self.columns} FROM papers ORDER BY num"):
            yield _paper_from_row(row)

    # --- writes -------------------------------------------------------------
    def transaction(self) -> "_Transaction":
        """Return a context manager for one write transaction that bumps the generation."""
        return _Transaction(self)

    def write(
        self,
        inserts: Sequence[tuple[Paper, np.ndarray]],
        metadata_updates: Sequence[Paper],
        deletes: Sequence[str],
        passages: dict[str, bytes] | None = None,
    ) -> "Written":
        """Apply one batch in one transaction and say what it changed.

        A paper whose text changed is deleted and inserted again, so it gets a new vector id: the FAISS
        index then only ever sees adds and removes. Everything is decided inside the transaction: the
        vector ids removed are the ones stored at commit time, and a metadata update applies only while
        the stored text is still the one it was checked against (another writer may have changed it since);
        the updates that no longer apply come back as `stale`, to be embedded and written again. So does
        a paper without `passages` while the index wants them (a migration began since it was embedded).
        """
        passages = passages or {}
        with self.transaction() as gen:
            if self.passage_target():
                stale = [paper for paper, _ in inserts if paper.id not in passages]
                inserts = [(paper, vector) for paper, vector in inserts if paper.id in passages]
            else:
                stale = []
            replaced = [paper.id for paper, _ in inserts]
            removed = self._delete(list(deletes) + replaced, gen)
            self.conn.executemany(
                f"INSERT INTO papers ({PAPER_COLUMNS}, content_hash, text_hash, embedding, vec_gen, passages) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                [
                    (*_paper_values(p), p.content_hash(), p.text_hash(), np.asarray(v, np.float32).tobytes(), gen,
                     passages.get(p.id))
                    for p, v in inserts
                ],
            )
            for paper in metadata_updates:
                cursor = self.conn.execute(
                    "UPDATE papers SET title=?, abstract=?, authors=?, affiliations=?, date=?, year=?, "
                    "categories=?, has_code=?, source=?, url=?, content_hash=? WHERE id=? AND text_hash=?",
                    (*_paper_values(paper)[1:], paper.content_hash(), paper.id, paper.text_hash()),
                )
                if cursor.rowcount == 0:
                    stale.append(paper)
            added = {pid: state.num for pid, state in self.states(replaced).items()}
            return Written(gen, np.array(removed, dtype=np.int64), added, stale)

    def _delete(self, ids: Sequence[str], gen: int) -> list[int]:
        """Delete these ids' rows, leaving tombstones for their vector ids; return those vector ids."""
        removed = [num for (num,) in self._rows_in("num", "id", ids)]
        self.conn.executemany("INSERT OR REPLACE INTO tombstones(num, gen) VALUES (?, ?)", [(n, gen) for n in removed])
        self.conn.executemany("DELETE FROM papers WHERE num = ?", [(n,) for n in removed])
        return removed


def store_failure(path: Path, exc: sqlite3.DatabaseError) -> IndexFailure:
    """Return the error for a failed store operation, naming the file and the fix."""
    path = Path(path)
    text = str(exc)
    lowered = text.lower()
    directory = path.parent
    if "locked" in lowered or "busy" in lowered:
        return StoreUnavailableError(
            f"the paper store {path} is locked by another process ({text}): another `abstracts` command or "
            "server is writing to it. Wait for it to finish (or stop it) and try again; nothing was changed."
        )
    if "full" in lowered or ("i/o" in lowered and _nearly_full(directory)):
        return StoreUnavailableError(
            f"cannot write the paper store {path}: the disk is full ({text}). Nothing from this write was kept; "
            "free some space and try again."
        )
    if "readonly" in lowered or "read-only" in lowered or _not_writable(path):
        return read_only_error(path, text)
    if isinstance(exc, sqlite3.OperationalError) and "malformed" not in lowered and "not a database" not in lowered:
        return StoreUnavailableError(
            f"cannot use the paper store {path} ({text}). Check the disk and the file's permissions, "
            "then try again; nothing was changed."
        )
    return DamagedIndexError(
        f"the paper store {path} is damaged ({text}). It is the source of truth, so `abstracts reindex` cannot "
        "rebuild it: restore it from a backup, or move the index directory aside and rebuild it with "
        "`abstracts index` and `abstracts add`."
    )


def _connect_read_only(path: Path, mode: str | None) -> tuple[sqlite3.Connection, str]:
    """Open a connection that cannot write, and still sees the commits other processes make; return it and
    the URI mode used, which every later connection of the store then uses too.

    A WAL store opens with mode=ro where its -shm file exists or can be made (SQLite creates -wal and -shm
    beside it, empty, as for any reader). Where it cannot, it opens immutable, which reads the main file
    alone, but only where nothing can change the file: a file system mounted read-only, or a store file with
    no write bits (a copy made read-only on purpose: a writer would have to change its permissions first,
    and a server then needs a restart to see that). A -wal file holding commits keeps SQLite's own error.
    Anywhere else the store is refused: another process could change it under an immutable reader.
    """
    uri = Path(path).resolve().as_uri()
    if mode is None:
        try:
            return _opened(uri, "mode=ro"), "mode=ro"
        except sqlite3.OperationalError:
            wal = Path(f"{path}-wal")
            if wal.exists() and wal.stat().st_size:
                raise
        mode = "immutable=1"
    if mode == "immutable=1" and not (_read_only_mount(path) or not path.stat().st_mode & 0o222):
        raise StoreUnavailableError(
            f"cannot read the paper store {path} read-only: SQLite needs a {path.name}-shm file beside it, "
            f"and the directory {path.parent} refuses to create one. Remove the write bits of {path.name} "
            "(chmod a-w) to serve it as a read-only copy, or mount it read-only; nothing was changed."
        )
    return _opened(uri, mode), mode


def _opened(uri: str, mode: str) -> sqlite3.Connection:
    """Return a connection to `uri` in this URI mode, checked with a first read."""
    conn = sqlite3.connect(f"{uri}?{mode}", uri=True, check_same_thread=False, isolation_level=None)
    try:
        conn.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchone()
    except sqlite3.OperationalError:
        conn.close()
        raise
    return conn


def _read_only_mount(path: Path) -> bool:
    """Return whether the file system holding `path` is mounted read-only."""
    try:
        return bool(os.statvfs(Path(path).parent).f_flag & os.ST_RDONLY)
    except (AttributeError, OSError):
        return False


def read_only_place(index_dir: Path) -> bool:
    """Return whether an index directory is to be served read-only: it refuses writes (a read-only mount,
    permissions), or its store file has no write bits (a copy made read-only on purpose, even for root)."""
    path = Path(index_dir) / STORE_FILE
    if not path.parent.exists():
        return False  # a new index: the writer makes the directory
    return _not_writable(path) or (path.exists() and not path.stat().st_mode & 0o222)


def _not_writable(path: Path) -> bool:
    """Return whether the store's directory, or the store file where it exists, refuses writes."""
    return not os.access(path.parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK))


def read_only_error(path: Path, reason: str) -> StoreUnavailableError:
    """Return the error for a store in a read-only place, naming the directory and the fix."""
    return StoreUnavailableError(
        f"cannot write the paper store {path}: the index directory {path.parent} is read-only ({reason}). "
        "Make it writable, or copy the index somewhere writable and pass --index DIR; nothing was changed."
    )


def _nearly_full(directory: Path) -> bool:
    """Return whether the disk holding `directory` has under 1 MiB free (SQLite then reports an I/O error)."""
    try:
        return shutil.disk_usage(directory).free < 1 << 20
    except OSError:
        return False


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT, bumping the store generation; ROLLBACK on error.

    A failed BEGIN or COMMIT (locked, read-only, disk full) rolls back and raises a clear IndexFailure.
    """

    def __init__(self, store: Store):
        self.store = store

    def __enter__(self) -> int:
        try:
            self.store.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.DatabaseError as exc:
            raise store_failure(self.store.path, exc) from exc
        try:
            gen = self.store.generation() + 1
            self.store._set_meta("generation", str(gen))
            self.store._set_meta("updated_at", _now())
        except sqlite3.DatabaseError as exc:
            self._rollback()
            raise store_failure(self.store.path, exc) from exc
        return gen

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            reach(f"commit:{STORE_FILE}")
            try:
                self.store.conn.execute("COMMIT")
            except sqlite3.DatabaseError as error:
                self._rollback()
                raise store_failure(self.store.path, error) from error
            reach(f"committed:{STORE_FILE}")
        else:
            self._rollback()
            if isinstance(exc, sqlite3.DatabaseError) and not isinstance(exc, sqlite3.IntegrityError):
                raise store_failure(self.store.path, exc) from exc

    def _rollback(self) -> None:
        """Roll back whatever is open; SQLite may already have rolled back after a failed COMMIT."""
        try:
            if self.store.conn.in_transaction:
                self.store.conn.execute("ROLLBACK")
        except sqlite3.DatabaseError:
            pass


def like_literal(text: str) -> str:
    """Return `text` escaped so that SQL LIKE (with ESCAPE '\\') matches it literally: % and _ are no wildcards."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def chunked(items: Iterable, size: int) -> Iterator[list]:
    """Yield lists of at most `size` items."""
    chunk: list = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
