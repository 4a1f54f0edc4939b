"""The knowledge index on Qdrant: chunks per scope, hybrid BM25 + dense search, strict scope isolation."""
from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from qdrant_client import AsyncQdrantClient, models
from qdrant_client.local.async_qdrant_local import AsyncQdrantLocal

from rag import qdrant_schema as schema
from rag import relevance, sparse
from rag.qdrant_schema import DENSE, SPARSE
from rag.types import Chunk, IndexMismatch, Passage

__all__ = ["COLLECTION", "IndexMismatch", "KnowledgeIndex"]

COLLECTION = "dagi_kb"
# The dense list counts half as much as the words in the fusion: measured with the only embedding model this
# machine has offline (English MiniLM), weight 1.0 gave ua_squad hybrid 0.828 < sparse 0.874, weight 0.5
# gives 0.874 (and scifact 0.709 > sparse 0.692). A strong multilingual model (bge-m3) may deserve more.
DENSE_WEIGHT = 0.5
BATCH = 256  # points per upsert call
T = TypeVar("T")


class KnowledgeIndex:
    """Chunks of documents per scope ("chat:…", "agent:…") in one Qdrant collection; every read filters on scope."""

    def __init__(
        self,
        client: AsyncQdrantClient,
        *,
        collection: str = COLLECTION,
        dense_dim: int | None,
        dense_model: str = "",
        avg_len: float = 120.0,
        dense_weight: float = DENSE_WEIGHT,
    ) -> None:
        self.client = client
        self.dense_weight = dense_weight
        self.collection = collection
        self.dense_dim = dense_dim
        self.dense_model = dense_model
        self.avg_len = avg_len  # BM25 length normalisation: typical content tokens per chunk
        # Local mode does its work in Python inside `async def` methods: a search over 10k chunks would
        # freeze every chat for ~0.5 s. One worker thread runs those calls one at a time instead (the
        # local collection is not thread-safe), and the event loop keeps its turns of the GIL.
        # (qdrant-client keeps its backend in `_client`: AsyncQdrantLocal in local mode, a remote client otherwise.)
        local = isinstance(getattr(client, "_client", None), AsyncQdrantLocal)
        self._worker = ThreadPoolExecutor(1, thread_name_prefix="qdrant-local") if local else None

    @classmethod
    def open(
        cls,
        *,
        path: str | None = None,
        url: str | None = None,
        api_key: str | None = None,
        dense_dim: int | None,
        dense_model: str = "",
        avg_len: float = 120.0,
        dense_weight: float = DENSE_WEIGHT,
    ) -> KnowledgeIndex:
        """Local (embedded) mode at path (":memory:" keeps nothing), or a Qdrant server at url."""
        if (path is None) == (url is None):
            raise ValueError("give exactly one of path (local mode) or url (server)")
        if url is not None:
            client = AsyncQdrantClient(url=url, api_key=api_key)
        elif path == ":memory:":
            client = AsyncQdrantClient(location=":memory:")
        else:
            client = AsyncQdrantClient(path=path)
        return cls(client, dense_dim=dense_dim, dense_model=dense_model, avg_len=avg_len, dense_weight=dense_weight)

    async def _call(self, call: Callable[[], Awaitable[T]]) -> T:
        """Await a client call; in local mode on the worker thread, in a loop of its own."""
        if self._worker is None:
            return await call()
        return await asyncio.get_running_loop().run_in_executor(self._worker, lambda: asyncio.run(_awaited(call)))

    async def ensure(self) -> None:
        """Create the collection (dense if dense_dim, bm25 with IDF, keyword indexes); IndexMismatch if unfit."""
        c, name, dim, model = self.client, self.collection, self.dense_dim, self.dense_model
        if await self._call(lambda: c.collection_exists(name)):
            await self._call(lambda: schema.check(c, name, dense_dim=dim, dense_model=model))
        else:
            await self._call(lambda: schema.create(c, name, dense_dim=dim, dense_model=model))
        await self._call(lambda: schema.ensure_indexes(c, name))

    async def add(
        self,
        *,
        scope: str,
        doc_id: str,
        file_name: str,
        chunks: Sequence[Chunk],
        dense: Sequence[Sequence[float]] | None,
    ) -> int:
        """Upsert one point per chunk (bm25, dense when given), drop the doc's leftover chunks; points written."""
        if not scope or not doc_id:
            raise ValueError("scope and doc_id must be non-empty")
        if dense is not None:
            if self.dense_dim is None:
                raise ValueError("dense vectors given to an index without a dense model")
            if len(dense) != len(chunks) or any(len(v) != self.dense_dim for v in dense):
                raise ValueError(f"need one {self.dense_dim}-dim dense vector per chunk")
        # Off the loop: sparse vectors cost ~0.15 ms a chunk, a long document would stall every chat.
        points = await asyncio.to_thread(schema.points, scope, doc_id, file_name, chunks, dense, self.avg_len)
        for start in range(0, len(points), BATCH):
            batch = points[start : start + BATCH]
            await self._call(functools.partial(self.client.upsert, self.collection, batch, wait=True))
        # A re-upload of the same doc_id with fewer chunks must not leave the old tail behind.
        stale = models.Filter(
            must=[schema.any_of("doc_id", [doc_id]), schema.any_of("scope", [scope])],
            must_not=[models.HasIdCondition(has_id=[p.id for p in points])] if points else [],
        )
        await self._call(lambda: self.client.delete(self.collection, models.FilterSelector(filter=stale), wait=True))
        return len(points)

    async def delete(self, doc_id: str) -> None:
        """Remove every point of the document, in whatever scope."""
        selector = models.FilterSelector(filter=models.Filter(must=[schema.any_of("doc_id", [doc_id])]))
        await self._call(lambda: self.client.delete(self.collection, selector, wait=True))

    async def search(
        self,
        query: str,
        *,
        scopes: Sequence[str],
        dense: Sequence[float] | None = None,
        limit: int = 10,
        candidates: int = 50,
        threshold: float | None = None,
        dense_threshold: float | None = None,
    ) -> list[Passage]:
        """Hybrid search inside scopes: passages in fused rank order, each scored by absolute relevance.

        Candidates: up to `candidates` by BM25 and, when `dense` is given (and the index has a dense
        model), up to `candidates` by cosine; both filtered on scope ∈ scopes inside Qdrant, and no
        scopes means no search. Order: reciprocal rank fusion of the two lists (Qdrant's formula, k=2),
        or the one list there is. RRF says nothing about relevance (it is ~1/(k+rank) for any query)
        and raw BM25 grows with the corpus through IDF, so Passage.score is absolute evidence instead:
        max(lexical, cosine), where lexical is the share of the query's distinct content stems found in
        the chunk (model-free, the same scale for any corpus) and cosine is the dense similarity (0 when
        the chunk was not a dense candidate). With `threshold`, a passage is kept when lexical >=
        threshold or cosine >= dense_threshold (default: threshold; set it per embedding model). The
        caller's "the KB has relevant passages" is a non-empty result; without a dense vector, a query
        sharing no word with any chunk returns nothing. bench/rag.py prints how each threshold fares.
        """
        if not scopes or limit <= 0:
            return []
        flt = models.Filter(must=[schema.any_of("scope", scopes)])
        sides: dict[str, models.SparseVector | list[float]] = {}
        qv = sparse.query_vector(query)
        if qv.indices:
            sides[SPARSE] = models.SparseVector(indices=list(qv.indices), values=list(qv.values))
        if dense is not None and self.dense_dim is not None:
            sides[DENSE] = [float(x) for x in dense]
        if not sides:
            return []
        requests = [models.QueryRequest(query=q, using=using, filter=flt, limit=candidates, with_payload=True)
                    for using, q in sides.items()]
        # One round trip for both sides; fused here, not by Qdrant, because the gate needs each side's raw score.
        responses = await self._call(lambda: self.client.query_batch_points(self.collection, requests))
        weights = [self.dense_weight if using == DENSE else 1.0 for using in sides]
        fused = relevance.rrf([[p.id for p in r.points] for r in responses], weights=weights)
        payloads = {p.id: p.payload or {} for r in responses for p in r.points}
        cosine = {p.id: p.score for using, r in zip(sides, responses, strict=False) if using == DENSE for p in r.points}
        wanted = set(sparse.tokens(query))
        passages = []
        for pid in sorted(fused, key=lambda x: -fused[x]):
            lexical = relevance.coverage(wanted, str(payloads[pid].get("text", "")))
            if relevance.admits(lexical, cosine.get(pid), threshold, dense_threshold):
                passages.append(schema.passage(payloads[pid], max(lexical, cosine.get(pid, 0.0))))
                if len(passages) == limit:
                    break
        return passages

    async def count(self, scopes: Sequence[str] | None = None) -> int:
        """Points in the given scopes (None: the whole collection); 0 before the collection exists."""
        if (scopes is not None and not scopes) or not await self._call(
                lambda: self.client.collection_exists(self.collection)):
            return 0
        flt = None if scopes is None else models.Filter(must=[schema.any_of("scope", scopes)])
        return (await self._call(lambda: self.client.count(self.collection, count_filter=flt, exact=True))).count

    async def close(self) -> None:
        """Release the client (and local mode's lock on its folder)."""
        await self._call(self.client.close)
        if self._worker is not None:
            self._worker.shutdown(wait=False)


async def _awaited(call: Callable[[], Awaitable[T]]) -> T:
    # The coroutine is made on the worker thread, so a call cancelled before it starts leaves none unawaited.
    return await call()
