"""A server run as a subprocess on loopback for the length of a test, shared by the fixtures.

Chroma and llama.cpp servers start the same way: pick a free port, start the command with its
output in a log, poll a URL until it answers, and stop the process whatever happens.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path


class ServerDidNotStart(RuntimeError):
    """The server exited or did not answer in time; the message ends with its log."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def serving(
    name: str,
    command: list[str],
    ready_url: str,
    log: Path,
    timeout_s: float,
    *,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``command`` for the block, entered once ``ready_url`` answers 200; the block gets
    the process (a test may kill it to play a server going away).

    Raises ServerDidNotStart, naming the server, if it exits or stays silent past ``timeout_s``.
    """
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_until_answers(name, ready_url, process, log, timeout_s)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_answers(
    name: str, url: str, process: subprocess.Popen[bytes], log: Path, timeout_s: float
) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        if process.poll() is not None:
            raise ServerDidNotStart(f"{name} exited with {process.returncode}:\n{_tail(log)}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise ServerDidNotStart(
                f"{name} did not answer within {timeout_s:.0f} s:\n{_tail(log)}"
            )
        time.sleep(0.2)


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-2000:]
