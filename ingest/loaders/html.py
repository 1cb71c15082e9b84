"""Visible text of HTML pages, without scripts, styles or the page's navigation chrome."""

from __future__ import annotations

import re

from selectolax.lexbor import LexborHTMLParser, LexborNode

from ingest.errors import DocumentError
from ingest.limits import check_html_nesting
from ingest.loaders.document import BlockKind, DocumentBuilder, ParsedDocument
from ingest.loaders.encoding import decode_text
from ingest.loaders.tables import add_table


def _tags(*lines: str) -> frozenset[str]:
    return frozenset(tag for line in lines for tag in line.split())


_INVISIBLE = _tags(
    "head script style noscript template svg math canvas iframe object embed video audio",
    "map input select option textarea button dialog",
)
_BOILERPLATE = frozenset({"nav", "aside", "header", "footer"})
_BOILERPLATE_ROLES = frozenset({"navigation", "banner", "contentinfo", "complementary", "search"})
_CONTENT_ROOTS = frozenset({"article", "main"})
_HEADINGS = {f"h{n}": n for n in range(1, 7)}
_KINDS: dict[str, BlockKind] = {"li": "list_item", "dt": "list_item", "blockquote": "quote"}
_BLOCK_TAGS = _tags(
    "address article body blockquote caption dd details dialog div dl dt fieldset figcaption",
    "figure form h1 h2 h3 h4 h5 h6 hr html legend li main ol p pre section summary table ul",
    "header footer center",
)
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([\w.:-]+)""", re.IGNORECASE)
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_SPACES = re.compile(r"[ \t\r\n\f]+")


def _skipped(node: LexborNode, in_content: bool) -> bool:
    """Invisible elements, and page boilerplate outside the main content."""
    tag = node.tag
    if tag in _INVISIBLE:
        return True
    attrs = node.attributes
    if "hidden" in attrs or attrs.get("aria-hidden") == "true":
        return True
    if _HIDDEN_STYLE.search(attrs.get("style") or ""):
        return True
    if tag in ("nav", "aside") or attrs.get("role") in _BOILERPLATE_ROLES:
        return True
    return tag in _BOILERPLATE and not in_content


class _Walker:
    """Turns the element tree into blocks: one per paragraph, heading, list item or table
    row (see ``ingest.loaders.tables``; a table's <caption> heads its rows)."""

    def __init__(self) -> None:
        self.builder = DocumentBuilder()
        self.buffer: list[str] = []
        self.kinds: list[tuple[BlockKind, int]] = [("paragraph", 1)]
        self.pre = 0
        self.table = 0
        self.content = 0
        self.rows: list[list[str]] = []
        self.cells: list[str] = []
        self.caption = ""

    def text(self, value: str) -> None:
        self.buffer.append(value if self.pre else _SPACES.sub(" ", value))

    def flush(self) -> None:
        if self.buffer:
            kind, level = self.kinds[-1]
            raw = "".join(self.buffer)
            self.buffer.clear()
            if not self.pre and kind != "table":
                raw = "\n".join(" ".join(line.split()) for line in raw.split("\n"))
            self.builder.add(raw, kind, level=level)

    def enter(self, tag: str) -> None:
        if tag in _CONTENT_ROOTS:
            self.content += 1
        if self.table:
            if tag == "br":
                self.buffer.append(" ")
            return
        if tag == "br":
            self.buffer.append("\n")
        elif tag == "table":
            self.flush()
            self.table += 1
            self.kinds.append(("table", 1))
        elif tag in _BLOCK_TAGS:
            self.flush()
            if tag == "pre":
                self.pre += 1
            if tag in _HEADINGS:
                self.kinds.append(("heading", _HEADINGS[tag]))
            else:
                self.kinds.append((_KINDS.get(tag, self.kinds[-1][0]), 1))

    def leave_in_table(self, tag: str) -> None:
        """Collect cells, rows and the caption; the outermost table's end adds its rows."""
        if tag in ("td", "th"):
            self.cells.append("".join(self.buffer))
            self.buffer.clear()
        elif tag == "tr":
            self.rows.append(self.cells)
            self.cells = []
            self.buffer.clear()
        elif tag == "caption":
            self.caption = "".join(self.buffer)
            self.buffer.clear()
        elif tag == "table":
            self.table -= 1
            if not self.table:
                if self.cells:
                    self.rows.append(self.cells)
                self.buffer.clear()
                add_table(self.builder, enumerate(self.rows, 1), caption=self.caption)
                self.rows, self.cells, self.caption = [], [], ""
                self.kinds.pop()

    def leave(self, tag: str) -> None:
        if tag in _CONTENT_ROOTS:
            self.content -= 1
        if self.table:
            self.leave_in_table(tag)
            return
        if tag in _BLOCK_TAGS:
            self.flush()
            self.kinds.pop()
            if tag == "pre":
                self.pre -= 1


def _walk(root: LexborNode, walker: _Walker) -> None:
    stack: list[tuple[LexborNode, bool]] = [(root, False)]
    while stack:
        node, leaving = stack.pop()
        tag = node.tag or ""
        if leaving:
            walker.leave(tag)
            continue
        if tag == "-text":
            walker.text(node.text_content or "")
            continue
        if not node.is_element_node or _skipped(node, walker.content > 0):
            continue
        walker.enter(tag)
        stack.append((node, True))
        children = []
        child = node.child
        while child is not None:
            children.append(child)
            child = child.next
        stack.extend((c, False) for c in reversed(children))
    walker.flush()


def load_html(data: bytes, fallback_title: str) -> ParsedDocument:
    """Parse an HTML page; the title is <title>, else the first top-level heading."""
    check_html_nesting(data)
    declared = _CHARSET.search(data[:4096])
    text = decode_text(data, declared.group(1).decode("ascii") if declared else None)
    tree = LexborHTMLParser(text)
    walker = _Walker()
    root = tree.body or tree.root
    if root is not None:
        _walk(root, walker)
    if not walker.builder.blocks:
        raise DocumentError("HTML page has no visible text", "only scripts, styles or navigation")
    title_node = tree.css_first("title")
    title = " ".join((title_node.text() if title_node else "").split())
    if not title and walker.builder.first_heading:
        title = walker.builder.first_heading[1]
    return walker.builder.build(title or fallback_title)
