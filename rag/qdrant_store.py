"""The knowledge collection on qdrant-client: a Qdrant server (QDRANT_URL, the scale path), or its local mode."""
from __future__ import annotations

import asyncio
import functools
import warnings
from collections.abc import Awaitable, Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from qdrant_client import AsyncQdrantClient, models
from qdrant_client.local.async_qdrant_local import AsyncQdrantLocal

from rag import qdrant_schema as schema
from rag import sparse
from rag.qdrant_schema import COLLECTION, DENSE, SPARSE, Hit, Query, Row
from rag.types import SparseVector

BATCH = 256  # points per upsert call
T = TypeVar("T")


class QdrantStore:
    """One collection through qdrant-client; local mode (old embedded folders, `rag migrate`'s source) on a thread."""

    def __init__(self, client: AsyncQdrantClient, collection: str = COLLECTION) -> None:
        self.client, self.collection = client, collection
        self.name = collection
        # Local mode works in Python inside `async def` methods: one worker thread runs its calls one at a time
        # (it is not thread-safe) so the event loop keeps its turns. (`_client` is qdrant-client's backend.)
        local = isinstance(getattr(client, "_client", None), AsyncQdrantLocal)
        self._worker = ThreadPoolExecutor(1, thread_name_prefix="qdrant-local") if local else None

    async def _call(self, call: Callable[[], Awaitable[T]]) -> T:
        """Await a client call; in local mode on the worker thread, in a loop of its own."""
        if self._worker is None:
            return await call()
        return await asyncio.get_running_loop().run_in_executor(self._worker, lambda: asyncio.run(_awaited(call)))

    async def exists(self) -> bool:
        return await self._call(lambda: self.client.collection_exists(self.collection))

    async def create(self, dense_dim: int | None, dense_model: str) -> None:
        """The collection (dense only when a model size is known, bm25 with IDF), the marker, keyword indexes."""
        vectors = {DENSE: models.VectorParams(size=dense_dim, distance=models.Distance.COSINE)} if dense_dim else {}
        await self._call(lambda: self.client.create_collection(
            self.collection, vectors_config=vectors,
            sparse_vectors_config={SPARSE: models.SparseVectorParams(modifier=models.Modifier.IDF)},
            metadata=schema.marker(dense_dim, dense_model)))
        await self._call(self._ensure_indexes)

    async def _ensure_indexes(self) -> None:
        have = (await self.client.get_collection(self.collection)).payload_schema
        for field in schema.KEYWORD_FIELDS:
            if field in have:
                continue
            # is_tenant lets a Qdrant server lay out points by scope, so a chat's search reads only its own.
            params = models.KeywordIndexParams(type=models.KeywordIndexType.KEYWORD, is_tenant=field == "scope")
            with warnings.catch_warnings():  # local mode: "payload indexes have no effect", it scans every point
                warnings.filterwarnings("ignore", message="Payload indexes have no effect")
                await self.client.create_payload_index(self.collection, field, field_schema=params)

    async def check(self, dense_dim: int | None, dense_model: str) -> bool:
        """IndexMismatch unless the collection fits this model; then any missing payload index is created. True
        when only the bm25 vectors are stale."""
        meta, have_dim = await self.built()
        stale = schema.check(self.collection, meta, have_dim, dense_dim, dense_model)
        await self._call(self._ensure_indexes)
        return stale

    async def restamp(self) -> None:
        """The collection's marker says the bm25 vectors are this code's (after rag.upgrade rebuilt them)."""
        meta, _ = await self.built()
        meta["sparse"] = sparse.VERSION
        await self._call(lambda: self.client.update_collection(self.collection, metadata=meta))

    async def built(self) -> tuple[dict[str, object], int | None]:
        """The collection's marker (empty without bm25) and its dense size (None: sparse only)."""
        info = await self._call(lambda: self.client.get_collection(self.collection))
        vectors, sparse_vectors = info.config.params.vectors, info.config.params.sparse_vectors
        have_dim = vectors[DENSE].size if isinstance(vectors, dict) and DENSE in vectors else None
        return (dict(info.config.metadata or {}) if sparse_vectors and SPARSE in sparse_vectors else {}), have_dim

    async def upsert(self, rows: Sequence[Row]) -> None:
        points = [models.PointStruct(id=r.id, payload=r.payload, vector=_vectors(r)) for r in rows]
        for start in range(0, len(points), BATCH):
            await self._call(functools.partial(self.client.upsert, self.collection, points[start:start + BATCH],
                                               wait=True))

    async def delete(self, doc_id: str, scope: str | None = None, keep: Sequence[str] = ()) -> None:
        must = [_any_of("doc_id", [doc_id]), *([_any_of("scope", [scope])] if scope else [])]
        flt = models.Filter(must=must, must_not=[models.HasIdCondition(has_id=list(keep))] if keep else [])
        await self._call(lambda: self.client.delete(self.collection, models.FilterSelector(filter=flt), wait=True))

    async def query(self, scopes: Sequence[str], sides: Mapping[str, Query], limit: int) -> list[list[Hit]]:
        """Each side's best `limit` inside the scopes, one round trip; bm25's IDF counts only those scopes.

        (Per-tenant IDF, `idf.corpus`, needs a Qdrant server ≥ 1.19; qdrant-client's local mode has it too.)
        """
        flt = models.Filter(must=[_any_of("scope", scopes)])
        idf = models.SearchParams(idf=models.IdfCorpusParams(corpus=flt))
        requests = [models.QueryRequest(
            query=models.SparseVector(indices=list(q.indices), values=list(q.values)) if isinstance(q, SparseVector)
            else q, using=using, filter=flt, limit=limit, with_payload=True,
            params=idf if using == SPARSE else None) for using, q in sides.items()]
        responses = await self._call(lambda: self.client.query_batch_points(self.collection, requests))
        return [[Hit(str(p.id), p.score, p.payload or {}) for p in r.points] for r in responses]

    async def count(self, scopes: Sequence[str] | None) -> int:
        flt = None if scopes is None else models.Filter(must=[_any_of("scope", scopes)])
        return (await self._call(lambda: self.client.count(self.collection, count_filter=flt, exact=True))).count

    async def page(self, offset: Any, limit: int, vectors: bool) -> tuple[list[Row], Any]:
        """Up to `limit` stored rows from offset (None: the start), and the next offset (None: the end)."""
        points, nxt = await self._call(lambda: self.client.scroll(
            self.collection, limit=limit, offset=offset, with_payload=True, with_vectors=vectors))
        return [_row(p) for p in points], nxt

    async def drop(self) -> None:
        await self._call(lambda: self.client.delete_collection(self.collection))

    async def close(self) -> None:
        """Release the client (and local mode's lock on its folder)."""
        await self._call(self.client.close)
        if self._worker is not None:
            self._worker.shutdown(wait=False)


