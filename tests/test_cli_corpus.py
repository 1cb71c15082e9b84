"""``citewise ingest``, ``docs`` and ``remove``: output lines and exit codes."""

from __future__ import annotations

import io
from pathlib import Path
from unittest import mock

import pytest
from click.testing import CliRunner, Result

from app.cli import cli
from ingest.loaders import unsupported_reason

GOOD = "Glaciers carve valleys over thousands of years.\n"


def _run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def _encrypted_pdf() -> bytes:
    from fpdf import FPDF
    from pypdf import PdfReader, PdfWriter

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text="Secret glacier notes.")
    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(bytes(pdf.output()))))
    writer.encrypt("password")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


BAD_FILES = [
    pytest.param("empty.txt", b"", id="empty file"),
    pytest.param("binary.txt", bytes(range(256)) * 8, id="binary file with a text extension"),
    pytest.param("truncated.pdf", b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog", id="truncated pdf"),
    pytest.param("locked.pdf", None, id="encrypted pdf"),
]


@pytest.mark.parametrize(("name", "data"), BAD_FILES)
def test_a_bad_file_gets_one_line_and_the_others_are_ingested(
    name: str, data: bytes | None, tmp_path: Path
) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "good.txt").write_text(GOOD)
    (folder / name).write_bytes(_encrypted_pdf() if data is None else data)

    result = _run("ingest", str(folder), "--store", str(tmp_path / "store"))

    assert result.exit_code == 1
    [line] = result.stderr.splitlines()
    assert line.startswith(f"{folder / name}: ") and len(line) > len(f"{folder / name}: ") + 5
    assert result.stdout.splitlines() == [
        "added good.txt (1 chunk)",
        "added 1, updated 0, unchanged 0, removed 0, failed 1, skipped 0; 1 chunk written",
    ]


def test_invalid_utf8_text_is_still_ingested(tmp_path: Path) -> None:
    (tmp_path / "latin.txt").write_bytes("Café crème brûlée à la française.\n".encode("cp1252"))
    result = _run("ingest", str(tmp_path / "latin.txt"), "--store", str(tmp_path / "store"))
    assert result.exit_code == 0, result.output
    assert "added latin.txt (1 chunk)" in result.stdout


def test_missing_path_oversized_and_unreadable_files_are_reported(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "good.txt").write_text(GOOD)
    (folder / "big.txt").write_text("Large. " * 300)
    (folder / "locked.txt").write_text(GOOD)
    (folder / "notes.xyz").write_text(GOOD)
    real_read = Path.read_bytes

    def read_bytes(path: Path) -> bytes:
        if path.name == "locked.txt":
            raise PermissionError(13, "Permission denied", str(path))
        return real_read(path)

    # Running as root, chmod 000 does not stop reading, so the refusal is simulated.
    with (
        mock.patch.object(Path, "read_bytes", read_bytes),
        mock.patch.dict("os.environ", {"CITEWISE_MAX_FILE_MB": "0.001"}),
    ):
        result = _run(
            "ingest", str(folder), str(tmp_path / "nowhere"), "--store", str(tmp_path / "s")
        )

    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{tmp_path / 'nowhere'}: no such file or folder",
        f"{folder / 'big.txt'}: file is 0.0 MB, over the 0.001 MB limit "
        "(setting max_file_mb, env CITEWISE_MAX_FILE_MB)",
        f"{folder / 'locked.txt'}: cannot read file: Permission denied",
    ]
    assert result.stdout.splitlines() == [
        f"{folder / 'notes.xyz'}: skipped ({unsupported_reason(Path('notes.xyz'))})",
        "added good.txt (1 chunk)",
        "added 1, updated 0, unchanged 0, removed 0, failed 3, skipped 1; 1 chunk written",
    ]


def test_docs_lists_and_remove_deletes_documents(tmp_path: Path) -> None:
    store = str(tmp_path / "store")
    (tmp_path / "glaciers.txt").write_text(GOOD)
    assert _run("ingest", str(tmp_path / "glaciers.txt"), "--store", store).exit_code == 0

    header, row = _run("docs", "--store", store).stdout.splitlines()
    assert header.split() == ["ID", "TITLE", "CHUNKS", "INGESTED"]
    assert row.split()[:3] == ["glaciers.txt", "Glaciers", "1"]

    removed = _run("remove", "glaciers.txt", "--store", store)
    assert (removed.exit_code, removed.stdout) == (0, "removed glaciers.txt\n")
    assert _run("docs", "--store", store).stdout == (
        "The index is empty. Add documents with: citewise ingest PATH...\n"
    )
    again = _run("remove", "glaciers.txt", "--store", store)
    assert again.exit_code == 1
    assert again.stderr == (
        "Error: No document with id 'glaciers.txt' in the index "
        "(run 'citewise docs' to see the ids)\n"
    )


def test_changed_settings_are_refused_until_rebuild(tmp_path: Path) -> None:
    store = str(tmp_path / "store")
    (tmp_path / "a.txt").write_text(GOOD)
    _run("ingest", str(tmp_path / "a.txt"), "--store", store)

    with mock.patch.dict("os.environ", {"CITEWISE_CHUNK_SIZE": "600"}):
        refused = _run("ingest", str(tmp_path / "a.txt"), "--store", store)
        rebuilt = _run("ingest", str(tmp_path / "a.txt"), "--store", store, "--rebuild")

    assert refused.exit_code == 1
    assert "chunk_size was 1200, now 600" in refused.stderr
    assert "re-run with --rebuild" in refused.stderr
    assert (rebuilt.exit_code, rebuilt.stdout.splitlines()[0]) == (0, "added a.txt (1 chunk)")


def test_ingest_help_gives_examples_and_settings() -> None:
    text = _run("ingest", "--help").stdout
    assert "citewise ingest corpus/" in text and "CITEWISE_" in text and "--rebuild" in text
