"""Issue 10: hostile or careless input gets one clear line per file; the rest is ingested.

Each test is one numbered case of the issue, run through the real ``citewise`` command with
the real model and a real Chroma index. Names are shown quoted with escapes when they would
not print on one line (``'bad\\xffbyte.txt'``).
"""

from __future__ import annotations

import io
import os
import re
import sqlite3
import zipfile
import zlib
from pathlib import Path
from unittest import mock

import docx
import pytest
from click.testing import CliRunner, Result
from fpdf import FPDF

from app.cli import cli
from ingest.loaders import load_document
from ingest.settings import load_settings
from ingest.store import ChunkStore

GOOD = "The Auk lighthouse is 30 m tall.\n"
ADDED_GOOD = "added good.txt (1 chunk)"


def _run(*args: str, env: dict[str, str] | None = None) -> Result:
    with mock.patch.dict("os.environ", env or {}):
        return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "d"
    folder.mkdir()
    (folder / "good.txt").write_text(GOOD)
    return folder


def _doc_ids(store: Path) -> set[str]:
    return {r.doc_id for r in ChunkStore.open(load_settings(store_dir=store)).documents()}


def test_a_symlink_loop_gets_one_line_per_link_and_the_rest_is_ingested(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    (folder / "loop_a.txt").symlink_to("loop_b.txt")
    (folder / "loop_b.txt").symlink_to("loop_a.txt")

    result = _run("ingest", str(folder), "--store", str(tmp_path / "s"))

    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{folder / name}: symlink loop; the link leads back to itself"
        for name in ("loop_a.txt", "loop_b.txt")
    ]
    assert result.stdout.splitlines()[0] == ADDED_GOOD
    assert _doc_ids(tmp_path / "s") == {"good.txt"}


def test_names_that_are_not_utf8_are_reported_quoted_and_the_rest_is_ingested(
    tmp_path: Path,
) -> None:
    folder = _folder(tmp_path)
    bad_file = os.fsdecode(b"bad\xffbyte.txt")
    bad_folder = os.fsdecode(b"sub\xfe")
    (folder / bad_file).write_text(GOOD)
    (folder / bad_folder).mkdir()
    (folder / bad_folder / "inside.txt").write_text(GOOD)
    (folder / "zz.txt").write_text("Puffins nest on the cliffs.\n")

    result = _run("ingest", str(folder), "--store", str(tmp_path / "s"))

    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"'{folder}/bad\\xffbyte.txt': name is not valid UTF-8; rename it to ingest it",
        f"'{folder}/sub\\xfe': name is not valid UTF-8; rename it to ingest it",
    ]
    assert _doc_ids(tmp_path / "s") == {"good.txt", "zz.txt"}


def _docx_with_body(body_xml: str) -> bytes:
    """A real .docx (python-docx's template) whose body is ``body_xml``."""
    template = io.BytesIO()
    docx.Document().save(template)
    source = zipfile.ZipFile(template)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "word/document.xml":
                body = f"<w:body>{body_xml}</w:body>".encode()

                def new_body(_: re.Match[bytes], body: bytes = body) -> bytes:
                    return body

                data = re.sub(rb"<w:body>.*</w:body>", new_body, data, flags=re.S)
            target.writestr(item, data)
    return out.getvalue()


def test_docx_paragraph_styles_are_not_looked_up_one_paragraph_at_a_time() -> None:
    paragraph = '<w:p><w:pPr><w:pStyle w:val="Heading1"/></w:pPr><w:r><w:t>Auk</w:t></w:r></w:p>'
    data = _docx_with_body(paragraph + "<w:p><w:r><w:t>Lighthouse.</w:t></w:r></w:p><w:p/>" * 500)
    from docx.styles.styles import Styles

    real = Styles.get_by_id
    with mock.patch.object(Styles, "get_by_id", autospec=True, side_effect=real) as lookups:
        document = load_document(Path("many.docx"), data, max_unzipped_mb=10)

    assert lookups.call_count == 0, "python-docx searched the styles for each paragraph"
    assert [b.kind for b in document.blocks[:2]] == ["heading", "paragraph"]
    assert len(document.blocks) == 501 and document.title == "Auk"


