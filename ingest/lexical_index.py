"""The persisted lexical index: BM25 over the committed chunks, in SQLite FTS5.

FTS5 ships with Python's sqlite3, ranks with a real BM25 (``bm25()``), updates one document
at a time in a transaction and is opened without reading any chunk, so neither a new process
nor a one-file ingest pays for the size of the library. Chunks are analysed by
``ingest.tokens`` (folding, stemming, compounds, neighbouring pairs) and stored as ready terms;
FTS5's ``ascii`` tokenizer then only splits them on spaces.

The index holds exactly one version per document, the one recorded in ``documents``; readers
take that table as the committed state, so they never see two versions of a document. It
also records the store revision it is in step with (``synced``): when the store's revision
differs, the store brings the index up to date (see ``ChunkStore.catch_up``).

Each indexed chunk's text and metadata are kept here too, so a search, lexical or dense,
reads its hits from this one local file: Chroma's reads of records by id slow down as a
collection grows (about 4 ms for 30 chunks at 100k chunks, 1.4 ms at 1k), a local lookup
does not.
"""

from __future__ import annotations

import contextlib
import json
import re
import sqlite3
import threading
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from ingest.bm25_bounds import essential, first_guess, term_bound
from ingest.errors import StoreError
from ingest.records import Chunk, chunk_from, chunk_metadata
from ingest.tokens import index_terms

FILE_NAME = "lexical.sqlite3"
PAIR_JOINER = "_"
"""Neighbouring-term pairs become one FTS5 token: "steam engine" -> "steam_engine"."""
FIRST_SHARE = 0.07
"""A search first ranks the chunks holding its rarest terms, in about this share of the
chunks together: fewer often calls for a second pass, more ranks many chunks for nothing."""
MAX_RANKED = 2000
"""A search ranks the chunks holding its rarest terms up to about this many, whatever the
size of the index (FTS5 scores about a thousand chunks a millisecond here). Up to it the top
n is exact; past it, the top n is the best of those chunks, and a chunk holding only the
question's common words could have beaten the n-th (the bounds are loose, so that is rare:
the README gives the share of the exact top 30 found on the scale benchmark's indexes)."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents(doc_id TEXT PRIMARY KEY, doc_hash TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS chunks(
    row INTEGER PRIMARY KEY, chunk_id TEXT NOT NULL UNIQUE, doc_id TEXT NOT NULL,
    text TEXT, meta TEXT);
CREATE INDEX IF NOT EXISTS chunks_of_document ON chunks(doc_id);
CREATE VIRTUAL TABLE IF NOT EXISTS chunk_terms
    USING fts5(terms, tokenize="ascii tokenchars '-./_'");
CREATE VIRTUAL TABLE IF NOT EXISTS chunk_vocab USING fts5vocab(chunk_terms, 'row');
CREATE TABLE IF NOT EXISTS term_counts(term TEXT PRIMARY KEY, chunks INTEGER NOT NULL)
    WITHOUT ROWID;
"""
CHUNK_COLUMNS = ("text", "meta")
"""The chunk's text and its metadata (JSON), so a search reads its hits from this file: an
index written before they existed has them added and filled once (``ChunkStore``)."""
COUNTED = "term_counts"
"""The ``meta`` key saying that ``term_counts`` holds every indexed term's chunk count."""
TEXTS = "texts"
"""The ``meta`` key saying that every chunk's text and metadata are stored."""
_FTS5_TOKEN = re.compile(r"[0-9A-Za-z\-./_\u0080-\U0010ffff]+")
_ASCII_UPPER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def fts5_tokens(terms: str) -> set[str]:
    """The distinct tokens FTS5's ``ascii`` tokenizer (with ``-./_`` as token characters)
    makes of a stored text: the same split, and ASCII letters folded as it folds them."""
    return {token.translate(_ASCII_UPPER) for token in _FTS5_TOKEN.findall(terms)}


def index_text(chunk: Chunk) -> str:
    """What BM25 sees of a chunk: its title and headings name what its sentences are about."""
    return "\n".join((chunk.title, *chunk.heading_path, chunk.text))


def _tokens(terms: Iterable[str]) -> list[str]:
    return [term.replace(" ", PAIR_JOINER) for term in terms]


def chunk_terms(chunk: Chunk) -> str:
    """The chunk's index terms as FTS5 stores them, one token each."""
    return " ".join(_tokens(index_terms(index_text(chunk))))


