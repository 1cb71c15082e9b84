"""PowerPoint .pptx presentations with python-pptx: the slide number is the page.

Each slide opens with its title as a heading ("Slide N" when it has none), so a chunk never
straddles two slides; then the text of its shapes (groups opened, tables as rows), then its
speaker notes ("Speaker notes: ..."), which often say what the slide only hints at.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE

from ingest.errors import DocumentError
from ingest.loaders.document import BlockKind, DocumentBuilder, ParsedDocument
from ingest.loaders.tables import add_table

NOTES_LABEL = "Speaker notes"


def _shapes(shapes: Any) -> Iterator[Any]:
    """Every shape, the members of groups included, in the slide's order."""
    for shape in shapes:
        if shape.shape_type == MSO_SHAPE_TYPE.GROUP:
            yield from _shapes(shape.shapes)
        else:
            yield shape


def _add_shape(builder: DocumentBuilder, shape: Any, page: int) -> None:
    if getattr(shape, "has_table", False) and shape.has_table:
        rows = (
            (number, [cell.text for cell in row.cells])
            for number, row in enumerate(shape.table.rows, 1)
        )
        add_table(builder, rows, page=page)
    elif getattr(shape, "has_text_frame", False) and shape.has_text_frame:
        for paragraph in shape.text_frame.paragraphs:
            kind: BlockKind = "list_item" if paragraph.level > 0 else "paragraph"
            builder.add(paragraph.text, kind, page=page)


def _title_of(slide: Any) -> str:
    title = slide.shapes.title
    return " ".join(title.text.split()) if title is not None and title.has_text_frame else ""


def load_pptx(data: bytes, fallback_title: str) -> ParsedDocument:
    """Parse a presentation; the document's title is its own, else the first slide's."""
    try:
        presentation = Presentation(io.BytesIO(data))
    except Exception:  # python-pptx raises zip, XML, key and value errors alike
        raise DocumentError(
            "file is not a valid PowerPoint .pptx file",
            "it may be damaged, or an old .ppt renamed; save it as .pptx",
        ) from None
    builder = DocumentBuilder()
    first_title = ""
    for number, slide in enumerate(presentation.slides, 1):
        title = _title_of(slide)
        first_title = first_title or title
        builder.add(title or f"Slide {number}", "heading", level=1, page=number)
        title_shape = slide.shapes.title
        for shape in _shapes(slide.shapes):
            if title_shape is None or shape.shape_id != title_shape.shape_id:
                _add_shape(builder, shape, number)
        if slide.has_notes_slide and slide.notes_slide.notes_text_frame is not None:
            notes = slide.notes_slide.notes_text_frame.text
            if notes.strip():
                builder.add(f"{NOTES_LABEL}: {notes.strip()}", "paragraph", page=number)
    title = " ".join((presentation.core_properties.title or "").split()) or first_title
    return builder.build(title or fallback_title, page_unit="slide")
