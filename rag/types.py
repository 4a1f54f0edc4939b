"""Small frozen records at the knowledge base's seams: pages, chunks, sparse vectors, passages."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Page:
    """Text of one page (PDF) or of the whole file (number 0: formats without pages)."""

    number: int
    text: str


@dataclass(frozen=True, slots=True)
class Extracted:
    """A document's text, page by page, and what kind of file it was (pdf, docx, txt, md, html, csv)."""

    pages: tuple[Page, ...]
    kind: str

    @property
    def text(self) -> str:
        return "\n\n".join(p.text for p in self.pages)


class ExtractError(Exception):
    """A file we cannot take; `reason` picks the user's notice.

    Reasons: empty, too_large, unsupported, encrypted, corrupt, no_text (a scan without a text layer),
    bomb (an archive that inflates far beyond its size), encoding (text in an unknown encoding).
    """

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True, slots=True)
class Chunk:
    """A piece of a document sized for retrieval: its text, the page it starts on, its place in the file."""

    text: str
    page: int
    index: int


@dataclass(frozen=True, slots=True)
class SparseVector:
    """BM25-style term weights: hashed token ids and their weights (IDF is applied by Qdrant)."""

    indices: tuple[int, ...]
    values: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class Passage:
    """One retrieved chunk with where it came from and how well it matched."""

    text: str
    file_name: str
    page: int
    doc_id: str
    chunk_index: int
    scope: str
    score: float


class IndexMismatch(Exception):
    """The collection was built for another embedding model/size; the message names the fix (python -m rag reindex)."""


class IndexBusy(RuntimeError):
    """The embedded index's folder is open in another process (the bot): one process at a time may use it."""