def _meta_json(chunk: Chunk) -> str:
    return json.dumps(chunk_metadata(chunk), ensure_ascii=False)


def _flagged(db: sqlite3.Connection, key: str) -> bool:
    return db.execute("SELECT 1 FROM meta WHERE key = ?", (key,)).fetchone() is not None


def _flag(db: sqlite3.Connection, key: str) -> None:
    """Records in ``meta`` that what ``key`` names (``COUNTED``, ``TEXTS``) holds."""
    db.execute("INSERT OR REPLACE INTO meta VALUES (?, '1')", (key,))


def question_tokens(question: str) -> list[str]:
    """The question's terms as FTS5 stores them, each once, in the question's order."""
    return list(dict.fromkeys(_tokens(index_terms(question))))


def match_expression(tokens: Iterable[str]) -> str:
    """An FTS5 query matching any of ``tokens``."""
    return " OR ".join(f'"{t}"' for t in tokens)


class LexicalIndex:
    """BM25 over the chunks of one committed version per document, persisted in ``path``.

    Safe to share between threads; several processes may read while one writes (WAL).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, timeout=60, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
            self._add_chunk_columns()
            self._count_terms()
        except sqlite3.Error as exc:
            raise StoreError(
                f"Cannot open the lexical index {path}: {exc}",
                "check the folder is writable; deleting the file rebuilds it on the next search",
            ) from None

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock, self._db:
            yield self._db

    def _add_chunk_columns(self) -> None:
        """Adds the chunk text columns to an index written before them (the store fills them);
        an empty index has nothing to fill."""
        with self._transaction() as db:
            present = {row[1] for row in db.execute("PRAGMA table_info(chunks)")}
            for column in CHUNK_COLUMNS:
                if column not in present:
                    db.execute(f"ALTER TABLE chunks ADD COLUMN {column} TEXT")
            if not db.execute("SELECT 1 FROM chunks LIMIT 1").fetchone():
                _flag(db, TEXTS)

    def _count_terms(self) -> None:
        """Fills ``term_counts`` from FTS5's vocabulary once, for an index written before the
        table existed (a walk of the whole index; later writes keep it up to date)."""
        with self._transaction() as db:
            if _flagged(db, COUNTED):
                return
            db.execute("DELETE FROM term_counts")
            db.execute("INSERT INTO term_counts SELECT term, doc FROM chunk_vocab")
            _flag(db, COUNTED)

    # State -------------------------------------------------------------------------------------

    def synced(self) -> str | None:
        """The store revision this index was last brought in step with."""
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = 'synced'").fetchone()
        return None if row is None else str(row[0])

    def documents(self) -> dict[str, str]:
        """doc_id -> content hash of every indexed document."""
        with self._lock:
            return dict(self._db.execute("SELECT doc_id, doc_hash FROM documents").fetchall())

    def chunk_ids(self) -> set[str]:
        with self._lock:
            return {row[0] for row in self._db.execute("SELECT chunk_id FROM chunks")}

    def chunks(self, ids: Iterable[str]) -> dict[str, Chunk]:
        """The indexed chunks among ``ids``: those of the indexed version of their document."""
        with self._lock:
            rows = self._db.execute(
                "SELECT chunk_id, text, meta FROM chunks"
                " WHERE chunk_id IN (SELECT value FROM json_each(?)) AND text IS NOT NULL",
                (json.dumps(list(ids)),),
            ).fetchall()
        return {str(i): chunk_from(text, json.loads(meta)) for i, text, meta in rows}

    def texts_stored(self) -> bool:
        """Whether every chunk's text and metadata are stored (see :meth:`store_texts`)."""
        with self._lock:
            return _flagged(self._db, TEXTS)

    def without_text(self, after: int, limit: int) -> list[tuple[int, str]]:
        """``(row, chunk id)`` of up to ``limit`` chunks past row ``after`` whose text is not
        stored yet (an index written before it was), in row order."""
        with self._lock:
            rows = self._db.execute(
                "SELECT row, chunk_id FROM chunks WHERE row > ? AND text IS NULL"
                " ORDER BY row LIMIT ?",
                (after, limit),
            ).fetchall()
        return [(int(row), str(chunk_id)) for row, chunk_id in rows]

    def store_texts(self, chunks: Iterable[Chunk], *, complete: bool = False) -> None:
        """Stores the text and metadata of these already indexed chunks; ``complete``: and
        records that no chunk lacks them now."""
        with self._transaction() as db:
            db.executemany(
                "UPDATE chunks SET text = ?, meta = ? WHERE chunk_id = ?",
                [(c.text, _meta_json(c), c.id) for c in chunks],
            )
            if complete:
                _flag(db, TEXTS)

    # Writing -----------------------------------------------------------------------------------

    def apply(
        self,
        replaced: Sequence[tuple[str, str, Sequence[Chunk]]] = (),
        removed: Iterable[str] = (),
        advance: tuple[str, str] | None = None,
    ) -> None:
        """In one transaction: sets each ``(doc_id, doc_hash, chunks)`` as that document's
        indexed version and drops the ``removed`` documents. ``advance=(before, after)``
        records the index as in step with revision ``after`` if it was with ``before``: a
        writer that was in step stays so, one that was behind stays behind."""
        rows = [(doc_id, doc_hash, [(c, chunk_terms(c)) for c in chunks])
                for doc_id, doc_hash, chunks in replaced]  # fmt: skip
        counts: Counter[str] = Counter()
        with self._transaction() as db:
            for doc_id in [*removed, *(r[0] for r in rows)]:
                counts.subtract(self._drop(db, doc_id))
            for doc_id, doc_hash, terms in rows:
                db.execute("INSERT INTO documents VALUES (?, ?)", (doc_id, doc_hash))
                for chunk, text in terms:
                    row = db.execute(
                        "INSERT INTO chunks(chunk_id, doc_id, text, meta) VALUES (?, ?, ?, ?)",
                        (chunk.id, doc_id, chunk.text, _meta_json(chunk)),
                    ).lastrowid
                    db.execute("INSERT INTO chunk_terms(rowid, terms) VALUES (?, ?)", (row, text))
                    counts.update(fts5_tokens(text))
            self._add_counts(db, counts)
            if advance is not None:
                db.execute(
                    "UPDATE meta SET value = ? WHERE key = 'synced' AND value = ?",
                    (advance[1], advance[0]),
                )

    def mark_synced(self, revision: str) -> None:
        with self._transaction() as db:
            db.execute("INSERT OR REPLACE INTO meta VALUES ('synced', ?)", (revision,))

    @staticmethod
    def _drop(db: sqlite3.Connection, doc_id: str) -> Counter[str]:
        """Removes the document; returns the chunk counts of its terms, to subtract."""
        chunks = "SELECT row FROM chunks WHERE doc_id = ?"
        dropped: Counter[str] = Counter()
        for (text,) in db.execute(f"SELECT terms FROM chunk_terms WHERE rowid IN ({chunks})",
                                  (doc_id,)):  # fmt: skip
            dropped.update(fts5_tokens(text))
        db.execute(f"DELETE FROM chunk_terms WHERE rowid IN ({chunks})", (doc_id,))
        db.execute("DELETE FROM chunks WHERE doc_id = ?", (doc_id,))
        db.execute("DELETE FROM documents WHERE doc_id = ?", (doc_id,))
        return dropped

    @staticmethod
    def _add_counts(db: sqlite3.Connection, counts: Counter[str]) -> None:
        changed = {term: n for term, n in counts.items() if n}
        db.executemany(
            "INSERT INTO term_counts VALUES (?, ?)"
            " ON CONFLICT(term) DO UPDATE SET chunks = chunks + excluded.chunks",
            changed.items(),
        )
        db.execute(
            "DELETE FROM term_counts WHERE chunks <= 0"
            " AND term IN (SELECT value FROM json_each(?))",
            (json.dumps(list(changed)),),
        )

    def clear(self, synced: str) -> None:
        """Empties the index (the store was rebuilt) and records ``synced``."""
        with self._transaction() as db:
            for table in ("chunk_terms", "chunks", "documents", "term_counts", "meta"):
                db.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
            db.execute("INSERT INTO meta VALUES ('synced', ?)", (synced,))
            _flag(db, COUNTED)
            _flag(db, TEXTS)

    # Searching ---------------------------------------------------------------------------------

    def search(
        self,
        question: str,
        n: int,
        doc_ids: Iterable[str] | None = None,
        *,
        max_ranked: int | None = MAX_RANKED,
    ) -> list[tuple[str, float]]:
        """Ids of up to ``n`` chunks sharing terms with ``question``, best BM25 score first
        (scores are positive; higher is better).

        The chunks and scores are those of ranking every chunk that shares a term, but only
        chunks holding one of the rarer terms are ranked: the others cannot score as high as
        the n-th best once the common terms' bounds add up to less (see
        ``ingest.bm25_bounds``). The rarest terms found in about FIRST_SHARE of the chunks
        are tried first, and more only if the n-th best score they give calls for them, up
        to about ``max_ranked`` chunks (None: as many as exactness takes).
        """
        tokens = question_tokens(question)
        wanted = None if doc_ids is None else sorted(set(doc_ids))
        if not tokens or n <= 0 or wanted == []:
            return []
        with self._snapshot() as db:
            # Not less than the number of chunks, and read without counting them.
            rows = db.execute("SELECT max(row) FROM chunks").fetchone()[0] or 0
            counts = self._document_frequencies(db, tokens)
            rare_first = sorted(tokens, key=lambda t: counts[t])
            dfs = [counts[t] for t in rare_first]
            bounds = [term_bound(df, rows) for df in dfs]
            first = max(n, FIRST_SHARE * rows)
            if max_ranked is None:
                affordable = len(tokens)
            else:
                affordable = first_guess(dfs, max(n, max_ranked))
                first = min(first, max(n, max_ranked))
            tried = first_guess(dfs, first)
            while True:
                hits = self._ranked(db, tokens, rare_first[:tried], n, wanted)
                if tried == len(tokens):
                    return hits
                if len(hits) < n:
                    needed = len(tokens)
                else:
                    needed = min(essential(bounds, hits[-1][1]), affordable)
                if needed <= tried:
                    return hits
                tried = needed

    @contextlib.contextmanager
    def _snapshot(self) -> Iterator[sqlite3.Connection]:
        """One read transaction: the term counts that bound the scores and the scores come
        from the same state of the index, even while another process writes."""
        with self._lock:
            self._db.execute("BEGIN")
            try:
                yield self._db
            finally:
                self._db.rollback()

    @staticmethod
    def _document_frequencies(db: sqlite3.Connection, tokens: Sequence[str]) -> dict[str, int]:
        """token -> number of chunks holding it (0 if none), from ``term_counts``: one index
        lookup per token, where FTS5's vocabulary would walk each token's postings."""
        rows = db.execute(
            "SELECT term, chunks FROM term_counts WHERE term IN (SELECT value FROM json_each(?))",
            (json.dumps(list(tokens)),),
        ).fetchall()
        return dict.fromkeys(tokens, 0) | {str(term): int(n) for term, n in rows}

    @staticmethod
    def _ranked(
        db: sqlite3.Connection,
        tokens: Sequence[str],
        candidates: Sequence[str],
        n: int,
        wanted: list[str] | None,
    ) -> list[tuple[str, float]]:
        """The ``n`` best chunks holding one of ``candidates`` (and in the ``wanted``
        documents), by their score for the query of all ``tokens``: the same score whichever
        chunks are ranked. Others are kept out by ``+rowid IN``, a test on FTS5's output; as
        a constraint FTS5 would seek each rowid in turn and recount every term's chunks for
        each. Chunk ids are looked up for the ``n`` best only."""
        sql = (
            "SELECT chunk_terms.rowid AS row, bm25(chunk_terms) AS bm25 FROM chunk_terms"
            " WHERE chunk_terms MATCH ?"
        )
        args: list[object] = [match_expression(tokens)]
        if len(candidates) < len(tokens):
            sql += (
                " AND +chunk_terms.rowid IN"
                " (SELECT rowid FROM chunk_terms WHERE chunk_terms MATCH ?)"
            )
            args.append(match_expression(candidates))
        if wanted is not None:
            sql += (
                " AND +chunk_terms.rowid IN (SELECT row FROM chunks"
                " WHERE doc_id IN (SELECT value FROM json_each(?)))"
            )
            args.append(json.dumps(wanted))
        sql = (
            f"SELECT chunks.chunk_id, -best.bm25 FROM ({sql} ORDER BY bm25 LIMIT ?) AS best"
            " JOIN chunks ON chunks.row = best.row ORDER BY best.bm25"
        )
        args.append(n)
        return [(str(i), float(s)) for i, s in db.execute(sql, args).fetchall()]
