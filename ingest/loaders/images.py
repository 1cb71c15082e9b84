"""Pictures of text (.png, .jpg, .tiff) read by OCR; each frame of a multi-page TIFF a page.

Pillow opens the image; a picture over ``ocr.MAX_PIXELS`` is refused before it is decoded,
since a small file can claim to be a gigapixel image.
"""

from __future__ import annotations

import io
import warnings

from PIL import Image, ImageSequence, UnidentifiedImageError

from ingest.errors import DocumentError
from ingest.loaders import ocr
from ingest.loaders.document import DocumentBuilder, ParsedDocument, normalise


def add_ocr_text(builder: DocumentBuilder, text: str, page: int | None) -> None:
    """Add OCR output: one paragraph per blank-line-separated group of lines."""
    for paragraph in normalise(text).split("\n\n"):
        builder.add(" ".join(paragraph.split()), "paragraph", page=page, ocr=True)


def load_image(data: bytes, fallback_title: str) -> ParsedDocument:
    """OCR every frame of an image; pages are numbered only when there is more than one."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            width, height = image.size
            if width * height > ocr.MAX_PIXELS:
                raise DocumentError(
                    f"image is {width} x {height} pixels, too big to read by OCR",
                    f"scale it below {ocr.MAX_PIXELS // 1_000_000} million pixels",
                )
            frames = getattr(image, "n_frames", 1)
            builder = DocumentBuilder()
            for number, frame in enumerate(ImageSequence.Iterator(image), 1):
                page = number if frames > 1 else None
                add_ocr_text(builder, ocr.read_image(frame), page)
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise DocumentError("file is not an image Pillow can read", "it may be damaged") from None
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        raise DocumentError(f"image is damaged: {exc}", "save it again") from None
    if not builder.blocks:
        raise DocumentError("OCR found no text in the image")
    return builder.build(fallback_title)
