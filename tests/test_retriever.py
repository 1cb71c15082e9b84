"""Hybrid retrieval on real indexes: the real embedding model, real Chroma, real ingestion."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from parts import PartsFor

from app.composition import Models
from ingest.errors import QueryError
from ingest.settings import Settings, load_settings
from ingest.store import ChunkStore
from ingest.sync import sync_paths
from retriever.hybrid import HybridRetriever
from retriever.langchain import CitewiseRetriever
from retriever.passage import Passage

PUMP_NOTES = {
    "pump-maintenance.txt": "The coolant pump was serviced after the vibration alarm. Technicians "
    "replaced the impeller and checked the seals of the pump housing.",
    "pump-failures.txt": "Pump failures usually start with worn bearings. A pump that vibrates "
    "should be stopped before the shaft is damaged.",
    "pump-selection.txt": "Centrifugal pumps suit clean water; positive displacement pumps "
    "handle viscous fluids. The pump curve shows flow against head.",
    "bakery.txt": "Inventory of the bakery on Rue Mouffetard: forty baguettes, twelve croissants "
    "and one oven with the asset tag ZQ-9184 bought in 2011.",
    "felines.txt": "Felines sleep most of the day and hunt at dusk, stalking small rodents.",
    "rivers.txt": "The Loire is the longest river in France. It flows from the Massif Central "
    "to the Atlantic Ocean at Saint-Nazaire.",
}


def write(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


RetrieverFor = Callable[..., HybridRetriever]


@pytest.fixture
def retriever_for(models: Models) -> RetrieverFor:
    """A retriever on ``settings`` with ``overrides`` of its search settings."""

    def retriever(settings: Settings, **overrides: object) -> HybridRetriever:
        tuned = settings.model_copy(update=overrides)
        return HybridRetriever(ChunkStore.open(settings), models.embedder(settings), tuned)

    return retriever


def store_ids(retriever: HybridRetriever) -> set[str]:
    assert isinstance(retriever.store, ChunkStore)
    return {c.id for c in retriever.store.all_chunks()}


def doc_ids_of(passages: list[Passage]) -> list[str]:
    return [p.doc_id for p in passages]


@pytest.fixture(scope="module")
def notes_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    root = tmp_path_factory.mktemp("notes")
    settings = load_settings(store_dir=root / "store")
    report = sync_paths([write(root / "notes", PUMP_NOTES)], settings)
    assert not report.failed and report.added == len(PUMP_NOTES)
    return settings


def test_a_rare_code_found_only_lexically_still_ranks(
    notes_settings: Settings, retriever_for: RetrieverFor
) -> None:
    retriever = retriever_for(notes_settings, candidates=2)
    passages = retriever.search("Is ZQ-9184 a compressor?", k=2)
    [found] = [p for p in passages if p.doc_id == "bakery.txt"]
    assert found.dense_score is None and found.lexical_score is not None
    assert passages.index(found) <= 1
    assert found.similarity is not None and -1.0 <= found.similarity <= 1.0


def test_every_passage_carries_its_similarity_to_the_question(
    notes_settings: Settings, retriever_for: RetrieverFor
) -> None:
    passages = retriever_for(notes_settings).search("When do cats chase prey?", k=3)
    assert all(p.similarity is not None for p in passages)
    assert all(p.similarity == p.dense_score for p in passages if p.dense_score is not None)


def test_a_paraphrase_found_only_densely_still_ranks(
    notes_settings: Settings, retriever_for: RetrieverFor
) -> None:
    retriever = retriever_for(notes_settings)
    passages = retriever.search("When do cats chase prey?", k=3)
    assert passages[0].doc_id == "felines.txt"
    assert passages[0].dense_score is not None and passages[0].lexical_score is None


def test_passages_carry_scores_and_chunk_metadata(
    notes_settings: Settings, retriever_for: RetrieverFor
) -> None:
    [passage] = retriever_for(notes_settings).search("longest river in France", k=1)
    assert passage.doc_id == "rivers.txt" and passage.source.endswith("rivers.txt")
    assert passage.title and passage.heading_path == () and passage.page is None
    assert passage.dense_score and passage.lexical_score and passage.fused_score > 0
    assert passage.chunk_ids and passage.text == PUMP_NOTES["rivers.txt"]


def test_search_is_limited_to_the_documents_asked_for(
    notes_settings: Settings, retriever_for: RetrieverFor
) -> None:
    retriever = retriever_for(notes_settings)
    question = "pump vibration"
    assert set(doc_ids_of(retriever.search(question, k=5, doc_ids=["rivers.txt"]))) == {
        "rivers.txt"
    }
    wanted = {"bakery.txt", "felines.txt"}
    assert set(doc_ids_of(retriever.search(question, k=5, doc_ids=wanted))) <= wanted
    assert retriever.search(question, doc_ids=[]) == []
    assert retriever.search(question, doc_ids=["no-such-doc.txt"]) == []


@pytest.mark.parametrize("question", ["", "   \n\t "], ids=["empty", "whitespace-only"])
def test_an_empty_question_is_refused_with_a_clear_error(
    notes_settings: Settings, question: str, retriever_for: RetrieverFor
) -> None:
    with pytest.raises(QueryError, match="The question is empty"):
        retriever_for(notes_settings).search(question)


def test_a_very_long_question_is_cut_and_still_answered(
    notes_settings: Settings, retriever_for: RetrieverFor
) -> None:
    question = "Where does the Loire flow? " + "pump " * 2500
    assert len(question) > 10_000
    passages = retriever_for(notes_settings).search(question, k=2)
    assert passages and all(isinstance(p, Passage) for p in passages)


def test_the_lexical_index_follows_add_change_remove_and_a_rebuild_elsewhere(
    settings: Settings, tmp_path: Path, retriever_for: RetrieverFor
) -> None:
    folder = write(
        tmp_path / "docs", {"a.txt": "Ostriches cannot fly.", "b.txt": "Kiwis lay huge eggs."}
    )
    sync_paths([folder], settings)
    retriever = retriever_for(settings)
    assert doc_ids_of(retriever.search("ostriches", k=1)) == ["a.txt"]
    assert retriever.lexical.chunk_ids == store_ids(retriever)

    write(folder, {"c.txt": "Penguins swim in the Antarctic ocean with code PX-42."})
    sync_paths([folder], settings)
    assert doc_ids_of(retriever.search("PX-42", k=1)) == ["c.txt"]
    assert retriever.lexical.chunk_ids == store_ids(retriever) and len(store_ids(retriever)) == 3

    write(folder, {"a.txt": "Emus run fast across Australia."})
    sync_paths([folder], settings)
    assert retriever.lexical.search("ostriches", 5) == []
    assert doc_ids_of(retriever.search("emus", k=1)) == ["a.txt"]
    assert retriever.lexical.chunk_ids == store_ids(retriever)

    (folder / "b.txt").unlink()
    sync_paths([folder], settings)
    assert "b.txt" not in doc_ids_of(retriever.search("kiwis eggs", k=5))
    assert retriever.lexical.chunk_ids == store_ids(retriever) and len(store_ids(retriever)) == 2

    sync_paths([folder], settings, rebuild=True)
    assert doc_ids_of(retriever.search("PX-42", k=1)) == ["c.txt"]
    assert retriever.lexical.chunk_ids == store_ids(retriever)


def test_the_first_search_after_the_lexical_index_is_lost_finds_dense_hits_too(
    settings: Settings, tmp_path: Path, retriever_for: RetrieverFor
) -> None:
    """Dense hits are read from the lexical index, so it must be back before they are."""
    folder = write(
        tmp_path / "docs", {"a.txt": "Ostriches cannot fly.", "b.txt": "Kiwis lay eggs."}
    )
    sync_paths([folder], settings)
    lexical = ChunkStore.open(settings).lexical
    lexical.close()
    for suffix in ("", "-wal", "-shm"):
        lexical.path.with_name(lexical.path.name + suffix).unlink(missing_ok=True)
    retriever = retriever_for(settings, lexical_weight=0.0)
    assert doc_ids_of(retriever.search("Which bird is unable to take off?", k=1)) == ["a.txt"]


@pytest.mark.slow
def test_the_lexical_index_follows_a_chroma_server(
    chroma_server: str, tmp_path: Path, retriever_for: RetrieverFor
) -> None:
    settings = load_settings(chroma_url=chroma_server, store_dir=tmp_path / "unused")
    folder = write(tmp_path / "docs", {"a.txt": "Ostriches cannot fly."})
    sync_paths([folder], settings)
    retriever = retriever_for(settings)
    assert doc_ids_of(retriever.search("ostriches", k=1)) == ["a.txt"]
    write(folder, {"b.txt": "Kiwis lay huge eggs, code KW-7."})
    sync_paths([folder], settings)
    assert doc_ids_of(retriever.search("KW-7", k=1)) == ["b.txt"]
    assert retriever.lexical.chunk_ids == store_ids(retriever) and len(store_ids(retriever)) == 2


INSIS_QUESTIONS = [
    "How many international research laboratories does the INSIS pilot?",
    "What does the ERC unit set up in 2014 do?",
    "Horizon 2020 projects coordinated",
    "international collaborations countries",
]


@pytest.mark.parametrize("widen", [0, 2], ids=["as-found", "widened"])
def test_returned_passages_are_exact_spans_that_never_overlap(
    insis_settings: Settings, widen: int, parts_for: PartsFor
) -> None:
    retriever = parts_for(insis_settings).retriever
    for question in INSIS_QUESTIONS:
        passages = retriever.search(question, k=10, widen=widen)
        assert passages
        for p in passages:
            record = retriever.store.document(p.doc_id)
            assert record is not None
            assert record.text[p.start : p.end] == p.text
            if not widen:
                assert len(p.text) <= insis_settings.chunk_size
        spans = sorted((p.doc_id, p.start, p.end) for p in passages)
        for (doc_a, _, end_a), (doc_b, start_b, _) in zip(spans, spans[1:], strict=False):
            assert doc_a != doc_b or end_a <= start_b


def test_widening_adds_sentences_around_the_passage(
    insis_settings: Settings, parts_for: PartsFor
) -> None:
    retriever = parts_for(insis_settings).retriever
    [narrow] = retriever.search("When was ElyT-MaX created?", k=1)
    [wide] = retriever.search("When was ElyT-MaX created?", k=1, widen=2)
    assert wide.start <= narrow.start and wide.end >= narrow.end
    assert len(wide.text) > len(narrow.text) and narrow.text in wide.text


def test_a_french_question_finds_shared_names_and_numbers(
    insis_settings: Settings, parts_for: PartsFor
) -> None:
    [passage] = parts_for(insis_settings).retriever.search("Quand ElyT-MaX a-t-il été créé ?", k=1)
    assert "ElyT-MaX was created" in passage.text and passage.lexical_score


def test_the_langchain_retriever_returns_documents_with_metadata(
    insis_settings: Settings,
) -> None:
    retriever = CitewiseRetriever.from_settings(insis_settings, k=2)
    documents = retriever.invoke("When was ElyT-MaX created?")
    assert len(documents) == 2
    first = documents[0]
    assert "ElyT-MaX" in first.page_content
    assert first.metadata["doc_id"] == "cnrs-insis-international.md"
    assert set(first.metadata) >= {
        "start",
        "end",
        "heading_path",
        "page",
        "fused_score",
        "dense_score",
        "lexical_score",
        "chunk_ids",
    }
