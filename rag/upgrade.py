"""Upgrades a start makes on its own, so an upgraded bot answers from its documents without an operator's step:
an old embedded folder (qdrant-client local mode) moved to Qdrant Edge, and bm25 vectors rebuilt when the word
tokenizer changed (from each chunk's stored text: no embedding model is needed)."""
from __future__ import annotations

import asyncio
import logging
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from rag import sparse
from rag.qdrant_schema import COLLECTION, Row

if TYPE_CHECKING:
    from rag.index import KnowledgeIndex

log = logging.getLogger(__name__)
PAGE = 256  # points read and rewritten per step: bounded memory for any size


def has_legacy(folder: str | None) -> bool:
    """Whether an old local-mode folder holds the knowledge collection."""
    return bool(folder) and (Path(folder or "") / "collection" / COLLECTION).is_dir()


async def move_legacy(legacy: Path, target: Path) -> None:
    """`python -m rag migrate` at start: into a side folder first, renamed into place only when complete, so a
    crash halfway leaves the old folder in charge and the next start moves it again."""
    from rag.migrate import migrate  # imports qdrant-client: only an upgraded deployment pays for it

    log.warning("moving the knowledge base from the old embedded folder %s to %s (once, after an upgrade)",
                legacy, target)
    side = target.with_name(target.name + ".moving")
    if side.exists():
        shutil.rmtree(side)  # an earlier start died while moving
    if await migrate(legacy, side, say=log.warning) != 0:
        shutil.rmtree(side, ignore_errors=True)
        from rag.types import IndexMismatch

        raise IndexMismatch(f"could not move the knowledge base from {legacy}: run `python -m rag migrate` "
                            "with the bot stopped to see why")
    if target.is_dir() and not any(target.iterdir()):
        target.rmdir()
    side.rename(target)


async def resparse(index: KnowledgeIndex) -> int:
    """Rebuild every chunk's bm25 vector with this code's tokenizer, keep its dense vector; returns chunks."""
    log.warning("rebuilding the knowledge base's word vectors for %s (once, after an upgrade)", sparse.VERSION)
    done = 0
    async for rows in index.rows(vectors=True, page=PAGE):
        fresh = await asyncio.to_thread(lambda rs: [
            Row(r.id, sparse.doc_vector(str(r.payload.get("text", "")), avg_len=index.avg_len), r.dense, r.payload)
            for r in rs], rows)
        await index.store.upsert(fresh)
        done += len(fresh)
    await index.store.restamp()
    log.warning("rebuilt the word vectors of %d chunks", done)
    return done
