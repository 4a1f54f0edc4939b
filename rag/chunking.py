"""Extracted text → retrieval-sized chunks with semchunk, one page at a time so every chunk cites an exact page."""
from __future__ import annotations

import re
from typing import cast

# From the defining module: semchunk/__init__ re-exports without __all__, so mypy without implicit_reexport refuses it.
from semchunk.semchunk import chunkerify

from rag.types import Chunk, Extracted

__all__ = ["chunk", "count_tokens"]

_TOKEN = re.compile(r"\w+|[^\w\s]")


def count_tokens(text: str) -> int:
    """A cheap model-agnostic token estimate: words and punctuation (\\w+|[^\\w\\s]), good enough to size chunks."""
    return len(_TOKEN.findall(text))


def chunk(extracted: Extracted, *, size: int = 350, overlap: int = 50) -> list[Chunk]:
    """Token-sized chunks with overlap, each knowing its page; indexes run across the whole document."""
    if size < 2:
        raise ValueError(f"chunk size {size} < 2 tokens")
    # semchunk cuts pieces of min(overlap, size - overlap) tokens and merges them: a big overlap means tiny, slow
    # pieces, and past half the size it only duplicates text.
    overlap = max(0, min(overlap, size // 2))
    # memoize=False: semchunk would keep every string it counted in a process-wide cache, and this counter is
    # cheap enough without one (same speed on a 13 MB text).
    chunker = chunkerify(count_tokens, chunk_size=size, memoize=False)
    chunks: list[Chunk] = []
    for page in extracted.pages:
        if not page.text.strip():
            continue
        # One text without offsets gives list[str]; semchunk annotates __call__ with the union of every call shape.
        pieces = cast("list[str]", chunker(page.text, overlap=overlap or None))
        for text in pieces:
            if text.strip():
                chunks.append(Chunk(text=text.strip(), page=page.number, index=len(chunks)))
    return chunks

