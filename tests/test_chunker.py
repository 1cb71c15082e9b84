"""Chunks follow the document's structure and always point at its exact text."""

from __future__ import annotations

import bisect
from pathlib import Path

import pytest
from paths import ROOT

from docs import long_markdown, write_sample_corpus
from ingest.chunker import chunk_document
from ingest.loaders import ParsedDocument, load_document
from ingest.records import Chunk
from ingest.text.sentences import sentence_spans

SIZES = [(1200, 200), (400, 150), (200, 0)]


@pytest.fixture(scope="session")
def documents(tmp_path_factory: pytest.TempPathFactory) -> dict[str, ParsedDocument]:
    folder = tmp_path_factory.mktemp("chunk-corpus")
    paths = write_sample_corpus(folder)
    paths["insis.md"] = next((ROOT / "corpus").glob("*.md"))
    long_doc = folder / "long_handbook.md"
    long_doc.write_text(long_markdown(sections=6, paragraphs=5))
    paths["long_handbook.md"] = long_doc
    return {name: load_document(path, path.read_bytes()) for name, path in paths.items()}


DOC_NAMES = [
    "notes.txt",
    "notes_utf16.txt",
    "cafe_latin1.txt",
    "windows_lines.txt",
    "guide.md",
    "beekeeping.html",
    "river_report.pdf",
    "garden.docx",
    "insis.md",
    "long_handbook.md",
]
CASES = [
    pytest.param(name, size, overlap, id=f"{name}-{size}/{overlap}")
    for name in DOC_NAMES
    for size, overlap in SIZES
]


def chunks_of(doc: ParsedDocument, size: int, overlap: int) -> list[Chunk]:
    return chunk_document(doc, "doc-id", "/src/doc", size, overlap)


def block_at(doc: ParsedDocument, offset: int) -> int:
    return bisect.bisect_right([b.start for b in doc.blocks], offset) - 1


def boundaries(doc: ParsedDocument) -> tuple[set[int], set[int], dict[int, int]]:
    """Sentence starts, sentence ends, and the length of the sentence around each offset."""
    starts, ends, long_sentences = set(), set(), {}
    for block in doc.blocks:
        for a, b in sentence_spans(doc.text, block.start, block.end):
            starts.add(a)
            ends.add(b)
            long_sentences[a] = b - a
    return starts, ends, long_sentences


@pytest.mark.parametrize(("name", "size", "overlap"), CASES)
def test_every_chunk_is_the_exact_document_text_and_fits(
    documents: dict[str, ParsedDocument], name: str, size: int, overlap: int
) -> None:
    doc = documents[name]
    chunks = chunks_of(doc, size, overlap)
    assert chunks
    assert [c.index for c in chunks] == list(range(len(chunks)))
    for chunk in chunks:
        assert doc.text[chunk.start : chunk.end] == chunk.text
        assert 0 < len(chunk.text) <= size
        assert (chunk.doc_id, chunk.source, chunk.title) == ("doc-id", "/src/doc", doc.title)
    assert all(
        a.start < b.start and a.end < b.end for a, b in zip(chunks, chunks[1:], strict=False)
    )


@pytest.mark.parametrize(("name", "size", "overlap"), CASES)
def test_chunks_start_and_end_on_sentence_boundaries(
    documents: dict[str, ParsedDocument], name: str, size: int, overlap: int
) -> None:
    doc = documents[name]
    starts, ends, lengths = boundaries(doc)
    sentence_starts = sorted(starts)
    for chunk in chunks_of(doc, size, overlap):
        around = sentence_starts[bisect.bisect_right(sentence_starts, chunk.start) - 1]
        if lengths[around] > size:
            continue  # a sentence longer than a chunk is cut between words, as a last resort
        assert chunk.start in starts, chunk.text[:60]
        assert chunk.end in ends, chunk.text[-60:]


@pytest.mark.parametrize(("name", "size", "overlap"), CASES)
def test_overlap_is_whole_sentences_of_the_same_section(
    documents: dict[str, ParsedDocument], name: str, size: int, overlap: int
) -> None:
    doc = documents[name]
    starts, ends, _ = boundaries(doc)
    chunks = chunks_of(doc, size, overlap)
    for previous, chunk in zip(chunks, chunks[1:], strict=False):
        if chunk.start >= previous.end:
            continue
        assert overlap > 0
        assert chunk.start in starts and previous.end in ends
        assert previous.end - chunk.start <= overlap
        assert chunk.start > previous.start
        shared = doc.blocks[block_at(doc, chunk.start) : block_at(doc, previous.end) + 1]
        assert all(b.kind != "heading" for b in shared)
        assert len({b.heading_path for b in shared}) == 1


