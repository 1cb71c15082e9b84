"""Turn the bytes of a supported file into a ``ParsedDocument`` (title, text, blocks).

``load_document`` raises ``DocumentError`` for anything wrong with the file; the message says
what is wrong ("file is empty", "PDF is encrypted", ...) and the caller prefixes the file name.
No exception from a parsing library escapes: an unexpected one is wrapped, naming the format.
Each format's module (and its parsing library: pypdf, python-docx, selectolax, openpyxl,
python-pptx, pdfplumber, odfpy, ...) is imported on first use, so a no-op re-ingest, which only asks
``is_supported``, never pays for them.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from pathlib import Path

from ingest.errors import DocumentError, UnsupportedFile
from ingest.loaders.document import Block, BlockKind, ParsedDocument, humanise, normalise

__all__ = [
    "SUPPORTED_EXTENSIONS",
    "Block",
    "BlockKind",
    "ParsedDocument",
    "carries_attachments",
    "is_supported",
    "load_document",
    "normalise",
    "unsupported_reason",
]

Loader = Callable[[bytes, str], ParsedDocument]


def _load_text(data: bytes, fallback_title: str) -> ParsedDocument:
    from ingest.loaders.encoding import decode_text
    from ingest.loaders.lines import parse_lines

    return parse_lines(decode_text(data), fallback_title, markdown=False)


def _load_markdown(data: bytes, fallback_title: str) -> ParsedDocument:
    from ingest.loaders.encoding import decode_text
    from ingest.loaders.lines import parse_lines

    return parse_lines(decode_text(data), fallback_title, markdown=True)


_LOADERS: dict[str, tuple[str, str]] = {
    ".txt": ("text", "ingest.loaders:_load_text"),
    ".md": ("Markdown", "ingest.loaders:_load_markdown"),
    ".markdown": ("Markdown", "ingest.loaders:_load_markdown"),
    ".html": ("HTML", "ingest.loaders.html:load_html"),
    ".htm": ("HTML", "ingest.loaders.html:load_html"),
    ".pdf": ("PDF", "ingest.loaders.pdf:load_pdf"),
    ".docx": ("Word", "ingest.loaders.word:load_docx"),
    ".odt": ("OpenDocument", "ingest.loaders.opendocument:load_odt"),
    ".csv": ("CSV", "ingest.loaders.delimited:load_csv"),
    ".tsv": ("TSV", "ingest.loaders.delimited:load_tsv"),
    ".xlsx": ("Excel", "ingest.loaders.spreadsheet:load_xlsx"),
    ".pptx": ("PowerPoint", "ingest.loaders.slides:load_pptx"),
    ".epub": ("EPUB", "ingest.loaders.ebook:load_epub"),
    ".eml": ("e-mail", "ingest.loaders.mail:load_eml"),
    ".png": ("an image", "ingest.loaders.images:load_image"),
    ".jpg": ("an image", "ingest.loaders.images:load_image"),
    ".jpeg": ("an image", "ingest.loaders.images:load_image"),
    ".tif": ("an image", "ingest.loaders.images:load_image"),
    ".tiff": ("an image", "ingest.loaders.images:load_image"),
}
"""Extension -> (format name, "module:function" of its loader)."""
_ZIP_BASED = frozenset({".docx", ".odt", ".xlsx", ".pptx", ".epub"})
_TIMED = frozenset({".pdf"})
"""Formats whose loader takes ``table_seconds``: a budget for an optional costly step."""
_CONTAINERS = frozenset({".eml"})
SUPPORTED_EXTENSIONS: tuple[str, ...] = tuple(sorted(_LOADERS))


def is_supported(path: Path) -> bool:
    """Whether ``load_document`` knows the file's extension."""
    return path.suffix.lower() in _LOADERS


def carries_attachments(path: Path) -> bool:
    """Whether files of this kind may hold others indexed as documents of their own."""
    return path.suffix.lower() in _CONTAINERS


def unsupported_reason(path: Path) -> str | None:
    """Why ``path`` is not read (``None`` if it is): the one wording the CLI, the web page and
    the JSON output all give for a skipped file."""
    if is_supported(path):
        return None
    suffix = path.suffix.lower()
    named = f"unsupported extension {suffix}" if suffix else "no file extension"
    return f"{named}; citewise reads {' '.join(SUPPORTED_EXTENSIONS)}"


def _loader(target: str) -> Loader:
    module, _, function = target.partition(":")
    loader: Loader = getattr(importlib.import_module(module), function)
    return loader


def load_document(
    path: Path,
    data: bytes,
    *,
    max_unzipped_mb: float | None = None,
    table_seconds: float | None = None,
) -> ParsedDocument:
    """Parse ``data``, the content of ``path``; the extension picks the format. A zip-based
    format whose content would unpack to more than ``max_unzipped_mb`` is refused (the
    ingest always passes the setting; ``None`` is for callers that trust their files).
    ``table_seconds`` bounds the search for a PDF's ruled tables (its loader's default
    when ``None``); pages not reached keep their text without table structure."""
    reason = unsupported_reason(path)
    if reason is not None:
        raise UnsupportedFile(reason)
    suffix = path.suffix.lower()
    if not data.strip():
        raise DocumentError("file is empty")
    name, target = _LOADERS[suffix]
    if suffix in _ZIP_BASED and max_unzipped_mb is not None:
        from ingest.loaders.archive import check_unzipped_size

        check_unzipped_size(data, max_unzipped_mb, name)
    loader: Callable[..., ParsedDocument] = _loader(target)
    if suffix in _TIMED and table_seconds is not None:
        loader = functools.partial(loader, table_seconds=table_seconds)
    try:
        document = loader(data, humanise(path.stem))
    except DocumentError:
        raise
    except RecursionError:
        raise DocumentError(f"file is nested too deeply to read as {name}") from None
    except Exception as exc:
        raise DocumentError(
            f"file could not be read as {name}: {type(exc).__name__}: {exc}"
        ) from None
    if not document.blocks:
        raise DocumentError("file is empty" if not document.text else "file has no readable text")
    return document
