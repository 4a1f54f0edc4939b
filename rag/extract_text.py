"""Text formats → raw text: decoding unknown encodings, CSV rows as "header: value" lines, visible HTML text."""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator

import charset_normalizer
from bs4 import BeautifulSoup, CData, Tag
from bs4.dammit import EncodingDetector
from bs4.element import NavigableString, PageElement

from rag.types import ExtractError

__all__ = ["MAX_HTML_TAGS", "csv_text", "decode", "html_text"]

# More control characters than this share of the text = binary, or a wrong guess: UTF-16/32 without a BOM decodes
# as "valid" UTF-8 about half made of NULs and other controls, while stray NULs in real text stay far below it.
MAX_CONTROL = 0.25
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")  # C0 and C1 controls except \t \n \f \r
_DROP = frozenset({"script", "style", "nav", "footer", "header", "noscript", "template", "svg", "iframe", "object"})
_BLOCKS = frozenset({"address", "article", "aside", "blockquote", "br", "caption", "dd", "div", "dl", "dt",
                     "figcaption", "figure", "form", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "li", "main", "ol",
                     "p", "pre", "section", "table", "title", "tr", "ul"})
_CELLS = frozenset({"td", "th"})
_TEXT = (NavigableString, CData)
MAX_HTML_TAGS = 300_000  # BeautifulSoup needs ~1 KB and ~15 µs per element: 20 MB of tiny tags would take 2.5 GB
_SNIFF_CHARS = 16 * 1024  # enough rows for csv.Sniffer; it is slow on big samples


def decode(data: bytes, declared: str | None = None) -> str:
    """UTF-8 (BOM or not), the declared encoding, charset-normalizer's guess, or UTF-8 with a few bad bytes."""
    for encoding in ("utf-8-sig", declared):
        if not encoding:
            continue
        try:
            text = data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
        # UTF-16 without a BOM is valid UTF-8 for ASCII and Cyrillic alike, only full of control characters.
        if _plausible(text):
            return text
    best = charset_normalizer.from_bytes(data).best()
    if best is not None and _plausible(text := str(best)):
        return text
    # A UTF-8 file cut mid-character or with a stray byte or two: losing those beats refusing the whole file.
    text = data.decode("utf-8-sig", errors="replace")
    if text.count("\ufffd") <= max(2, len(text) // 100) and _plausible(text):
        return text
    raise ExtractError("encoding", "neither UTF-8 nor any encoding charset-normalizer can recognise")


def csv_text(text: str) -> str:
    """One line per row, "header: value; header: value", so retrieval sees the column names next to each value."""
    sample = text[:_SNIFF_CHARS].rsplit("\n", 1)[0] if len(text) > _SNIFF_CHARS else text
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    try:
        rows = [[c.strip() for c in row] for row in csv.reader(io.StringIO(text), dialect)]
    except csv.Error:
        return text  # a malformed CSV (e.g. a field beyond csv's size limit) still reads fine as plain text
    rows = [row for row in rows if any(row)]
    if not rows:
        return ""
    header = [name or f"column {i}" for i, name in enumerate(rows[0], 1)]
    lines = []
    for row in rows[1:]:
        pairs = (f"{header[i] if i < len(header) else f'column {i + 1}'}: {' '.join(value.split())}"
                 for i, value in enumerate(row) if value)
        lines.append("; ".join(pairs))
    return "\n".join(lines) if lines else "; ".join(header)


def html_text(data: bytes) -> str:
    """Visible text, one line per block; scripts, styles and page chrome (nav, header, footer) left out."""
    if (tags := data.count(b"<")) > MAX_HTML_TAGS:
        raise ExtractError("too_large", f"about {tags} HTML tags; at most {MAX_HTML_TAGS} are read")
    declared = EncodingDetector.find_declared_encoding(data[:4096], is_html=True)
    soup = BeautifulSoup(decode(data, declared), "lxml")
    # Source indentation and line breaks inside a paragraph mean nothing in HTML: lines are rebuilt from blocks.
    lines = (" ".join(line.split()).removesuffix(" |") for line in "".join(_visible(soup)).split("\n"))
    return "\n".join(line for line in lines if line)


def _visible(root: Tag) -> Iterator[str]:
    """Text pieces in document order, a newline around each block and " | " after each table cell."""
    # A walk, not decompose()/insert_before(): those scan the parent's children each time, quadratic on big pages.
    stack: list[tuple[Iterator[PageElement], str]] = [(iter(root.contents), "")]
    while stack:
        node = next(stack[-1][0], None)
        if node is None:
            yield stack.pop()[1]
        elif isinstance(node, Tag):
            if node.name in _DROP:
                continue
            end = "\n" if node.name in _BLOCKS else " | " if node.name in _CELLS else ""
            if end == "\n":
                yield end  # a block starts on a new line too
            stack.append((iter(node.contents), end))
        elif type(node) in _TEXT:  # not comments, doctypes or processing instructions
            yield str(node)


def _plausible(text: str) -> bool:
    """Decoded text, not binary: few control characters."""
    return len(_CONTROL.findall(text)) <= MAX_CONTROL * len(text)
