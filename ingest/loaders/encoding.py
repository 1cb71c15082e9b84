"""Bytes to text for text-like formats, in whatever common encoding they came in."""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

from ingest.errors import DocumentError

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_MAX_CONTROL_RATIO = 0.01
_MAX_WESTERN_RATIO = 0.2


def _binary() -> DocumentError:
    return DocumentError("file looks binary, not text", "no common text encoding fits its bytes")


def decode_text(data: bytes, declared: str | None = None) -> str:
    """Decode ``data``: BOM first, then UTF-8, then a declared charset, then detection.

    NUL bytes without a BOM, or text made mostly of control characters, mean a binary file
    with a text extension; that is refused rather than ingested as noise.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return _checked(data[len(bom) :].decode(encoding))
            except UnicodeDecodeError:
                raise _binary() from None
    if b"\x00" in data:
        raise _binary()
    try:
        return _checked(data.decode("utf-8"))
    except UnicodeDecodeError:
        pass
    if declared:
        try:
            return _checked(data.decode(declared))
        except (UnicodeDecodeError, LookupError):
            pass
    western = _as_western(data)
    if western is not None:
        return _checked(western)
    best = from_bytes(data).best()
    if best is None:
        raise _binary()
    return _checked(str(best))


def _as_western(data: bytes) -> str | None:
    """The text as cp1252 (a superset of Latin-1) when that reads as mostly plain letters.

    Detection libraries guess poorly between single-byte code pages on short texts (French
    read as cp1250 turns "très" into "trčs"); Western text is by far the most common case,
    and a wrong guess (Cyrillic, CJK) shows up as a flood of non-ASCII characters.
    """
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        return None
    non_ascii = sum(1 for c in text if ord(c) > 127)
    letters = sum(1 for c in text if c.isalpha())
    if non_ascii > _MAX_WESTERN_RATIO * max(letters, 1):
        return None
    return text


def _checked(text: str) -> str:
    if len(_CONTROL.findall(text)) > _MAX_CONTROL_RATIO * max(len(text), 1):
        raise _binary()
    return text
