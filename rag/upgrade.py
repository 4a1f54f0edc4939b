"""Upgrades a start makes on its own, so an upgraded bot answers from its documents without an operator's step:
an old embedded folder (qdrant-client local mode) moved to Qdrant Edge, and bm25 vectors rebuilt when the word
tokenizer changed (from each chunk's stored text: no embedding model is needed)."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from rag import sparse
from rag.qdrant_schema import COLLECTION, Row

if TYPE_CHECKING:
    from rag.index import KnowledgeIndex

log = logging.getLogger(__name__)
PAGE = 256  # points read and rewritten per step: bounded memory for any size


async def adopt(index: KnowledgeIndex) -> None:
    """An old embedded folder (qdrant-client local mode) moved into the index's empty Edge folder, once."""
    legacy = Path(index.legacy_path or "")
    if not index.legacy_path or not (legacy / "collection" / COLLECTION).is_dir() or await index.store.exists():
        return
    from rag.migrate import migrate  # imports qdrant-client: only an upgraded deployment pays for it
    from rag.types import IndexMismatch

    log.warning("moving the knowledge base from the old embedded folder %s to %s (once, after an upgrade)",
                legacy, index.store.name)
    if await migrate(legacy, Path(index.store.name), say=log.warning) != 0:
        raise IndexMismatch(f"could not move the knowledge base from {legacy}: run `python -m rag migrate` "
                            "with the bot stopped to see why")


async def resparse(index: KnowledgeIndex) -> int:
    """Rebuild every chunk's bm25 vector with this code's tokenizer, keep its dense vector; returns chunks."""
    log.warning("rebuilding the knowledge base's word vectors for %s (once, after an upgrade)", sparse.VERSION)
    done = 0
    async for rows in index.rows(vectors=True, page=PAGE):
        fresh = await asyncio.to_thread(resparsed, rows, index.avg_len)
        await index.store.upsert(fresh)
        done += len(fresh)
    await index.store.restamp()
    log.warning("rebuilt the word vectors of %d chunks", done)
    return done


def resparsed(rows: Sequence[Row], avg_len: float) -> list[Row]:
    """The rows with bm25 vectors made by this code's tokenizer from their stored text; dense and payload kept."""
    return [Row(r.id, sparse.doc_vector(str(r.payload.get("text", "")), avg_len=avg_len), r.dense, r.payload)
            for r in rows]
