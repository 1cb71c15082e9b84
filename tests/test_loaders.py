"""Every format parses to a title, normalised text and structural blocks; bad files say why."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from docs import (
    BAD_FILE_ERRORS,
    DOCX_HEADINGS,
    DOCX_LIST_ITEMS,
    DOCX_TITLE,
    HTML_BOILERPLATE_MARK,
    LATIN1_TEXT,
    PDF_RUNNING_HEADER,
    PDF_SECTIONS,
    PDF_TITLE,
    write_bad_files,
    write_sample_corpus,
)
from ingest.errors import DocumentError
from ingest.loaders import (
    SUPPORTED_EXTENSIONS,
    ParsedDocument,
    is_supported,
    load_document,
    normalise,
)


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_sample_corpus(tmp_path_factory.mktemp("corpus"))


@pytest.fixture(scope="session")
def bad_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_bad_files(tmp_path_factory.mktemp("bad"))


@pytest.fixture(scope="session")
def parsed(corpus: dict[str, Path]) -> dict[str, ParsedDocument]:
    return {name: load_document(path, path.read_bytes()) for name, path in corpus.items()}


def texts_of(doc: ParsedDocument, kind: str) -> list[str]:
    return [doc.text[b.start : b.end] for b in doc.blocks if b.kind == kind]


def test_every_sample_format_is_supported(corpus: dict[str, Path]) -> None:
    assert {p.suffix for p in corpus.values()} == {".txt", ".md", ".html", ".pdf", ".docx"}
    assert set(SUPPORTED_EXTENSIONS) >= {".txt", ".md", ".markdown", ".html", ".htm", ".pdf"}
    assert all(is_supported(p) for p in corpus.values())
    assert is_supported(Path("NOTES.TXT")) and not is_supported(Path("slides.key"))


def test_blocks_are_ordered_trimmed_spans_of_the_text(parsed: dict[str, ParsedDocument]) -> None:
    for name, doc in parsed.items():
        assert doc.blocks, name
        previous_end = 0
        for block in doc.blocks:
            span = doc.text[block.start : block.end]
            assert span and span == span.strip(), name
            assert block.start >= previous_end, name
            previous_end = block.end
        assert doc.text == normalise(doc.text), name


def test_text_in_utf16_latin1_and_windows_line_ends_reads_the_same(
    parsed: dict[str, ParsedDocument],
) -> None:
    assert parsed["notes_utf16.txt"].text == parsed["notes.txt"].text
    assert parsed["windows_lines.txt"].text == parsed["notes.txt"].text
    assert parsed["cafe_latin1.txt"].text == normalise(LATIN1_TEXT)


def test_plain_text_has_list_items_and_a_title_from_the_file_name(
    parsed: dict[str, ParsedDocument],
) -> None:
    doc = parsed["notes.txt"]
    assert doc.title == "Notes"
    assert parsed["cafe_latin1.txt"].title == "Cafe latin1"
    assert texts_of(doc, "list_item") == [
        "- Storm surges remove loose sediment.",
        "- Groynes slow the drift of sand along the shore.",
        "- Vegetation holds the dunes together.",
    ]
    assert not texts_of(doc, "heading")


def test_markdown_headings_give_titles_and_heading_paths(parsed: dict[str, ParsedDocument]) -> None:
    doc = parsed["guide.md"]
    assert doc.title == "Solar Panel Maintenance Guide"
    headings = [b.heading_path for b in doc.blocks if b.kind == "heading"]
    assert headings == [
        ("Solar Panel Maintenance Guide",),
        ("Solar Panel Maintenance Guide", "Cleaning"),
        ("Solar Panel Maintenance Guide", "Cleaning", "Frequency"),
        ("Solar Panel Maintenance Guide", "Inspection"),
        ("Solar Panel Maintenance Guide", "Wiring Faults"),
    ]
    assert "# this comment is code, not a heading" in doc.text
    assert texts_of(doc, "list_item") == [
        "* Use soft brushes only.",
        "* Rinse with deionised water.",
        "+ Never use abrasive detergents.",
        "1. Inspect monthly.",
        "2. Clean every three months.",
        "3) Book a professional check every year.",
    ]
    first_item = next(b for b in doc.blocks if b.kind == "list_item")
    assert first_item.heading_path[-1] == "Cleaning"


def test_html_keeps_only_visible_text(parsed: dict[str, ParsedDocument]) -> None:
    doc = parsed["beekeeping.html"]
    assert doc.title == "Urban Beekeeping Basics"
    assert HTML_BOILERPLATE_MARK not in doc.text
    assert "var " not in doc.text and "color: red" not in doc.text
    assert texts_of(doc, "heading") == [
        "Keeping Bees in the City",
        "Choosing a Site",
        "Seasonal Work",
    ]
    assert texts_of(doc, "list_item") == ["Check local regulations first.", "Tell your neighbours."]
    assert texts_of(doc, "table_row") == [
        "Season: Spring; Task: Inspect the queen",
        "Season: Autumn; Task: Feed sugar syrup",
    ]
    assert texts_of(doc, "quote") == ["Bees do not sting without a reason."]
    assert "Urban hives produce surprisingly good honey." in doc.text


def test_pdf_blocks_carry_one_based_pages_and_bookmarked_headings(
    parsed: dict[str, ParsedDocument],
) -> None:
    doc = parsed["river_report.pdf"]
    assert doc.title == PDF_TITLE
    assert {b.page for b in doc.blocks} == {1, 2, 3}
    for page in (1, 2, 3):
        opener = next(b for b in doc.blocks if doc.text[b.start :].startswith(f"Page {page} opens"))
        assert opener.page == page
    assert texts_of(doc, "heading") == list(PDF_SECTIONS)
    assert "- Oxygen levels stayed stable." in texts_of(doc, "list_item")
    assert all("\n" not in doc.text[b.start : b.end] for b in doc.blocks), "lines are re-joined"
    assert PDF_RUNNING_HEADER not in doc.text and "Page 2 of 3" not in doc.text


def test_docx_headings_lists_and_tables_come_from_styles(parsed: dict[str, ParsedDocument]) -> None:
    doc = parsed["garden.docx"]
    assert doc.title == DOCX_TITLE
    assert texts_of(doc, "heading") == [DOCX_TITLE, *DOCX_HEADINGS]
    assert texts_of(doc, "list_item") == [*DOCX_LIST_ITEMS, "Bring your own seeds."]
    assert texts_of(doc, "table_row") == ["Tool: Spade; Count: 4"]
    rules = next(b for b in doc.blocks if b.kind == "list_item")
    assert rules.heading_path == (DOCX_TITLE, DOCX_HEADINGS[0], DOCX_HEADINGS[1])
    assert "Tools are kept in the shed. The key hangs by the gate." in doc.text


@pytest.mark.parametrize(("name", "message"), BAD_FILE_ERRORS.items(), ids=list(BAD_FILE_ERRORS))
def test_each_bad_input_gets_its_specific_error(
    name: str, message: str, bad_files: dict[str, Path]
) -> None:
    path = bad_files[name]
    with pytest.raises(DocumentError) as raised:
        load_document(path, path.read_bytes())
    assert message in str(raised.value)


def test_a_zip_that_is_not_a_docx_gets_a_clear_error(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a Word document")
    with pytest.raises(DocumentError, match="file is not a valid Word .docx file"):
        load_document(tmp_path / "fake.docx", buffer.getvalue())


def test_a_file_without_extension_is_refused_by_name() -> None:
    with pytest.raises(DocumentError, match="^no file extension; citewise reads .*\\.txt"):
        load_document(Path("README"), b"hello")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("e\u0301te\u0301", "\u00e9t\u00e9", id="NFC"),
        pytest.param("a\r\nb\rc", "a\nb\nc", id="line ends"),
        pytest.param("a\tb\u00a0c", "a b c", id="tabs and nbsp become spaces"),
        pytest.param("a   \nb  ", "a\nb", id="trailing spaces go"),
        pytest.param("a\n\n\n\n b", "a\n\n b", id="at most one blank line"),
        pytest.param("\ufeffa\u200bb\x07", "ab", id="BOM, zero-width and control characters go"),
    ],
)
def test_normalise(raw: str, expected: str) -> None:
    assert normalise(raw) == expected


def test_markdown_without_heading_is_titled_from_the_file_name() -> None:
    doc = load_document(Path("/x/solar-panel_notes.md"), b"Just a paragraph.\n")
    assert doc.title == "Solar panel notes"
