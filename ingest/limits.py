"""Cheap checks that refuse, before the costly step, a file whose parse could not finish.

A parsing library given a pathological file does not fail: it works until the time limit
(``max_parse_seconds``) kills it, minutes later, or it succeeds and floods the index. Each
check here looks at a cheap measure of the input (how deep HTML nests, how much a .docx
inflates, how long its longest word is) and raises a DocumentError that says what was found,
so such a file costs a fraction of a second instead of the whole limit.
"""

from __future__ import annotations

import io
import re
import zipfile

from ingest.errors import DocumentError

MAX_HTML_NESTING = 1_000
"""Browsers cap their element tree at a few hundred levels (Blink: 512); no page nests
deeper, and an HTML parser slows down quadratically past that."""
MAX_INFLATION = 100
"""A .docx's XML compresses about 5 to 20 times; one that inflates a hundred times more is
repeated filler, and reading it would take minutes for no text."""
MIN_INFLATED_BYTES = 20_000_000
"""Below this, any inflation is quick to read: only big inflated files are refused."""
MAX_RUN_CHARS = 100_000
"""Longest run of characters without a space a document's text may hold: prose has no such
word; encoded data (base64, hex dumps) does, and would be cut into thousands of chunks."""

_TAG = re.compile(rb"<(/?)([a-zA-Z][a-zA-Z0-9:-]*)[^>]*?(/?)>")
_NOT_NESTING = frozenset(
    b"area base br col embed hr img input link meta param source track wbr "
    b"p li dt dd tr td th thead tbody tfoot option optgroup colgroup caption rt rp "
    b"html head body".split()
)
"""Void elements, and elements whose end tag may be left out: they do not deepen the tree."""


def check_html_nesting(data: bytes) -> None:
    """Refuses HTML whose elements nest more than ``MAX_HTML_NESTING`` deep, counting open
    and close tags without building the tree."""
    depth = 0
    for match in _TAG.finditer(data):
        closing, name, self_closing = match.groups()
        if self_closing or name.lower() in _NOT_NESTING:
            continue
        if closing:
            depth = max(0, depth - 1)
            continue
        depth += 1
        if depth > MAX_HTML_NESTING:
            raise DocumentError(
                f"HTML nests its elements more than {MAX_HTML_NESTING:,} deep: refused before "
                "parsing, which would not finish in time",
                "no real page nests that deep; it may be generated or damaged",
            )


def check_inflation(data: bytes, name: str) -> None:
    """Refuses a zip-based file (a .docx) that inflates more than ``MAX_INFLATION`` times to
    more than ``MIN_INFLATED_BYTES``: only a few zip headers are read."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # the loader says what is wrong with it
    packed = sum(m.compress_size for m in members)
    inflated = sum(m.file_size for m in members)
    if inflated > MIN_INFLATED_BYTES and inflated > MAX_INFLATION * max(packed, 1):
        raise DocumentError(
            f"{name} file inflates from {packed / 1e6:.1f} MB to {inflated / 1e6:.1f} MB "
            f"({inflated // max(packed, 1):,} times): repeated filler, not text; refused "
            "before reading it",
            "a real document compresses about 5 to 20 times; it may be generated or damaged",
        )


def check_runs(text: str, chunk_size: int) -> None:
    """Refuses text holding a run of more than ``MAX_RUN_CHARS`` characters without a space,
    which would be cut into chunks of no words at all."""
    if len(text) <= MAX_RUN_CHARS:
        return
    longest = max((len(word) for word in text.split()), default=0)
    if longest > MAX_RUN_CHARS:
        raise DocumentError(
            f"text holds a run of {longest:,} characters without a space (encoded data, not "
            f"prose) that would make {-(-longest // chunk_size):,} chunks of no words: refused",
            f"remove the embedded data; runs of up to {MAX_RUN_CHARS:,} characters are read",
        )
