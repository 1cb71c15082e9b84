"""E-mail messages (.eml) with the standard library's email package.

The subject is the title; sender, recipients and date open the text as one line, so a
question about who wrote or when finds them. The body is the plain-text part, else the HTML
part read by the HTML loader. Attachments of a kind citewise reads are returned beside the
message (``ParsedDocument.attachments``): the ingest indexes each as a document of its own,
with the id ``mail.eml/attachment.pdf``.
"""

from __future__ import annotations

from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path, PurePosixPath

from ingest.errors import DocumentError
from ingest.loaders.document import DocumentBuilder, ParsedDocument
from ingest.loaders.html import load_html
from ingest.loaders.lines import parse_lines

HEADERS = ("From", "To", "Cc", "Date")
MAX_ATTACHMENTS = 100


def _header(message: EmailMessage, name: str) -> str:
    try:
        value = message.get(name)
    except (ValueError, IndexError, TypeError):  # a malformed header is left out
        return ""
    return " ".join(str(value).split()) if value is not None else ""


def _body(message: EmailMessage) -> ParsedDocument | None:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return None
    try:
        content = part.get_content()
    except (LookupError, ValueError, AssertionError):  # unknown charset or encoding
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    if not isinstance(content, str) or not content.strip():
        return None
    if part.get_content_subtype() == "html":
        try:
            return load_html(content.encode("utf-8"), "")
        except DocumentError:
            return None
    return parse_lines(content, "", markdown=False)


def _attachments(message: EmailMessage) -> list[tuple[str, bytes]]:
    """``(file name, content)`` of each attachment citewise can read, names made unique."""
    from ingest.loaders import is_supported

    found: list[tuple[str, bytes]] = []
    seen: set[str] = set()
    for part in message.iter_attachments():
        raw_name = part.get_filename() or ""
        name = PurePosixPath(raw_name.replace("\\", "/")).name.strip()
        if not name or not is_supported(Path(name)) or Path(name).suffix.lower() == ".eml":
            continue
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes) or not payload.strip():
            continue
        unique, n = name, 1
        while unique in seen:
            n += 1
            unique = f"{Path(name).stem} ({n}){Path(name).suffix}"
        seen.add(unique)
        found.append((unique, payload))
        if len(found) >= MAX_ATTACHMENTS:
            break
    return found


def load_eml(data: bytes, fallback_title: str) -> ParsedDocument:
    """Parse a message; its attachments go with it, unparsed, for the ingest to index."""
    message = BytesParser(policy=policy.default).parsebytes(data)
    if not isinstance(message, EmailMessage) or not any(message.keys()):
        raise DocumentError("file is not an e-mail message", "it has no mail headers")
    builder = DocumentBuilder()
    headers = [(name, _header(message, name)) for name in HEADERS]
    builder.add("; ".join(f"{name}: {value}" for name, value in headers if value), "paragraph")
    body = _body(message)
    if body is not None:
        builder.append(body)
    title = _header(message, "Subject") or fallback_title
    document = builder.build(title)
    return ParsedDocument(
        document.title, document.text, document.blocks, attachments=tuple(_attachments(message))
    )
