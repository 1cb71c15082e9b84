"""ChunkStore and Embedder on a real embedded Chroma and the real packaged model; the lexical
index's search against FTS5's plain ranking of every matching chunk."""

from __future__ import annotations

import json
import random
import re
import sqlite3
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import pytest

from ingest.bm25_bounds import essential, term_bound
from ingest.embedder import Embedder, get_embedder
from ingest.errors import EmbeddingModelError, IndexSettingsMismatch
from ingest.lexical_index import MAX_RANKED, LexicalIndex, match_expression, question_tokens
from ingest.records import Chunk, DocumentRecord
from ingest.settings import Settings, load_settings
from ingest.store import ChunkStore, NewVersion

TEXT = "Cats purr when content. Rockets burn liquid hydrogen. Bread rises with yeast."


def _chunks(doc_id: str, digest: str, spans: list[tuple[int, int]]) -> list[Chunk]:
    return [
        Chunk(
            doc_id=doc_id,
            index=i,
            text=TEXT[start:end],
            start=start,
            end=end,
            title="Mixed facts",
            source=f"/data/{doc_id}",
            heading_path=("Facts", "Odd > one") if i else (),
            page=3 if i == 2 else None,
            doc_hash=digest,
        )
        for i, (start, end) in enumerate(spans)
    ]


SPANS = [(0, 23), (24, 53), (54, 77)]


def _record(doc_id: str, digest: str, chunks: int) -> DocumentRecord:
    return DocumentRecord(doc_id, "Mixed facts", f"/data/{doc_id}", digest, chunks, "2024", TEXT)


def _write(store: ChunkStore, embedder: Embedder, doc_id: str, digest: str) -> list[Chunk]:
    chunks = _chunks(doc_id, digest, SPANS)
    vectors = embedder.embed_documents([c.text for c in chunks])
    store.put([NewVersion(_record(doc_id, digest, len(chunks)), chunks, vectors)])
    return chunks


def _interrupted_run(store: ChunkStore, chunks: list[Chunk], vectors: list[list[float]]) -> None:
    """What a run killed after writing ``chunks`` (and journalling their documents) leaves."""
    store._journal(sorted({c.doc_id for c in chunks}))
    store._add_chunks(chunks, vectors)


@pytest.fixture
def store(settings: Settings) -> ChunkStore:
    return ChunkStore.open(settings)


@pytest.fixture
def embedder(settings: Settings) -> Embedder:
    return get_embedder(settings)


def test_chunks_and_records_round_trip_exactly(store: ChunkStore, embedder: Embedder) -> None:
    chunks = _write(store, embedder, "facts.txt", "a" * 64)

    assert store.chunks_of("facts.txt") == chunks
    assert store.all_chunks() == chunks
    assert [c.id for c in chunks] == [f"facts.txt#{'a' * 12}#{i}" for i in range(3)]
    assert store.documents() == [_record("facts.txt", "a" * 64, 3)]
    assert store.document("facts.txt").text == TEXT  # type: ignore[union-attr]
    assert store.document("missing") is None


def test_query_ranks_by_cosine_similarity_and_filters_by_document(
    store: ChunkStore, embedder: Embedder
) -> None:
    _write(store, embedder, "one.txt", "a" * 64)
    _write(store, embedder, "two.txt", "b" * 64)
    rocket = embedder.embed_query("Rockets burn liquid hydrogen.")

    hits = store.query(rocket, 2)
    assert [c.text for c, _ in hits] == ["Rockets burn liquid hydrogen."] * 2
    assert hits[0][1] == pytest.approx(1.0, abs=1e-4)
    only_two = store.query(rocket, 10, doc_ids=["two.txt"])
    assert {c.doc_id for c, _ in only_two} == {"two.txt"} and len(only_two) == 3
    assert store.query(rocket, 5, doc_ids=[]) == []


