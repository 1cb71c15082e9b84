"""ChunkStore and Embedder on a real embedded Chroma and the real packaged model; the lexical
index's search and its postings after every kind of write."""

from __future__ import annotations

import json
import random
import re
import shutil
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest
from paths import CORPUS

from app.composition import Models
from ingest.embedder import Embedder
from ingest.errors import EmbeddingModelError, IndexSettingsMismatch, StoreError
from ingest.lexical_index import LexicalIndex, chunk_terms, question_tokens
from ingest.records import Chunk, DocumentRecord, chunk_from
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
    store._log.journal(sorted({c.doc_id for c in chunks}))
    store._catalog.add_chunks(chunks, vectors)


@pytest.fixture
def store(settings: Settings) -> ChunkStore:
    return ChunkStore.open(settings)


@pytest.fixture
def embedder(settings: Settings, models: Models) -> Embedder:
    return models.embedder(settings)


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
    store._catalog.commit([_record("short.txt", "e" * 64, 3)])

    assert store.repair() == {"short.txt"}
    short = {f"short.txt#{'e' * 12}#{i}" for i in range(2)}
    assert {c.id for c in store.stored_chunks()} == {c.id for c in committed} | short
    assert store.lexical.chunk_ids() == {c.id for c in committed} | short
    assert store.repair() == set()


