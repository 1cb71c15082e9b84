"""Issue 23: faults outside citewise (a lost server, a full disk, a damaged or read-only index,
hostile paths and costly files) each get one clear line, lose nothing, and are repaired.

Each test is one numbered case of the issue, caused for real where it can be: the ``chroma
run`` process is killed, the disk is a small tmpfs that fills up, index files are truncated,
the store is remounted read-only. Mounting needs root; where it is refused the test says so.
"""

from __future__ import annotations

import contextlib
import os
import random
import sqlite3
import string
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import pytest
from click.testing import CliRunner, Result
from local_server import free_port, serving
from paths import ROOT

from app.cli import cli
from ingest.errors import DocumentError
from ingest.settings import load_settings
from ingest.store import ChunkStore

CHROMA = Path(sys.executable).with_name("chroma")

LIGHTHOUSE = "The Auk lighthouse is 30 m tall. It was built in 1874 on the northern cliff.\n"


def _run(*args: str, env: dict[str, str] | None = None) -> Result:
    with mock.patch.dict("os.environ", env or {}):
        return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def _doc_ids(store: Path, **settings: object) -> list[str]:
    store_settings = load_settings(store_dir=store, **settings)
    return [r.doc_id for r in ChunkStore.open(store_settings).documents()]


def _folder(tmp_path: Path, files: int = 1) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "lighthouse.txt").write_text(LIGHTHOUSE)
    for n in range(1, files):
        (folder / f"note{n}.txt").write_text(f"Field note {n}: the tide gauge {n} read {n} m.\n")
    return folder


@contextlib.contextmanager
def _mounted(folder: Path, size: str) -> Iterator[Path]:
    """A tmpfs of ``size`` at ``folder`` for the block (needs root)."""
    folder.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.fail(f"this test mounts a tmpfs and needs root: {done.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def _remount(folder: Path, options: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{options}", str(folder)], check=True)


# 1. A Chroma server killed mid-ingest -----------------------------------------------------------