@pytest.mark.parametrize(("name", "size", "overlap"), CASES)
def test_a_heading_opens_its_chunk_with_the_content_under_it(
    documents: dict[str, ParsedDocument], name: str, size: int, overlap: int
) -> None:
    doc = documents[name]
    for chunk in chunks_of(doc, size, overlap):
        kinds = [
            doc.blocks[i].kind
            for i in range(block_at(doc, chunk.start), block_at(doc, chunk.end - 1) + 1)
        ]
        content_seen = False
        for kind in kinds:
            assert not (kind == "heading" and content_seen), chunk.text[:80]
            content_seen = content_seen or kind != "heading"


@pytest.mark.parametrize(("name", "size", "overlap"), CASES)
def test_blocks_that_fit_are_kept_whole(
    documents: dict[str, ParsedDocument], name: str, size: int, overlap: int
) -> None:
    doc = documents[name]
    chunks = chunks_of(doc, size, overlap)
    for index, block in enumerate(doc.blocks):
        if block.end - block.start > size or block.kind == "heading":
            continue
        whole = any(c.start <= block.start and block.end <= c.end for c in chunks)
        after_heading = index > 0 and doc.blocks[index - 1].kind == "heading"
        # Only a block that cannot share a chunk with the heading above it is split.
        assert whole or after_heading, doc.text[block.start : block.end][:80]


@pytest.mark.parametrize(("name", "size", "overlap"), CASES)
def test_chunk_metadata_comes_from_its_first_block(
    documents: dict[str, ParsedDocument], name: str, size: int, overlap: int
) -> None:
    doc = documents[name]
    for chunk in chunks_of(doc, size, overlap):
        first = block_at(doc, chunk.start)
        assert chunk.page == doc.blocks[first].page
        inside = [b.heading_path for b in doc.blocks[first:] if b.start < chunk.end]
        assert chunk.heading_path in inside


def test_pdf_chunks_know_their_pages(documents: dict[str, ParsedDocument]) -> None:
    chunks = chunks_of(documents["river_report.pdf"], 400, 100)
    assert {c.page for c in chunks} == {1, 2, 3}
    assert chunks[0].page == 1 and chunks[-1].page == 3


def test_a_chunk_opening_with_nested_headings_gets_the_deepest_path(
    documents: dict[str, ParsedDocument],
) -> None:
    doc = documents["insis.md"]
    chunk = next(c for c in chunks_of(doc, 1200, 200) if c.text.startswith("## International"))
    assert (
        chunk.heading_path[-1]
        == "A discipline which is strongly involved in major societal challenges"
    )


def test_a_sentence_longer_than_a_chunk_is_cut_between_words() -> None:
    words = " ".join(f"word{i}" for i in range(400))
    text = f"# Long\n\n{words}. Short end."
    doc = load_document(Path("long.md"), text.encode())
    chunks = chunks_of(doc, 200, 50)
    for chunk in chunks:
        assert len(chunk.text) <= 200
        assert chunk.start == 0 or text[chunk.start - 1] in " \n"
        assert chunk.end == len(text) or text[chunk.end] in " \n"
    assert "Short end." in chunks[-1].text


def test_a_word_longer_than_a_chunk_is_cut_hard() -> None:
    text = "Start. " + "x" * 500 + " end."
    doc = load_document(Path("blob.txt"), text.encode())
    chunks = chunks_of(doc, 200, 0)
    assert all(len(c.text) <= 200 and doc.text[c.start : c.end] == c.text for c in chunks)
    assert "".join(c.text for c in chunks).replace(" ", "") == text.replace(" ", "")


def test_short_sections_are_not_padded_with_overlap(documents: dict[str, ParsedDocument]) -> None:
    doc = documents["guide.md"]
    chunks = chunks_of(doc, 1200, 200)
    assert [c.text.split("\n")[0] for c in chunks] == [
        "# Solar Panel Maintenance Guide",
        "## Cleaning",
        "### Frequency",
        "## Inspection",
        "Wiring Faults",
    ]
    assert all(a.end <= b.start for a, b in zip(chunks, chunks[1:], strict=False))


def test_a_document_without_blocks_has_no_chunks() -> None:
    assert chunk_document(ParsedDocument("t", "", []), "d", "s", 1200, 200) == []
