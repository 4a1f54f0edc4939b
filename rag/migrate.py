"""`python -m rag migrate`: copy an old embedded folder (qdrant-client local mode) into Qdrant Edge."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from rag import sparse
from rag.index import NO_EDGE, KnowledgeIndex
from rag.qdrant_schema import COLLECTION, Row
from rag.types import IndexBusy, IndexMismatch

PAGE = 256  # points read and written per step: bounded memory for any size


async def migrate(source: Path, target: Path, say: Callable[[str], object] = print) -> int:
    """Copy every point (vectors, payload, id) from source to target; the exit code (0 done, 2 could not).

    Idempotent: ids are kept, so a second run rewrites the same points. The source is only read.
    """
    if not (source / "collection" / COLLECTION).is_dir():
        say(f"nothing to migrate: {source} holds no old knowledge collection")
        return 0
    from qdrant_client import AsyncQdrantClient

    from rag.qdrant_store import QdrantStore

    try:
        from rag.edge_store import EdgeStore
    except ImportError:
        say(NO_EDGE)
        return 2
    try:
        old = QdrantStore(AsyncQdrantClient(path=str(source)))
    except RuntimeError as exc:  # portalocker: an older bot still has it open
        say(f"{source} is in use ({exc}): stop the bot, then run this again")
        return 2
    meta, dim = await old.built()
    model = str(meta.get("dense_model") or "")
    # Built as the source was: its dense vectors are copied, so the target must have their size and model.
    new = KnowledgeIndex(EdgeStore(str(target)), dense_dim=dim, dense_model=model)
    try:
        await new.ensure()
        before = await new.count()
        resparse = meta.get("sparse") != sparse.VERSION  # model-free: rebuilt from the text, not copied stale
        copied = 0
        source_index = KnowledgeIndex(old, dense_dim=dim)
        async for rows in source_index.rows(vectors=True, page=PAGE):
            if resparse:
                rows = [Row(r.id, sparse.doc_vector(str(r.payload.get("text", "")), avg_len=new.avg_len), r.dense,
                            r.payload) for r in rows]
            await new.store.upsert(rows)
            copied += len(rows)
        after = await new.count()
    except IndexBusy as exc:
        say(f"{exc}: stop the bot, then run this again")
        return 2
    except IndexMismatch as exc:
        say(f"{target} already holds a knowledge base built otherwise: {exc}")
        return 2
    finally:
        await new.close()
        await old.close()
    kinds = "dense+sparse" if dim else "sparse only"
    say(f"migrated {copied} chunks ({kinds}, {model or 'no dense model'}) from {source} to {target}: it held "
        f"{before}, now {after}{'; bm25 rebuilt for ' + sparse.VERSION if resparse else ''}.")
    say(f"The old folder {source} is kept and no longer used: delete it once the bot answers from its documents.")
    return 0
