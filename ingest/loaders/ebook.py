"""EPUB e-books with EbookLib: the chapters in reading order (the spine), each a section.

Each chapter is an XHTML page, read by the HTML loader and appended; a chapter that opens
without a heading gets one from the book's table of contents ("Chapter N" failing that), so
every passage is cited under its chapter. Pages with no text (a cover picture) are passed over.
"""

from __future__ import annotations

import io
import warnings
from typing import Any

from ebooklib import ITEM_DOCUMENT, epub

from ingest.errors import DocumentError
from ingest.loaders.document import DocumentBuilder, ParsedDocument
from ingest.loaders.html import load_html


def _toc_titles(book: Any) -> dict[str, str]:
    """File name (without #fragment) -> its first title in the table of contents."""
    titles: dict[str, str] = {}

    def visit(entries: Any) -> None:
        for entry in entries:
            if isinstance(entry, tuple | list):
                section, children = entry[0], entry[1] if len(entry) > 1 else []
                visit([section])
                visit(children)
            elif getattr(entry, "href", None):
                titles.setdefault(entry.href.split("#")[0], " ".join(entry.title.split()))

    visit(book.toc)
    return titles


def load_epub(data: bytes, fallback_title: str) -> ParsedDocument:
    """Parse an e-book; its title is the book's own (Dublin Core), else the first heading."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            book = epub.read_epub(io.BytesIO(data), {"ignore_ncx": False})
    except Exception:  # EbookLib raises zip, XML, key and its own errors alike
        raise DocumentError(
            "file is not a valid EPUB e-book", "it may be damaged or protected by DRM"
        ) from None
    toc = _toc_titles(book)
    builder = DocumentBuilder()
    for number, (item_id, _linear) in enumerate(book.spine, 1):
        item = book.get_item_with_id(item_id)
        if item is None or item.get_type() != ITEM_DOCUMENT:
            continue
        try:
            chapter = load_html(item.get_content(), "")
        except DocumentError:  # a page with no text: a cover, a blank page
            continue
        builder.headings.leave(1)
        if chapter.blocks[0].kind != "heading":
            builder.add(toc.get(item.get_name(), f"Chapter {number}"), "heading", level=1)
        builder.append(chapter)
    if not builder.blocks:
        raise DocumentError("e-book has no readable text", "it may hold only pictures")
    titles = book.get_metadata("DC", "title")
    title = " ".join(str(titles[0][0]).split()) if titles else ""
    if not title and builder.first_heading:
        title = builder.first_heading[1]
    return builder.build(title or fallback_title)
