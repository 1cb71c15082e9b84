"""Text of images by OCR, with Tesseract run as a program (Debian's ``tesseract-ocr``).

Tesseract's English model comes with the Debian package (``tesseract-ocr-eng``), installed
by ``make ocr`` the way Chromium is; nothing is downloaded when it runs. Each image goes to
it through a pipe as PNG. The program is tied to the parse worker: if the worker is killed
for taking longer than ``max_parse_seconds``, Linux kills Tesseract with it
(``PR_SET_PDEATHSIG``), so a slow page never outlives its file's time limit.
"""

from __future__ import annotations

import ctypes
import io
import os
import shutil
import signal
import subprocess
import sys

from PIL import Image

from ingest.errors import DocumentError

TESSERACT = "tesseract"
LANGUAGE = "eng"
MAX_PIXELS = 40_000_000
"""A page image is rendered at most this big (A4 at 300 dpi is 8.7 million pixels)."""
INSTALL_HINT = "install Tesseract OCR: make ocr (apt-get install tesseract-ocr tesseract-ocr-eng)"
_PR_SET_PDEATHSIG = 1


def available() -> bool:
    """Whether the ``tesseract`` program is installed."""
    return shutil.which(TESSERACT) is not None


def _die_with_parent() -> None:
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def read_image(image: Image.Image) -> str:
    """The text Tesseract reads in ``image`` (an empty string when it finds none)."""
    program = shutil.which(TESSERACT)
    if program is None:
        raise DocumentError("reading text from images needs Tesseract OCR", INSTALL_HINT)
    buffer = io.BytesIO()
    image.convert("L").save(buffer, format="PNG")
    environment = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    done = subprocess.run(
        [program, "stdin", "stdout", "-l", LANGUAGE, "--psm", "3"],
        input=buffer.getvalue(),
        capture_output=True,
        env=environment,
        preexec_fn=_die_with_parent,
        check=False,
    )
    if done.returncode != 0:
        detail = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise DocumentError(
            f"OCR failed: {detail[-1] if detail else f'tesseract exit code {done.returncode}'}",
            INSTALL_HINT if b"Failed loading language" in done.stderr else None,
        )
    return done.stdout.decode("utf-8", "replace")