def test_repair_without_an_interrupted_run_reads_no_chunk(
    store: ChunkStore, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(store, embedder, "kept.txt", "a" * 64)
    monkeypatch.setattr(store._catalog, "stored_of", None)
    monkeypatch.setattr(store._catalog, "all_hashes", None)
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


def test_a_lost_lexical_index_is_rebuilt_from_the_records_when_the_store_opens(
    settings: Settings, store: ChunkStore, embedder: Embedder
) -> None:
    _write(store, embedder, "one.txt", "a" * 64)
    _write(store, embedder, "two.txt", "b" * 64)
    store.lexical.path.unlink()
    for suffix in ("-wal", "-shm"):
        store.lexical.path.with_name(store.lexical.path.name + suffix).unlink(missing_ok=True)
    fresh = ChunkStore.open(settings)

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
    models = Models()
    same = load_settings(store_dir=settings.store_dir)
    assert models.embedder(settings) is models.embedder(same)
    assert models.embedder(settings).name == "all-MiniLM-L6-v2"


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


# The lexical index's search ------------------------------------------------------------------

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


def _holding(lexical: LexicalIndex, question: str) -> dict[str, str]:
    """chunk id -> doc id of every indexed chunk holding one of the question's terms."""
    tokens = set(question_tokens(question))
    with sqlite3.connect(lexical.path) as db:
        rows = db.execute("SELECT chunk_id, doc_id, text, meta FROM chunks").fetchall()
    return {
        str(i): str(d)
        for i, d, text, meta in rows
        if tokens & set(chunk_terms(chunk_from(text, json.loads(meta))).split())
    }


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
def test_lexical_search_returns_n_chunks_holding_a_question_term_best_first(
    lexical: LexicalIndex, question: str, n: int
) -> None:
    holding = _holding(lexical, question)
    hits = lexical.search(question, n)
    assert len(hits) == min(n, len(holding))
    assert {chunk_id for chunk_id, _ in hits} <= set(holding)
    scores = [score for _, score in hits]
    assert scores == sorted(scores, reverse=True) and all(score > 0 for score in scores)


def test_lexical_search_ranks_rare_terms_and_repeated_terms_higher(tmp_path: Path) -> None:
    """BM25: a chunk holding the question's rare term beats chunks holding its common ones,
    and among chunks of one length, the one repeating a term beats the one saying it once."""
    index = LexicalIndex(tmp_path / "lexical.sqlite3")
    texts = {
        "rare": "The ZQ-9184 crane lifts steel beams.",
        "common": "Steel beams arrive by steel trucks.",
        "once": "Cranes lift loads on building sites today.",
        "twice": "Cranes lift loads; cranes stand on sites.",
        **{f"filler-{i}": f"Steel beams were counted on day {i}." for i in range(8)},
    }
    index.apply([_note_named(name, text) for name, text in texts.items()])
    assert _doc(index.search("steel ZQ-9184", 1)) == ["rare"]
    assert _doc(index.search("cranes", 2)) == ["twice", "once"]


def _note_named(name: str, text: str) -> tuple[str, str, list[Chunk]]:
    doc_id = f"{name}.txt"
    return doc_id, "c" * 64, [Chunk(doc_id, 0, text, 0, len(text), "Note", doc_id)]


def _ids(hits: list[tuple[str, float]]) -> list[str]:
    return [chunk_id for chunk_id, _ in hits]


def _doc(hits: list[tuple[str, float]]) -> list[str]:
    return [chunk_id.split(".txt")[0] for chunk_id, _ in hits]


@pytest.mark.parametrize("question", QUESTIONS)
def test_lexical_search_within_documents_is_the_whole_ranking_kept_to_them(
    lexical: LexicalIndex, question: str
) -> None:
    """Scores do not depend on the filter, so the top n of some documents is the whole
    ranking with the other documents' chunks left out."""
    everything = lexical.search(question, 1000)
    for doc_ids in (["report-01.txt", "report-09.txt"], [f"report-{i:02d}.txt" for i in range(12)]):
        kept = [hit for hit in everything if hit[0].split("#")[0] in doc_ids]
        for n in (1, 5):
            hits = lexical.search(question, n, doc_ids)
            assert [i for i, _ in hits] == [i for i, _ in kept[:n]]
            assert [s for _, s in hits] == pytest.approx([s for _, s in kept[:n]])
    assert lexical.search(question, 5, ["report-05.txt"]) == []
    assert lexical.search(question, 5, []) == []


def test_the_postings_follow_every_kind_of_write(lexical: LexicalIndex) -> None:
    """Replacements, removals, another connection's writes (seen here without reopening),
    odd characters and a clear."""
    assert lexical.postings.chunk_ids() == lexical.chunk_ids() and lexical.postings_current()
    other = LexicalIndex(lexical.path)
    other.apply([_note(1, "The ZQ-9184 crane, Ærø's café: naïve CAPS x.y_z a+b."),
                 _note(2, "The ZQ-9184 crane was inspected.")])  # fmt: skip
    other.close()
    assert sorted(_doc(lexical.search("ZQ-9184", 5))) == ["note-1", "note-2"]
    assert _doc(lexical.search("café Ærø", 1)) == ["note-1"]
    lexical.apply([_note(2, "Replaced: no crane now.")], removed=["report-01.txt", "note-9.txt"])
    assert _doc(lexical.search("ZQ-9184", 5)) == ["note-1"]
    assert lexical.search("international", 1000, ["report-01.txt"]) == []
    assert lexical.postings.chunk_ids() == lexical.chunk_ids() and lexical.postings_current()
    lexical.clear("rebuilt")
    assert lexical.postings.chunk_ids() == set() and lexical.search("crane", 5) == []


def test_postings_lost_or_left_by_another_file_are_rebuilt_from_sqlite(
    lexical: LexicalIndex,
) -> None:
    question = "Which IRL laboratories did the INSIS create abroad?"
    expected = lexical.search(question, 5)
    lexical.close()
    assert lexical.postings.folder is not None
    shutil.rmtree(lexical.postings.folder)
    reopened = LexicalIndex(lexical.path)
    assert not reopened.postings_current() and reopened.search(question, 5) == []
    reopened.update_postings()
    # The same chunks; scores move a little, as the replaced chunks no longer count in BM25's
    # statistics, so two chunks within 1% of each other may swap places.
    rebuilt = reopened.search(question, 5)
    assert reopened.postings_current() and sorted(_ids(rebuilt)) == sorted(_ids(expected))
    assert dict(rebuilt) == pytest.approx(dict(expected), rel=0.03)
    reopened.close()

    # A new SQLite file beside the old postings: they are not its own.
    for suffix in ("", "-wal", "-shm"):
        lexical.path.with_name(lexical.path.name + suffix).unlink(missing_ok=True)
    fresh = LexicalIndex(lexical.path)
    assert not fresh.postings_current()
    fresh.update_postings()
    assert fresh.postings.chunk_ids() == set() and fresh.search(question, 5) == []


def test_a_postings_write_that_fails_says_what_to_do_and_is_replayed_later(
    lexical: LexicalIndex,
) -> None:
    """Another writer holds tantivy's lock: the write fails with a message, the record keeps
    the new chunk, and the next update of the postings catches up."""
    import tantivy

    holder = tantivy.Index.open(str(lexical.postings.folder)).writer(num_threads=1)
    with pytest.raises(StoreError, match="Cannot write the lexical postings"):
        lexical.apply([_note(7, "The ZQ-9184 crane was painted.")])
    holder.rollback()
    holder.wait_merging_threads()
    assert "note-7.txt##0" in lexical.chunk_ids() and not lexical.postings_current()
    lexical.update_postings()
    assert lexical.postings_current() and _doc(lexical.search("ZQ-9184", 5)) == ["note-7"]


def _note(number: int, text: str) -> tuple[str, str, list[Chunk]]:
    return _note_named(f"note-{number}", text)
