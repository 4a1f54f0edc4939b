"""`python -m rag migrate` (and an upgraded bot's first start): move an old embedded folder (qdrant-client local
mode) into Qdrant Edge, once."""
from __future__ import annotations

import contextlib
import fcntl
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

from rag import sparse
from rag.index import NO_EDGE, KnowledgeIndex
from rag.qdrant_schema import COLLECTION
from rag.types import IndexBusy, IndexMismatch
from rag.upgrade import PAGE, resparsed


async def migrate(source: Path, target: Path, say: Callable[[str], object] = print) -> int:
    """Copy every point (vectors, payload, id) from source to target, then delete the old collection; the exit
    code (0 done or nothing to do, 2 could not).

    Written into a side folder renamed into place only when the copy is complete and counted, so a run that dies
    halfway leaves the old folder in charge. The old collection is deleted after that: documents deleted later
    (`/kb delete`, `/forget`) must not live on in it, nor come back from a second run.
    """
    if not (source / "collection" / COLLECTION).is_dir():
        say(f"nothing to migrate: {source} holds no old knowledge collection")
        return 0
    if target.is_dir() and any(target.iterdir()):
        say(f"{target} already holds files (a knowledge base?): move them aside to migrate {source} into its place")
        return 2
    try:
        from rag.edge_store import EdgeStore  # noqa: F401 - only whether the engine is installed
    except ImportError:
        say(NO_EDGE)
        return 2
    try:
        with _alone(target):
            return await _move(source, target, say)
    except IndexBusy as exc:
        say(f"{exc}: stop the bot, then run this again")
        return 2


@contextlib.contextmanager
def _alone(target: Path) -> Iterator[None]:
    """One mover at a time (two processes starting on one DATA_DIR)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.with_name(f".{target.name}.moving.lock"), "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise IndexBusy(f"{target} is being moved by another process") from None
        yield


async def _move(source: Path, target: Path, say: Callable[[str], object]) -> int:
    from qdrant_client import AsyncQdrantClient

    from rag.edge_store import EdgeStore
    from rag.qdrant_store import QdrantStore

    side = target.with_name(target.name + ".moving")
    shutil.rmtree(side, ignore_errors=True)  # a run that died halfway
    try:
        old = QdrantStore(AsyncQdrantClient(path=str(source)))
    except RuntimeError as exc:  # portalocker: an older bot still has it open
        say(f"{source} is in use ({exc}): stop the bot, then run this again")
        return 2
    try:
        meta, dim = await old.built()
        model = str(meta.get("dense_model") or "")
        # Built as the source was: its dense vectors are copied, so the target must have their size and model.
        new = KnowledgeIndex(EdgeStore(str(side)), dense_dim=dim, dense_model=model)
        try:
            await new.ensure()
            resparse = meta.get("sparse") != sparse.VERSION  # model-free: rebuilt from the text, not copied stale
            copied = 0
            async for rows in KnowledgeIndex(old, dense_dim=dim).rows(vectors=True, page=PAGE):
                await new.store.upsert(resparsed(rows, new.avg_len) if resparse else rows)
                copied += len(rows)
            held, stored = await old.count(None), await new.count()
        finally:
            await new.close()
    except IndexMismatch as exc:
        say(f"{source} could not be read as a knowledge base: {exc}")
        return 2
    finally:
        await old.close()
    if stored != held:
        shutil.rmtree(side, ignore_errors=True)
        say(f"copied {stored} of {held} chunks from {source}: nothing changed, run this again")
        return 2
    if target.is_dir() and not any(target.iterdir()):
        target.rmdir()
    side.rename(target)
    shutil.rmtree(source / "collection" / COLLECTION)
    kinds = "dense+sparse" if dim else "sparse only"
    say(f"migrated {copied} chunks ({kinds}, {model or 'no dense model'}) from {source} to {target}"
        f"{'; bm25 rebuilt for ' + sparse.VERSION if resparse else ''}; the old collection in {source} is deleted.")
    return 0
