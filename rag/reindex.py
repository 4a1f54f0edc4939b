"""Rebuild every document's vectors with the current embedding model and size (after changing either)."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from rag import upgrade
from rag.knowledge import Asker, KnowledgeBase
from rag.types import Chunk


async def reindex(kb: KnowledgeBase, progress: Callable[[int, int], object] = lambda n, total: None) -> int:
    """Read every chunk's text, recreate the collection, embed and store again; returns chunks written.

    The texts come from the collection itself (payloads), so the original files are not needed.
    """
    index = kb.index
    await upgrade.adopt(index)  # run before the upgraded bot's first start: the old folder's chunks are the texts
    docs: dict[tuple[str, str, str], list[Chunk]] = defaultdict(list)
    async for rows in index.rows():
        for row in rows:
            pl = row.payload
            docs[(str(pl["scope"]), str(pl["doc_id"]), str(pl["file_name"]))].append(
                Chunk(str(pl["text"]), int(pl.get("page") or 0), int(pl.get("chunk_index") or 0)))
    await index.reset()
    total, done = sum(map(len, docs.values())), 0
    for (scope, doc_id, file_name), chunks in docs.items():
        chunks.sort(key=lambda c: c.index)
        dense = await kb.embed([c.text for c in chunks], Asker())
        await index.add(scope=scope, doc_id=doc_id, file_name=file_name, chunks=chunks, dense=dense)
        await kb.registry.set_dense(doc_id, dense is not None)
        done += len(chunks)
        progress(done, total)
    await kb.start()  # the collection now matches: learn which bases have documents
    return done
