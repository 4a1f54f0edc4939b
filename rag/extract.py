"""Untrusted document bytes (a Telegram upload) → plain text page by page, or an ExtractError saying why not.

`extract` is CPU-bound and synchronous: callers run it in `asyncio.to_thread`, never on the event loop.
"""
from __future__ import annotations

import os
import re

from rag.types import Extracted, ExtractError, Page

__all__ = ["KINDS", "extract", "kind_of", "normalise"]

KINDS = ("pdf", "docx", "txt", "md", "html", "csv")
MIN_PDF_CHARS = 20  # fewer non-space characters in a whole PDF = a scan without a text layer

_BY_EXTENSION = {
    ".pdf": "pdf", ".docx": "docx", ".txt": "txt", ".text": "txt", ".md": "md", ".markdown": "md",
    ".html": "html", ".htm": "html", ".xhtml": "html", ".csv": "csv",
}
_BY_MIME = {
    "application/pdf": "pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "text/plain": "txt", "text/markdown": "md", "text/x-markdown": "md",
    "text/html": "html", "application/xhtml+xml": "html", "text/csv": "csv",
}
_TRAILING_SPACE = re.compile(r"[^\S\n]+\n")
_BLANK_LINES = re.compile(r"\n{3,}")


def kind_of(file_name: str, mime: str | None = None) -> str | None:
    """pdf/docx/txt/md/html/csv from the extension (and MIME type when the name has none); None = unsupported."""
    extension = os.path.splitext(file_name.strip())[1].lower()
    if extension:
        # A known name wins over the MIME type: Telegram clients often send application/octet-stream.
        return _BY_EXTENSION.get(extension)
    return _BY_MIME.get((mime or "").split(";")[0].strip().lower())


def extract(data: bytes, file_name: str, mime: str | None = None, *, max_bytes: int) -> Extracted:
    """Text of a document, page by page (blocking: callers run it in a thread); over `max_bytes` is too_large."""
    kind = kind_of(file_name, mime)
    if kind is None:
        raise ExtractError("unsupported", f"{file_name!r} ({mime or 'no MIME type'})")
    if not data:
        raise ExtractError("empty", "0 bytes")
    if len(data) > max_bytes:
        raise ExtractError("too_large", f"{len(data)} bytes > {max_bytes}")
    if kind == "pdf":
        from rag.extract_pdf import pdf_pages  # parsers load with the first document, not at the bot's start

        # Blank pages stay: page numbers and the page count must match what the user sees.
        pages = tuple(Page(p.number, normalise(p.text)) for p in pdf_pages(data))
        if sum(len("".join(p.text.split())) for p in pages) < MIN_PDF_CHARS:
            raise ExtractError("no_text", f"{len(pages)} page(s) without a text layer (a scan?)")
    else:
        pages = (Page(0, normalise(_whole_text(kind, data))),)
    if not any(p.text for p in pages):
        raise ExtractError("empty", "no text")
    return Extracted(pages=pages, kind=kind)


def normalise(text: str) -> str:
    """NULs out, one newline style, no trailing spaces, at most one blank line in a row, stripped."""
    text = text.replace("\x00", "").replace("\r\n", "\n").replace("\r", "\n")
    return _BLANK_LINES.sub("\n\n", _TRAILING_SPACE.sub("\n", text)).strip()


def _whole_text(kind: str, data: bytes) -> str:
    """Text of a format without pages."""
    from rag.extract_docx import docx_text
    from rag.extract_text import csv_text, decode, html_text

    if kind == "docx":
        return docx_text(data)
    if kind == "html":
        return html_text(data)
    text = decode(data)
    # Markdown stays as written: its marks cost a few tokens and keep headings recognisable.
    return csv_text(text) if kind == "csv" else text