def test_a_docx_that_would_unpack_past_the_limit_is_refused(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    (folder / "bomb.docx").write_bytes(_docx_with_body("<w:p/>" * 400_000))
    assert (folder / "bomb.docx").stat().st_size < 100_000

    result = _run(
        "ingest", str(folder), "--store", str(tmp_path / "s"), env={"CITEWISE_MAX_UNZIPPED_MB": "1"}
    )

    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{folder / 'bomb.docx'}: Word file would unpack to 3.2 MB, over the 1 MB limit "
        "(setting max_unzipped_mb, env CITEWISE_MAX_UNZIPPED_MB)"
    ]
    assert result.stdout.splitlines()[0] == ADDED_GOOD


def _slow_pdf(operators: int) -> bytes:
    """A small PDF whose one page draws ``operators`` text runs: tens of KB compressed,
    half a minute for pypdf to extract."""
    content = zlib.compress(b"BT /F1 12 Tf 72 700 Td " + b"(a) Tj " * operators + b"ET", 9)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(content)
        + content
        + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.write(b"".join(b"%010d 00000 n \n" % offset for offset in offsets))
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\n" % (len(objects) + 1))
    out.write(b"startxref\n%d\n%%%%EOF\n" % xref)
    return out.getvalue()


def test_a_file_taking_longer_than_the_time_limit_is_reported_and_the_run_goes_on(
    tmp_path: Path,
) -> None:
    folder = _folder(tmp_path)
    (folder / "slow.pdf").write_bytes(_slow_pdf(3_000_000))
    (folder / "zz.txt").write_text("Puffins nest on the cliffs.\n")

    result = _run(
        "ingest",
        str(folder),
        "--store",
        str(tmp_path / "s"),
        env={"CITEWISE_MAX_PARSE_SECONDS": "1"},
    )

    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{folder / 'slow.pdf'}: reading the file took longer than 1 s "
        "(setting max_parse_seconds, env CITEWISE_MAX_PARSE_SECONDS)"
    ]
    assert _doc_ids(tmp_path / "s") == {"good.txt", "zz.txt"}


def _one_line_per_page_pdf(lines: list[str]) -> bytes:
    pdf = FPDF()
    pdf.set_font("helvetica", size=12)
    for line in lines:
        pdf.add_page()
        pdf.cell(text=line)
    return bytes(pdf.output())


def test_a_pdf_with_one_short_line_per_page_keeps_every_line(tmp_path: Path) -> None:
    lines = [f"Revenue in {year} was {year - 2011} million euros." for year in range(2021, 2025)]
    (tmp_path / "revenue.pdf").write_bytes(_one_line_per_page_pdf(lines))

    result = _run("ingest", str(tmp_path / "revenue.pdf"), "--store", str(tmp_path / "s"))

    assert (result.exit_code, result.stderr) == (0, "")
    record = ChunkStore.open(load_settings(store_dir=tmp_path / "s")).document("revenue.pdf")
    assert record is not None and record.text.split("\n\n") == lines


def test_a_pdf_of_page_numbers_only_is_not_called_scanned() -> None:
    with pytest.raises(Exception, match="PDF holds only page numbers, no text to index"):
        load_document(Path("numbers.pdf"), _one_line_per_page_pdf(["1", "2", "3"]))


