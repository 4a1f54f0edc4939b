"""DOCX → raw text with python-docx, after a zip check that refuses archive bombs without inflating anything."""
from __future__ import annotations

import io
import zipfile
import zlib
from collections.abc import Iterator

import docx
from docx.opc.exceptions import OpcError
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph
from lxml import etree

from rag.types import ExtractError

__all__ = ["MAX_DOCUMENT_XML", "MAX_MEMBERS", "MAX_RATIO", "MAX_UNZIPPED", "check_zip", "docx_text"]

MAX_UNZIPPED = 200 * 1024 * 1024  # sum of the members' declared sizes
MAX_RATIO = 100  # uncompressed : compressed, for any member over BIG_MEMBER
BIG_MEMBER = 4 * 1024 * 1024  # small XML parts compress 100:1 honestly; only big members are suspicious
MAX_DOCUMENT_XML = 64 * 1024 * 1024  # python-docx parses it whole: ~0.25 s per MB, several times its size in RAM
MAX_MEMBERS = 10_000  # a real document has tens of parts; millions of empty entries are a bomb of their own
# RuntimeError covers zipfile's encrypted members and unknown methods (NotImplementedError) and RecursionError.
_BROKEN = (OpcError, KeyError, ValueError, IndexError, TypeError, AttributeError, RuntimeError, EOFError, OSError,
           zipfile.BadZipFile, zlib.error, etree.LxmlError)
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Compound File magic: legacy .doc, or Word's password-protected .docx
_ENCRYPTION_INFO = "EncryptionInfo".encode("utf-16-le")  # the stream Office adds when it encrypts a document


def docx_text(data: bytes) -> str:
    """Paragraphs and table cells in document order; raises corrupt, bomb, too_large, encrypted or unsupported."""
    check_zip(data)
    try:
        document = docx.Document(io.BytesIO(data))
        return "\n".join(_blocks(document.iter_inner_content()))
    except _BROKEN as e:
        raise ExtractError("corrupt", f"{type(e).__name__}: {e}") from e


def check_zip(data: bytes) -> None:
    """Refuse what is not a zip, a zip that would inflate too far, or one without a (sane) word/document.xml."""
    if data.startswith(_OLE):
        if _ENCRYPTION_INFO in data:
            raise ExtractError("encrypted", "a password-protected Word document")
        raise ExtractError("unsupported", "an old binary .doc named .docx: save it as .docx")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, NotImplementedError) as e:
        raise ExtractError("corrupt", f"not a zip archive: {e}") from e
    if len(members) > MAX_MEMBERS:
        raise ExtractError("bomb", f"{len(members)} archive members")
    # Declared sizes can be trusted as bounds: zipfile never returns more bytes than a member declares.
    total = sum(m.file_size for m in members)
    if total > MAX_UNZIPPED:
        raise ExtractError("bomb", f"inflates to {total} bytes > {MAX_UNZIPPED}")
    for m in members:
        if m.file_size > BIG_MEMBER and m.file_size > MAX_RATIO * max(m.compress_size, 1):
            raise ExtractError("bomb", f"{m.filename}: {m.compress_size} bytes inflate to {m.file_size}")
    body = next((m for m in members if m.filename == "word/document.xml"), None)
    if body is None:
        raise ExtractError("corrupt", "a zip without word/document.xml is not a Word document")
    if body.file_size > MAX_DOCUMENT_XML:
        raise ExtractError("too_large", f"word/document.xml is {body.file_size} bytes > {MAX_DOCUMENT_XML}")


def _blocks(items: Iterator[Paragraph | Table]) -> Iterator[str]:
    """Paragraph texts, and one line per table row with its cells separated by ' | '."""
    for item in items:
        if isinstance(item, Paragraph):
            yield item.text
            continue
        for row in item.rows:
            cells: list[_Cell] = []
            for cell in row.cells:
                if not cells or cell._tc is not cells[-1]._tc:  # a merged cell repeats across the columns it spans
                    cells.append(cell)
            texts = (" ".join(t for t in _blocks(c.iter_inner_content()) if t.strip()) for c in cells)
            yield " | ".join(t for t in texts if t)