def _vectors(row: Row) -> dict[str, models.Vector]:
    bm25 = models.SparseVector(indices=list(row.sparse.indices), values=list(row.sparse.values))
    return {SPARSE: bm25, **({DENSE: row.dense} if row.dense is not None else {})}


def _row(p: models.Record) -> Row:
    vec = p.vector if isinstance(p.vector, dict) else {}
    bm25, dense = vec.get(SPARSE), vec.get(DENSE)
    terms = SparseVector(tuple(bm25.indices), tuple(bm25.values)) if isinstance(bm25, models.SparseVector) \
        else SparseVector((), ())
    return Row(str(p.id), terms, _floats(dense), dict(p.payload or {}))


def _floats(dense: object) -> list[float] | None:
    """A stored dense vector as floats (None when the point has none)."""
    return [float(x) for x in dense if isinstance(x, (int, float))] if isinstance(dense, list) else None


def _any_of(field: str, values: Sequence[str]) -> models.FieldCondition:
    """field ∈ values, on a keyword payload index."""
    return models.FieldCondition(key=field, match=models.MatchAny(any=list(values)))


async def _awaited(call: Callable[[], Awaitable[T]]) -> T:
    # The coroutine is made on the worker thread, so a call cancelled before it starts leaves none unawaited.
    return await call()
