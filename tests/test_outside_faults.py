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
import string
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import pytest
from click.testing import CliRunner, Result
from conftest import CHROMA, ROOT
from local_server import free_port, serving

from app.cli import cli
from ingest.settings import load_settings
from ingest.store import ChunkStore

LIGHTHOUSE = "The Auk lighthouse is 30 m tall. It was built in 1874 on the northern cliff.\n"


def _run(*args: str, env: dict[str, str] | None = None) -> Result:
    with mock.patch.dict("os.environ", env or {}):
        return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def _doc_ids(store: Path, **settings: object) -> list[str]:
    return [r.doc_id for r in ChunkStore.open(load_settings(store_dir=store, **settings)).documents()]


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
        words = ("".join(rng.choices(string.ascii_lowercase, k=rng.randint(3, 9))) for _ in range(1300))
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