@contextlib.contextmanager
def _chroma(data: Path, port: int, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    url = f"http://127.0.0.1:{port}"
    command = [str(CHROMA), "run", "--path", str(data), "--host", "127.0.0.1", "--port", str(port)]
    with serving("chroma server", command, f"{url}/api/v2/heartbeat", log, timeout_s=60) as p:
        yield p


@pytest.mark.slow
def test_a_chroma_server_killed_mid_ingest_is_one_line_and_the_next_run_resumes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _folder(tmp_path, files=4)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {"CITEWISE_CHROMA_URL": url, "CITEWISE_CHROMA_RETRY_SECONDS": "2"}
    monkeypatch.setattr("ingest.sync.EMBED_GROUP_CHUNKS", 1)  # one write per document
    put = ChunkStore.put
    with _chroma(tmp_path / "chroma", port, tmp_path / "chroma1.log") as server:

        def put_then_kill_the_server(store: ChunkStore, versions: list) -> None:
            put(store, versions)
            if versions[0].record.doc_id == "note1.txt":
                server.kill()
                server.wait()

        monkeypatch.setattr(ChunkStore, "put", put_then_kill_the_server)
        lost = _run("ingest", str(folder), "--quiet", env=env)

    assert lost.exit_code == 1
    assert lost.stderr == (
        f"Error: Lost the connection to the Chroma server at {url} (retried for 2 s): "
        "[Errno 111] Connection refused (start the server again and re-run the command; what "
        "was committed before is kept; the same command resumes where it stopped)\n"
    )
    monkeypatch.setattr(ChunkStore, "put", put)
    with _chroma(tmp_path / "chroma", port, tmp_path / "chroma2.log"):
        resumed = _run("ingest", str(folder), "--quiet", env=env)
        assert resumed.exit_code == 0, resumed.output
        assert resumed.stdout.splitlines()[-1] == (
            "added 2, updated 0, unchanged 2, removed 0, failed 0, skipped 0; 2 chunks written"
        )
        assert _doc_ids(tmp_path / "local", chroma_url=url) == [
            "lighthouse.txt",
            "note1.txt",
            "note2.txt",
            "note3.txt",
        ]


# 2. A full disk ---------------------------------------------------------------------------------


BIG_CHUNKS = {"CITEWISE_CHUNK_SIZE": "8000"}
"""Few, long chunks: much to write, little to embed."""


def _big_folder(tmp_path: Path) -> Path:
    """Two dozen documents of one 8,000-character chunk of varied words each: about 5 MB in
    the index (Chroma's full-text index grows with the variety of the text)."""
    rng = random.Random(23)
    big = tmp_path / "big"
    big.mkdir()
    for n in range(24):
        words = (
            "".join(rng.choices(string.ascii_lowercase, k=rng.randint(3, 9))) for _ in range(1300)
        )
        (big / f"log{n}.txt").write_text(" ".join(words)[:7900] + "\n")
    return big


def test_a_full_disk_is_refused_before_the_write_and_the_old_index_stays(tmp_path: Path) -> None:
    with _mounted(tmp_path / "disk", "2m") as disk:
        store = disk / "store"
        first = _run("ingest", str(_folder(tmp_path)), "--store", str(store), env=BIG_CHUNKS)
        assert first.exit_code == 0

        full = _run(
            "ingest", str(_big_folder(tmp_path)), "--store", str(store), "--quiet", env=BIG_CHUNKS
        )

        assert full.exit_code == 1
        assert full.stderr.startswith(
            f"Error: Not enough free disk space for the index in {store}: this write needs about "
        )
        assert full.stderr.endswith(
            " is free (nothing of it was written and the index is intact; free some space or "
            "pass another --store, then run the same command again)\n"
        )
        assert _doc_ids(store, chunk_size=8000) == ["lighthouse.txt"]


def test_a_disk_filling_up_during_the_write_is_one_line_and_the_next_run_finishes(
    tmp_path: Path,
) -> None:
    with _mounted(tmp_path / "disk", "2m") as disk:
        store = disk / "store"
        first = _run("ingest", str(_folder(tmp_path)), "--store", str(store), env=BIG_CHUNKS)
        assert first.exit_code == 0
        big = _big_folder(tmp_path)
        # The check before the write would refuse it: let the write itself meet the full disk.
        with mock.patch("ingest.store.estimated_bytes", return_value=0):
            full = _run("ingest", str(big), "--store", str(store), "--quiet", env=BIG_CHUNKS)

        assert full.exit_code == 1
        assert full.stderr.startswith(
            f"Error: The disk holding the index in {store} became full during the write ("
        )
        assert full.stderr.endswith(
            " free) (what was committed before is kept and the index is usable; free some "
            "space, then run the same command again: it finishes the interrupted write)\n"
        )
        assert _run("docs", "--store", str(store), env=BIG_CHUNKS).exit_code == 0
        assert _doc_ids(store, chunk_size=8000) == ["lighthouse.txt"]

        _remount(disk, "size=64m")
        again = _run("ingest", str(big), "--store", str(store), "--quiet", env=BIG_CHUNKS)
        assert again.exit_code == 0, again.output
        assert len(_doc_ids(store, chunk_size=8000)) == 25


# 3. A file name that is not UTF-8, named on the command line -------------------------------------


def test_a_name_that_is_not_utf8_named_alone_is_reported_like_inside_a_folder(
    tmp_path: Path,
) -> None:
    bad = tmp_path / os.fsdecode(b"bad\xffbyte.txt")
    bad.write_text(LIGHTHOUSE)
    citewise = Path(sys.executable).with_name("citewise")

    done = subprocess.run(
        [str(citewise), "ingest", os.fsencode(bad), "--store", str(tmp_path / "s")],
        capture_output=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=300,
    )

    assert done.returncode == 1
    assert done.stderr.decode() == (
        f"'{tmp_path}/bad\\xffbyte.txt': name is not valid UTF-8; rename it to ingest it\n"
    )
    assert done.stdout.decode().splitlines()[-1] == (
        "added 0, updated 0, unchanged 0, removed 0, failed 1, skipped 0; 0 chunks written"
    )


# 4. A damaged vector index ----------------------------------------------------------------------


def _vector_folder(store_dir: Path, store: ChunkStore) -> Path:
    """The folder of the chunk collection's HNSW files."""
    with sqlite3.connect(store_dir / "chroma.sqlite3") as db:
        (segment,) = db.execute(
            "SELECT id FROM segments WHERE collection = ? AND scope = 'VECTOR'",
            (str(store._chunks.id),),
        ).fetchone()
    return store_dir / segment


def _many_vectors(store_dir: Path) -> Path:
    """An index of 1,500 chunks (Chroma moves vectors into its HNSW files past 1,000) with
    made-up vectors, and the lighthouse sentence; returns the HNSW folder."""
    from ingest.records import Chunk, DocumentRecord
    from ingest.store import NewVersion

    store = ChunkStore.open(load_settings(store_dir=store_dir))
    rng = random.Random(4)
    versions = []
    for n in range(15):
        chunks = [
            Chunk(f"n{n}.txt", i, f"Note {n}.{i}", 0, 9, "n", "n", doc_hash="h") for i in range(100)
        ]
        vectors = [[rng.gauss(0, 1) for _ in range(384)] for _ in chunks]
        record = DocumentRecord(f"n{n}.txt", "n", "n", "h", len(chunks), "2026-01-01")
        versions.append(NewVersion(record, chunks, vectors))
    store.put(versions)
    folder = _vector_folder(store_dir, store)
    store.close()
    return folder


@pytest.mark.parametrize("damage", ["deleted", "truncated"])
def test_a_damaged_vector_index_is_reported_with_the_command_that_repairs_it(
    tmp_path: Path, damage: str
) -> None:
    store_dir = tmp_path / "store"
    hnsw = _many_vectors(store_dir)
    assert sorted(p.name for p in hnsw.iterdir())[:2] == ["data_level0.bin", "header.bin"]
    for file in hnsw.iterdir():
        if damage == "deleted":
            file.unlink()
        else:
            os.truncate(file, min(file.stat().st_size, 64))
    expected_start = f"Error: The vector index in {store_dir} is damaged ("
    expected_end = (
        "): answers would miss passages (rebuild it from your documents: citewise ingest "
        f"PATH... --rebuild --store {store_dir})\n"
    )

    for command in (["ask", "What does note 3 say?"], ["ingest", str(_folder(tmp_path))]):
        done = subprocess.run(
            [str(Path(sys.executable).with_name("citewise")), *command, "--store", str(store_dir)],
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            timeout=300,
        )
        assert done.returncode == 1, (command, done.stdout, done.stderr)
        assert done.stderr.startswith(expected_start), done.stderr
        assert done.stderr.endswith(expected_end), done.stderr


# 5. A damaged lexical file, postings folder or Chroma database ---------------------------------


def _damage_lexical(store: Path, what: str) -> None:
    lexical = store / "citewise.lexical.sqlite3"
    if what == "lexical file":
        lexical.write_bytes(b"not a database at all" * 200)
    elif what == "truncated lexical file":
        os.truncate(lexical, 6000)
    else:
        for segment in (store / "citewise.lexical.sqlite3.postings").glob("*.idx"):
            segment.unlink()


@pytest.mark.parametrize("what", ["lexical file", "truncated lexical file", "postings folder"])
def test_a_damaged_lexical_index_is_rebuilt_from_the_record_with_one_line(
    tmp_path: Path, insis_store_dir: Path, what: str
) -> None:
    import shutil

    store = tmp_path / "store"
    shutil.copytree(insis_store_dir, store)
    settings = load_settings(store_dir=store)
    opened = ChunkStore.open(settings)
    before = opened.lexical.search("ElyT-MaX laboratory Tohoku", 5)
    assert before
    opened.lexical.close()
    opened.close()
    _damage_lexical(store, what)

    listed = _run("docs", "--store", str(store))

    assert listed.exit_code == 0
    [notice] = listed.stderr.splitlines()
    if what == "postings folder":
        assert notice == (
            f"The lexical postings {store}/citewise.lexical.sqlite3.postings were damaged "
            "(Failed to open file for read); they are rebuilt from the lexical index's chunks"
        )
    else:
        lexical = store / "citewise.lexical.sqlite3"
        assert notice.startswith(f"The lexical index {lexical} was damaged (")
        assert notice.endswith("); it is rebuilt from the index's records")
    assert listed.stdout.splitlines()[1].startswith("cnrs-insis-international.md")
    assert ChunkStore.open(settings).lexical.search("ElyT-MaX laboratory Tohoku", 5) == before
    assert _run("docs", "--store", str(store)).stderr == ""


def test_a_malformed_chroma_database_names_rebuild_which_repairs_it(
    tmp_path: Path, insis_store_dir: Path
) -> None:
    import shutil

    store = tmp_path / "store"
    shutil.copytree(insis_store_dir, store)
    os.truncate(store / "chroma.sqlite3", 100_000)

    done = _run("docs", "--store", str(store))

    assert done.exit_code == 1
    assert done.stderr.startswith(f"Error: The index in {store} is damaged (")
    assert done.stderr.endswith(
        f"(rebuild it from your documents: citewise ingest PATH... --rebuild --store {store})\n"
    )
    rebuilt = _run("ingest", str(ROOT / "corpus"), "--rebuild", "--store", str(store), "--quiet")
    assert rebuilt.exit_code == 0, rebuilt.output
    assert _run("docs", "--store", str(store)).exit_code == 0


# 6. A read-only store ---------------------------------------------------------------------------


def test_docs_ask_and_chat_read_a_store_on_read_only_media(
    tmp_path: Path, insis_store_dir: Path
) -> None:
    import shutil

    with _mounted(tmp_path / "media", "64m") as media:
        store = media / "store"
        shutil.copytree(insis_store_dir, store)
        _remount(media, "ro")
        before = {p: p.stat().st_mtime_ns for p in store.rglob("*")}

        listed = _run("docs", "--store", str(store))
        asked = _run("ask", "When was ElyT-MaX created?", "--store", str(store), "--json")
        from app.composition import Components

        chat_engine = Components(load_settings(store_dir=store)).engine
        answer = chat_engine.answer("Which university is ElyT-MaX run with?")
        refused = _run("remove", "cnrs-insis-international.md", "--store", str(store))

        assert (listed.exit_code, listed.stderr) == (0, ""), listed.output
        assert listed.stdout.splitlines()[1].startswith("cnrs-insis-international.md")
        assert asked.exit_code == 0, asked.output
        assert "2016" in asked.stdout
        assert answer.citations and not answer.abstained
        assert refused.exit_code == 1
        assert refused.stderr == (
            f"Error: The index in {store} is on read-only media: it can be searched, not changed "
            "(copy the folder to writable storage and pass that copy as --store)\n"
        )
        assert {p: p.stat().st_mtime_ns for p in store.rglob("*")} == before


# 7. Paths named directly obey the folder rules ---------------------------------------------------


def test_paths_named_directly_obey_the_folder_rules(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    (folder / "passwd.txt").symlink_to("/etc/passwd")
    os.mkfifo(folder / "pipe.txt")
    (folder / "sub").mkdir()
    (folder / "sub" / "up").symlink_to("..")
    store = str(tmp_path / "s")

    for name, line in [
        (
            "passwd.txt",
            "link to '/etc/passwd', outside the folder, not followed; pass --follow-links "
            "(setting follow_external_links) to ingest it",
        ),
        ("pipe.txt", "a FIFO, not a file"),
        (
            "sub/up",
            f"link to '{folder}', a folder holding the link itself, not followed; name that "
            "folder instead",
        ),
    ]:
        done = _run("ingest", str(folder / name), "--store", store)
        assert done.exit_code == 1, name
        assert done.stderr == f"{folder / name}: {line}\n"
        assert done.stdout.splitlines()[-1].startswith("added 0,")

    allowed = _run("ingest", str(folder / "passwd.txt"), "--store", store, "--follow-links")
    assert allowed.stdout.splitlines()[0].startswith("added passwd.txt (")


# 8. Costly files are refused early ----------------------------------------------------------------


def _docx_inflating_to(megabytes: int) -> bytes:
    import io
    import zipfile

    import docx

    buffer = io.BytesIO()
    docx.Document().save(buffer)
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "word/document.xml":
                filler = b"<w:p/>" * (megabytes * 1_000_000 // 6)
                data = data.replace(b"<w:body>", b"<w:body>" + filler)
            target.writestr(item, data)
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        pytest.param(
            "bomb.docx",
            lambda: _docx_inflating_to(111),
            "Word .docx file inflates from 0.2 MB to 111.8 MB (569 times): repeated filler, not "
            "text; refused before reading it",
            id="docx-inflating-to-111-MB",
        ),
        pytest.param(
            "nested.html",
            lambda: b"<html><body>" + b"<div>" * 200_000 + b"deep" + b"</div>" * 200_000,
            "HTML nests its elements more than 1,000 deep: refused before parsing, which would "
            "not finish in time (no real page nests that deep; it may be generated or damaged)",
            id="html-of-200000-nested-divs",
        ),
        pytest.param(
            "line.txt",
            lambda: b"A" * 20_000_000,
            "text holds a run of 20,000,000 characters without a space (encoded data, not "
            "prose) that would make 16,667 chunks of no words: refused (remove the embedded "
            "data; runs of up to 100,000 characters are read)",
            id="20-MB-line-without-spaces",
        ),
    ],
)
def test_a_parse_that_cannot_finish_is_refused_early(
    tmp_path: Path, name: str, content: object, message: str
) -> None:
    from ingest.parse_worker import ParseJob, ParseWorker

    path = tmp_path / name
    path.write_bytes(content())  # type: ignore[operator]
    job = ParseJob(path, path.read_bytes(), name, str(path), 1200, 200, 200.0)

    with pytest.raises(DocumentError) as refused, contextlib.closing(ParseWorker()) as worker:
        worker.run(job, 20.0)  # the default limit is 180 s: a refusal must come first

    assert str(refused.value).startswith(message)


# 9. Display ---------------------------------------------------------------------------------------


def test_docs_shows_a_name_with_a_newline_on_one_row_and_bounds_long_names(tmp_path: Path) -> None:
    from app.commands.corpus import document_table
    from ingest.records import DocumentRecord

    long_name = "n" * 250 + ".txt"
    records = [
        DocumentRecord("two\nlines.txt", "Two\nlines", "s", "h", 1, "2026-12-04T10:00:00+00:00"),
        DocumentRecord(long_name, "T" * 200, "s", "h", 3, "2026-12-04T10:00:00+00:00"),
        DocumentRecord("short.txt", "Short", "s", "h", 2, "2026-12-04T10:00:00+00:00"),
    ]

    lines = document_table(records)

    assert len(lines) == 4
    assert lines[1] == (
        "'two\\nlines.txt'".ljust(48)
        + "  "
        + "'Two\\nlines'".ljust(48)
        + "  1       2026-12-04T10:00:00+00:00"
    )
    assert lines[2].startswith(long_name + "  " + "T" * 47 + "…  3")
    assert lines[3] == f"{'short.txt':48}  {'Short':48}  2       2026-12-04T10:00:00+00:00"


def test_a_damaged_pdf_is_reported_without_library_internals() -> None:
    from ingest.loaders import load_document

    # A page whose contents and resources are an object that refers to itself.
    body = [
        b"<< /Type /Catalog /Pages 3 0 R >>",
        b"2 0 R",
        b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 3 0 R /MediaBox [0 0 612 792] /Contents 2 0 R /Resources 2 0 R >>",
    ]
    pdf = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, obj in enumerate(body, 1):
        offsets.append(len(pdf))
        pdf += b"%d 0 obj\n%s\nendobj\n" % (number, obj)
    xref = len(pdf)
    pdf += b"xref\n0 5\n0000000000 65535 f \n" + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    pdf += b"trailer\n<< /Size 5 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % xref

    with pytest.raises(DocumentError) as refused:
        load_document(Path("loop.pdf"), bytes(pdf))

    assert str(refused.value) == (
        "file is damaged or not a PDF (it may be truncated; try saving it again)"
    )
