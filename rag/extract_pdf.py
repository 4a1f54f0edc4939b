"""PDF pages → raw text with pypdf, turning its many failure modes into ExtractError reasons."""
from __future__ import annotations

import io
import logging
import struct
import zlib

from pypdf import PasswordType, PdfReader
from pypdf.errors import (
    DependencyError,
    DeprecationError,
    LimitReachedError,
    PyPdfError,
)

from rag.types import ExtractError, Page

__all__ = ["MAX_PAGES", "pdf_pages"]

log = logging.getLogger(__name__)
MAX_PAGES = 2_000  # keeps one upload from holding a worker thread for minutes
# pypdf on hostile or broken files raises far more than its own errors (parsers index dicts, unpack structs, recurse).
# DeprecationError: pypdf 7 refuses abbreviated names (/Fl) that old or fuzzed files still carry.
_BROKEN = (PyPdfError, DeprecationError, ValueError, KeyError, IndexError, TypeError, AttributeError, AssertionError,
           RecursionError, OverflowError, NotImplementedError, struct.error, zlib.error)


def pdf_pages(data: bytes) -> list[Page]:
    """Every page's text, numbered from 1, blank pages included; raises encrypted, corrupt, too_large, empty, bomb."""
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            _unlock(reader)
        count = len(reader.pages)
    except _BROKEN as e:
        # pypdf's limits stop reference loops too: only a stream that inflates past its cap is a bomb.
        bomb = isinstance(e, LimitReachedError) and "decompress" in str(e)
        raise ExtractError("bomb" if bomb else "corrupt", f"{type(e).__name__}: {e}") from e
    if count > MAX_PAGES:
        raise ExtractError("too_large", f"{count} pages; at most {MAX_PAGES} are read")
    if count == 0:
        raise ExtractError("empty", "a PDF without pages")
    texts = [_page_text(reader, number) for number in range(1, count + 1)]
    if all(text is None for text in texts):
        raise ExtractError("corrupt", f"none of {count} page(s) could be read")
    return [Page(number, text or "") for number, text in enumerate(texts, 1)]


def _page_text(reader: PdfReader, number: int) -> str | None:
    """One page's text; None if that page is damaged."""
    try:
        return reader.pages[number - 1].extract_text()
    except DependencyError as e:
        # AES-128 files pass the empty-password check without an AES library and fail only here.
        raise ExtractError("encrypted", f"AES-encrypted and no AES library: {e}") from e
    except _BROKEN as e:
        # One damaged page (or one over pypdf's 75 MB stream cap) should not cost the user the other 99.
        log.warning("pdf page %d unreadable: %s: %s", number, type(e).__name__, e)
        return None


def _unlock(reader: PdfReader) -> None:
    """Open an encrypted PDF with the empty user password (most "protected" PDFs only restrict printing or copying)."""
    try:
        opened = reader.decrypt("")
    except DependencyError as e:
        # AES needs the `cryptography` package; without it we cannot tell an open file from a locked one.
        raise ExtractError("encrypted", f"AES-encrypted and no AES library: {e}") from e
    if opened == PasswordType.NOT_DECRYPTED:
        raise ExtractError("encrypted", "a password is needed to open it")