def test_fifos_dangling_links_unreadable_folders_and_newlines_each_get_one_line(
    tmp_path: Path,
) -> None:
    folder = _folder(tmp_path)
    os.mkfifo(folder / "pipe.txt")
    (folder / "gone.txt").symlink_to("nowhere.txt")
    (folder / "locked").mkdir()
    (folder / "locked" / "secret.txt").write_text(GOOD)
    (folder / "two\nlines.txt").write_text("Gannets dive for fish.\n")
    (folder / "two\nlines.pdf").write_bytes(b"not a pdf at all")
    os.mkfifo(tmp_path / "direct.txt")
    real_listdir = os.listdir

    def listdir(path: str | os.PathLike[str]) -> list[str]:
        if Path(path).name == "locked":
            raise PermissionError(13, "Permission denied", str(path))
        return real_listdir(path)

    # Tests run as root, for whom chmod 000 does not stop reading, so the refusal is simulated.
    with mock.patch("os.listdir", listdir):
        result = _run(
            "ingest", str(folder), str(tmp_path / "direct.txt"), "--store", str(tmp_path / "s")
        )

    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{folder / 'gone.txt'}: broken link to 'nowhere.txt'",
        f"{folder / 'locked'}: cannot read folder: Permission denied",
        f"{tmp_path / 'direct.txt'}: a FIFO, not a file",  # named alone: a failure (issue 23)
        f"'{folder}/two\\nlines.pdf': file is damaged or not a PDF "
        "(it may be truncated; try saving it again)",
    ]
    assert result.stdout.splitlines() == [
        f"{folder / 'pipe.txt'}: skipped (a FIFO, not a file)",
        ADDED_GOOD,
        "added 'two\\nlines.txt' (1 chunk)",
        "added 2, updated 0, unchanged 0, removed 0, failed 4, skipped 1; 2 chunks written",
    ]


def test_links_leaving_the_folder_are_skipped_unless_allowed(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    outside = tmp_path / "private" / "passwd.txt"
    outside.parent.mkdir()
    outside.write_text("root:x:0:0:secret user:/root:/bin/bash\n")
    (folder / "passwd.txt").symlink_to(outside)
    (folder / "inside.txt").symlink_to("good.txt")

    refused = _run("ingest", str(folder), "--store", str(tmp_path / "s"))

    assert (refused.exit_code, refused.stderr) == (0, "")
    assert refused.stdout.splitlines()[:3] == [
        f"{folder / 'passwd.txt'}: skipped (link to '{outside}', outside the folder, not "
        "followed; pass --follow-links (setting follow_external_links) to ingest it)",
        ADDED_GOOD,
        "added inside.txt (1 chunk)",
    ]
    assert _doc_ids(tmp_path / "s") == {"good.txt", "inside.txt"}

    allowed = _run("ingest", str(folder), "--store", str(tmp_path / "s"), "--follow-links")
    assert allowed.stdout.splitlines()[0] == "added passwd.txt (1 chunk)"


@pytest.mark.parametrize(
    "command",
    [
        pytest.param(["docs"], id="docs"),
        pytest.param(["remove", "good.txt"], id="remove"),
        pytest.param(["ask", "How tall is the lighthouse?"], id="ask"),
        pytest.param(["eval"], id="eval"),
    ],
)
def test_read_only_commands_on_a_folder_without_an_index_say_so_and_create_nothing(
    command: list[str], tmp_path: Path
) -> None:
    store = tmp_path / "typo"
    if command == ["eval"]:
        store.mkdir()  # eval's --store must exist; it must still hold an index

    result = _run(*command, "--store", str(store))

    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: No index in {store} (build one with 'citewise ingest PATH --store {store}', "
        "or check the --store folder)\n"
    )
    assert list(store.iterdir()) == [] if store.exists() else True


def test_an_index_being_created_by_another_ingest_gets_the_right_hint(tmp_path: Path) -> None:
    """Two ingests creating one store at once: the loser finds Chroma's tables half-made.
    That state is made here for real, as the race leaves it."""
    store = tmp_path / "s"
    store.mkdir()
    with sqlite3.connect(store / "chroma.sqlite3") as db:
        db.execute("CREATE TABLE collections (id TEXT)")
    (tmp_path / "good.txt").write_text(GOOD)

    result = _run("ingest", str(tmp_path / "good.txt"), "--store", str(store))

    assert result.exit_code == 1
    assert "table collections already exists" in result.stderr
    assert "pass another --store" not in result.stderr
    assert result.stderr.endswith(
        "(another citewise command may be creating this index right now: wait for it to "
        "finish and run again; if none is running, move the folder away and ingest again)\n"
    )