def test_repair_deletes_uncommitted_chunks_and_flags_short_documents(
    store: ChunkStore, embedder: Embedder
) -> None:
    committed = _write(store, embedder, "kept.txt", "a" * 64)
    newer = _chunks("kept.txt", "c" * 64, SPANS)
    orphan = _chunks("never-committed.txt", "d" * 64, SPANS)
    vectors = embedder.embed_documents([c.text for c in newer])
    _interrupted_run(store, newer, vectors)
    _interrupted_run(store, orphan, vectors)
    _interrupted_run(store, _chunks("short.txt", "e" * 64, SPANS[:2]), vectors[:2])
    store._commit([_record("short.txt", "e" * 64, 3)])

    assert store.repair() == {"short.txt"}
    short = {f"short.txt#{'e' * 12}#{i}" for i in range(2)}
    assert {c.id for c in store.stored_chunks()} == {c.id for c in committed} | short
    assert store.lexical.chunk_ids() == {c.id for c in committed} | short
    assert store.repair() == set()


def test_repair_without_an_interrupted_run_reads_no_chunk(
    store: ChunkStore, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(store, embedder, "kept.txt", "a" * 64)
    monkeypatch.setattr(store, "_stored_of", None)
    monkeypatch.setattr(store, "_all_hashes", None)
    assert store.repair() == set()


def test_the_lexical_index_persists_and_follows_writes(
    settings: Settings, store: ChunkStore, embedder: Embedder
) -> None:
    kept = _write(store, embedder, "kept.txt", "a" * 64)
    _write(store, embedder, "gone.txt", "b" * 64)
    _write(store, embedder, "kept.txt", "c" * 64)
    store.remove("gone.txt")

    reopened = ChunkStore.open(settings)
    assert reopened.lexical.synced() == reopened.revision()
    assert reopened.lexical.documents() == {"kept.txt": "c" * 64}
    assert reopened.lexical.chunk_ids() == {c.id for c in reopened.all_chunks()}
    [(best, score)] = reopened.lexical.search("rockets hydrogen", 1)
    assert best == f"kept.txt#{'c' * 12}#1" and score > 0
    assert best not in {c.id for c in kept}
    assert reopened.lexical.search("rockets", 5, doc_ids=["gone.txt"]) == []


def test_searches_read_chunks_from_the_lexical_index_exactly_as_stored(
    store: ChunkStore, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Dense and lexical hits come from the lexical index's copy of each chunk, field for
    field what Chroma holds, without a read of Chroma's records."""
    chunks = _write(store, embedder, "doc.txt", "a" * 64)
    monkeypatch.setattr(store, "chunks_by_id", None)
    assert store.lexical.chunks(c.id for c in chunks) == {c.id: c for c in chunks}
    hits = store.query(embedder.embed_query("Rockets burn liquid hydrogen."), 3)
    assert sorted((c for c, _ in hits), key=lambda c: c.index) == chunks


def test_an_index_written_before_chunk_texts_gets_them_when_opened(
    settings: Settings, store: ChunkStore, embedder: Embedder
) -> None:
    chunks = _write(store, embedder, "one.txt", "a" * 64) + _write(
        store, embedder, "two.txt", "b" * 64
    )
    store.lexical.close()
    with sqlite3.connect(store.lexical.path) as db:
        db.execute("ALTER TABLE chunks DROP COLUMN text")
        db.execute("ALTER TABLE chunks DROP COLUMN meta")
        db.execute("DELETE FROM meta WHERE key = 'texts'")
    assert LexicalIndex(store.lexical.path).chunks(c.id for c in chunks) == {}

    reopened = ChunkStore.open(settings)
    assert reopened.lexical.texts_stored()
    assert reopened.lexical.chunks(c.id for c in chunks) == {c.id: c for c in chunks}
    [(best, _)] = reopened.query(embedder.embed_query("Bread rises with yeast."), 1)
    assert best.text == "Bread rises with yeast."


def test_a_lexical_index_behind_the_store_catches_up_by_changed_documents(
    settings: Settings, store: ChunkStore, embedder: Embedder
) -> None:
    _write(store, embedder, "one.txt", "a" * 64)
    _write(store, embedder, "two.txt", "b" * 64)
    store.lexical.path.unlink()
    for suffix in ("-wal", "-shm"):
        store.lexical.path.with_name(store.lexical.path.name + suffix).unlink(missing_ok=True)
    fresh = ChunkStore.open(settings)
    assert fresh.lexical.documents() == {}

    assert fresh.catch_up() is True
    assert fresh.lexical.documents() == {"one.txt": "a" * 64, "two.txt": "b" * 64}
    assert fresh.lexical.chunk_ids() == {c.id for c in fresh.all_chunks()}


def test_remove_deletes_record_and_chunks(store: ChunkStore, embedder: Embedder) -> None:
    _write(store, embedder, "gone.txt", "a" * 64)
    kept = _write(store, embedder, "kept.txt", "b" * 64)

    assert store.remove("gone.txt") is True
    assert store.remove("gone.txt") is False
    assert [r.doc_id for r in store.documents()] == ["kept.txt"]
    assert store.all_chunks() == kept


def test_revision_changes_only_when_documents_change(store: ChunkStore, embedder: Embedder) -> None:
    empty = store.revision()
    _write(store, embedder, "a.txt", "a" * 64)
    one = store.revision()
    assert one != empty and store.revision() == one
    store.remove("a.txt")
    assert store.revision() != one


def test_an_open_store_follows_a_rebuild_made_by_another_store(
    settings: Settings, store: ChunkStore, embedder: Embedder
) -> None:
    _write(store, embedder, "old.txt", "a" * 64)
    before = store.revision()
    other = ChunkStore.open(settings)
    other.reset()
    new = _write(other, embedder, "new.txt", "b" * 64)

    assert store.revision() != before
    assert [r.doc_id for r in store.documents()] == ["new.txt"]
    assert store.all_chunks() == new and store.count() == 3
    assert [c.doc_id for c, _ in store.query(embedder.embed_query("yeast"), 1)] == ["new.txt"]
    assert store.remove("new.txt") is True and other.documents() == []


def test_other_model_or_chunking_on_a_built_index_is_refused(
    settings: Settings, embedder: Embedder
) -> None:
    _write(ChunkStore.open(settings), embedder, "a.txt", "a" * 64)
    other = load_settings(store_dir=settings.store_dir, chunk_size=800)

    with pytest.raises(IndexSettingsMismatch) as caught:
        ChunkStore.open(other).check_settings()
    assert "chunk_size was 1200, now 800" in str(caught.value)
    assert "--rebuild" in str(caught.value)

    rebuilt = ChunkStore.open(other)
    rebuilt.reset()
    rebuilt.check_settings()
    assert rebuilt.documents() == [] and rebuilt.count() == 0
    assert rebuilt.built_with()["chunk_size"] == 800


def test_empty_index_takes_new_settings_without_rebuild(settings: Settings) -> None:
    ChunkStore.open(settings)
    other = load_settings(store_dir=settings.store_dir, embedding_model="some/other-model")
    store = ChunkStore.open(other)
    store.check_settings()
    assert store.built_with()["embedding_model"] == "some/other-model"


def test_embeddings_are_normalised_in_input_order_with_duplicates_embedded_once(
    embedder: Embedder,
) -> None:
    texts = ["short", "a much longer sentence about rockets and fuel", "short"]
    seen: list[tuple[int, int]] = []
    vectors = embedder.embed_documents(texts, lambda done, total: seen.append((done, total)))

    assert len(vectors) == 3 and vectors[0] == vectors[2]
    assert sum(x * x for x in vectors[1]) == pytest.approx(1.0, abs=1e-5)
    assert vectors[0] == pytest.approx(embedder.embed_query("short"), abs=1e-5)
    assert seen == [(2, 2)]


def test_embedder_is_shared_per_model_name(settings: Settings) -> None:
    same = load_settings(store_dir=settings.store_dir)
    assert get_embedder(settings) is get_embedder(same)
    assert get_embedder(settings).name == "all-MiniLM-L6-v2"


def test_missing_embedding_model_is_a_clear_error(tmp_path: Path) -> None:
    embedder = Embedder(str(tmp_path / "no-such-model"))
    with pytest.raises(EmbeddingModelError, match="Cannot load embedding model"):
        embedder.embed_query("hello")


def test_heading_paths_containing_the_separator_round_trip(
    store: ChunkStore, embedder: Embedder
) -> None:
    chunk = replace(_chunks("p.txt", "f" * 64, SPANS)[2], heading_path=("A > B", "C"))
    vectors = embedder.embed_documents([chunk.text])
    store.put([NewVersion(_record("p.txt", "f" * 64, 1), [chunk], vectors)])
    assert store.all_chunks() == [chunk]


def test_readers_see_only_chunks_of_committed_versions(
    store: ChunkStore, embedder: Embedder
) -> None:
    committed = _write(store, embedder, "doc.txt", "a" * 64)
    pending = _chunks("doc.txt", "b" * 64, SPANS)
    _interrupted_run(store, pending, embedder.embed_documents([c.text for c in pending]))

    assert store.all_chunks() == store.chunks_of("doc.txt") == committed
    hits = store.query(embedder.embed_query("Cats purr when content."), 3)
    assert sorted(c.id for c, _ in hits) == sorted(c.id for c in committed)


def test_a_query_is_embedded_on_one_thread_like_a_document(embedder: Embedder) -> None:
    import torch

    threads = torch.get_num_threads()
    query = embedder.embed_query("Rockets burn liquid hydrogen.")
    assert torch.get_num_threads() == threads
    (document,) = embedder.embed_documents(["Rockets burn liquid hydrogen."])
    assert sum(q * d for q, d in zip(query, document, strict=True)) > 0.9999


def test_embeddings_match_plain_float32_sentence_transformers(embedder: Embedder) -> None:
    from sentence_transformers import SentenceTransformer

    from ingest.embedder import resolve_model

    texts = ["Glaciers carve valleys.", "The parliament sits in Edinburgh. " * 20]
    plain = SentenceTransformer(resolve_model(embedder.name), device="cpu")
    expected = plain.encode(texts, normalize_embeddings=True)
    for got, want in zip(embedder.embed_documents(texts), expected, strict=True):
        assert sum(g * w for g, w in zip(got, want, strict=True)) > 0.999


# The lexical index's search ------------------------------------------------------------------

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
REPORTS = 24


def _report(number: int, sentences: list[str], rng: random.Random, digest: str) -> list[Chunk]:
    """Eight chunks of four corpus sentences each; every chunk's title says "Report"."""
    doc_id = f"report-{number:02d}.txt"
    texts = [" ".join(rng.sample(sentences, 4)) for _ in range(8)]
    return [Chunk(doc_id, i, t, 0, len(t), f"Report {number}", doc_id, doc_hash=digest)
            for i, t in enumerate(texts)]  # fmt: skip


@pytest.fixture
def lexical(tmp_path: Path) -> LexicalIndex:
    """A lexical index of corpus sentences, written as ingests write it: some reports are
    replaced by a new version and some removed after they were indexed."""
    text = next(CORPUS.glob("*.md")).read_text(encoding="utf-8")
    sentences = [s for s in re.split(r"(?<=[.!?])\s+|\n+", text) if len(s) > 30]
    rng = random.Random(7)
    index = LexicalIndex(tmp_path / "lexical.sqlite3")
    for number in range(REPORTS):
        index.apply([(f"report-{number:02d}.txt", "a" * 64,
                      _report(number, sentences, rng, "a" * 64))])  # fmt: skip
    index.apply(
        [(f"report-{i:02d}.txt", "b" * 64, _report(i, sentences, rng, "b" * 64)) for i in (3, 9)],
        removed=["report-05.txt", "report-17.txt"],
    )
    return index


def _rank_every_match(
    path: Path, question: str, n: int, doc_ids: list[str] | None = None
) -> list[tuple[str, float]]:
    """The plain query: FTS5 scores every chunk holding any of the question's terms."""
    tokens = question_tokens(question)
    if not tokens:
        return []
    sql = (
        "SELECT chunks.chunk_id, -bm25(chunk_terms) FROM chunk_terms"
        " JOIN chunks ON chunks.row = chunk_terms.rowid WHERE chunk_terms MATCH ?"
    )
    args: list[object] = [match_expression(tokens)]
    if doc_ids is not None:
        sql += " AND chunks.doc_id IN (SELECT value FROM json_each(?))"
        args.append(json.dumps(doc_ids))
    with sqlite3.connect(path) as db:
        rows = db.execute(sql + " ORDER BY bm25(chunk_terms) LIMIT ?", [*args, n]).fetchall()
    return [(str(i), float(s)) for i, s in rows]


QUESTIONS = [
    pytest.param("Which IRL laboratories did the INSIS create abroad?", id="rare-and-common"),
    pytest.param("H2020 framework programme for research", id="a-code"),
    pytest.param("report international INSIS research", id="all-common"),
    pytest.param("report", id="a-term-in-every-chunk"),
    pytest.param("ZQ-9184 international", id="an-unknown-term"),
    pytest.param("what is the", id="stopwords-only"),
]


@pytest.mark.parametrize("question", QUESTIONS)
@pytest.mark.parametrize("n", [1, 3, 10, 200])
@pytest.mark.parametrize("max_ranked", [MAX_RANKED, None])
def test_lexical_search_returns_exactly_what_ranking_every_matching_chunk_returns(
    lexical: LexicalIndex, question: str, n: int, max_ranked: int | None
) -> None:
    """Exact while the index is smaller than the cap on ranked chunks, and without a cap."""
    expected = _rank_every_match(lexical.path, question, n)
    assert lexical.search(question, n, max_ranked=max_ranked) == expected


@pytest.mark.parametrize("question", QUESTIONS)
def test_lexical_search_within_documents_returns_exactly_the_plain_ranking(
    lexical: LexicalIndex, question: str
) -> None:
    for doc_ids in (["report-01.txt", "report-09.txt"], [f"report-{i:02d}.txt" for i in range(12)]):
        for n in (1, 5):
            expected = _rank_every_match(lexical.path, question, n, doc_ids)
            assert lexical.search(question, n, doc_ids) == expected
    assert lexical.search(question, 5, ["report-05.txt"]) == []
    assert lexical.search(question, 5, []) == []


@pytest.fixture
def ranked_passes(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """(candidate terms, question terms) of each ranking pass the lexical search makes."""
    passes: list[tuple[int, int]] = []
    real = LexicalIndex._ranked

    def spy(
        db: sqlite3.Connection,
        tokens: Sequence[str],
        candidates: Sequence[str],
        n: int,
        wanted: list[str] | None,
    ) -> list[tuple[str, float]]:
        passes.append((len(candidates), len(tokens)))
        return real(db, tokens, candidates, n, wanted)

    monkeypatch.setattr(LexicalIndex, "_ranked", staticmethod(spy))
    return passes


def test_lexical_search_ranks_only_chunks_holding_a_rare_term_when_that_is_exact(
    lexical: LexicalIndex, ranked_passes: list[tuple[int, int]]
) -> None:
    question = "Which IRL laboratories did the INSIS create abroad?"
    assert lexical.search(question, 3) == _rank_every_match(lexical.path, question, 3)
    assert ranked_passes and all(candidates < tokens for candidates, tokens in ranked_passes)


def test_lexical_search_ranks_at_most_the_chunks_of_its_rarest_terms_past_the_cap(
    lexical: LexicalIndex, ranked_passes: list[tuple[int, int]]
) -> None:
    """Past MAX_RANKED chunks the top n is the best of the chunks holding the rarest terms:
    still n hits, each scored as the plain ranking scores it."""
    question = "report international INSIS research"
    plain = dict(_rank_every_match(lexical.path, question, 1000))
    hits = lexical.search(question, 3, max_ranked=1)
    assert len(hits) == 3
    assert all(plain[chunk_id] == pytest.approx(score) for chunk_id, score in hits)
    with sqlite3.connect(lexical.path) as db:
        vocab = dict(db.execute("SELECT term, doc FROM chunk_vocab").fetchall())
        counts = {t: vocab.get(t, 0) for t in question_tokens(question)}
        rare_first = sorted(counts, key=lambda t: counts[t])
        ranked = rare_first[
            : next(i for i in range(1, 5) if sum(map(counts.get, rare_first[:i])) >= 3)
        ]
        holding = {
            chunk_id
            for (chunk_id,) in db.execute(
                "SELECT chunks.chunk_id FROM chunk_terms JOIN chunks"
                " ON chunks.row = chunk_terms.rowid WHERE chunk_terms MATCH ?",
                (match_expression(ranked),),
            )
        }
    assert len(holding) < len(plain)
    assert {chunk_id for chunk_id, _ in hits} <= holding
    assert max(candidates for candidates, _ in ranked_passes) == len(ranked) < len(counts)


def _counts(path: Path) -> tuple[dict[str, int], dict[str, int]]:
    """(the index's own term counts, FTS5's vocabulary) of the index at ``path``."""
    with sqlite3.connect(path) as db:
        own = dict(db.execute("SELECT term, chunks FROM term_counts").fetchall())
        vocabulary = dict(db.execute("SELECT term, doc FROM chunk_vocab").fetchall())
    return own, vocabulary


def _note(number: int, text: str) -> tuple[str, str, list[Chunk]]:
    doc_id = f"note-{number}.txt"
    return doc_id, "c" * 64, [Chunk(doc_id, 0, text, 0, len(text), "Note", doc_id)]


def test_term_counts_are_fts5s_own_after_every_kind_of_write(lexical: LexicalIndex) -> None:
    """The search reads how many chunks hold a term from a table every write keeps up to date:
    it must say what FTS5's vocabulary says, after replacements, removals, other
    connections' writes, odd characters and a clear."""
    own, vocabulary = _counts(lexical.path)
    assert own == vocabulary and len(own) > 100
    other = LexicalIndex(lexical.path)
    other.apply([_note(1, "The ZQ-9184 crane, Ærø's café: naïve CAPS x.y_z a+b."),
                 _note(2, "The ZQ-9184 crane was inspected.")])  # fmt: skip
    other.close()
    lexical.apply([_note(2, "Replaced: no crane now.")], removed=["report-01.txt", "note-9.txt"])
    own, vocabulary = _counts(lexical.path)
    assert own == vocabulary and own[question_tokens("ZQ-9184")[0]] == 1
    lexical.clear("rebuilt")
    assert _counts(lexical.path) == ({}, {})


def test_an_index_written_before_term_counts_gets_them_when_opened(
    lexical: LexicalIndex,
) -> None:
    with sqlite3.connect(lexical.path) as db:
        db.execute("DELETE FROM term_counts")
        db.execute("DELETE FROM meta WHERE key = 'term_counts'")
    reopened = LexicalIndex(lexical.path)
    own, vocabulary = _counts(lexical.path)
    assert own == vocabulary and own
    question = "Which IRL laboratories did the INSIS create abroad?"
    assert reopened.search(question, 3) == _rank_every_match(lexical.path, question, 3)


def test_term_counts_and_bounds_hold_for_fts5_after_replacements_and_removals(
    lexical: LexicalIndex,
) -> None:
    """The search relies on the vocabulary's counts being FTS5's own, and on no chunk gaining
    more than ``term_bound`` from a term."""
    with sqlite3.connect(lexical.path) as db:
        rows = db.execute("SELECT max(row) FROM chunks").fetchone()[0]
        terms = [t for q in QUESTIONS for t in question_tokens(str(q.values[0]))]
        for term in dict.fromkeys(terms):
            found = db.execute("SELECT doc FROM chunk_vocab WHERE term = ?", (term,)).fetchone()
            query = "FROM chunk_terms WHERE chunk_terms MATCH ?"
            df = db.execute(f"SELECT count(*) {query}", (f'"{term}"',)).fetchone()[0]
            assert (found[0] if found else 0) == df, term
            if df:
                [best] = db.execute(
                    f"SELECT -bm25(chunk_terms) {query} ORDER BY bm25(chunk_terms) LIMIT 1",
                    (f'"{term}"',),
                ).fetchone()
                assert best < term_bound(df, rows), term


def test_a_chunk_holding_no_essential_term_scores_below_the_threshold() -> None:
    bounds = [5.0, 3.0, 1.0]
    assert essential(bounds, 3.5) == 2  # the last two terms may add up to 4
    assert essential(bounds, 4.5) == 1
    assert essential(bounds, 0.5) == 3
    assert essential(bounds, 10.0) == 0
