"""The knowledge index on Qdrant: chunks per scope, hybrid BM25 + dense search, strict scope isolation."""
from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence

from qdrant_client import AsyncQdrantClient, models

from rag import qdrant_schema, relevance, sparse
from rag.qdrant_schema import DENSE, SPARSE, IndexMismatch
from rag.types import Chunk, Passage

__all__ = ["COLLECTION", "IndexMismatch", "KnowledgeIndex"]

COLLECTION = "dagi_kb"
BATCH = 128  # points per upsert: local mode runs each call on the event loop, so keep every stall short
_IDS = uuid.uuid5(uuid.NAMESPACE_URL, "dagi:kb")


def point_id(scope: str, doc_id: str, index: int) -> str:
    """A stable id per chunk; the scope is part of it so one doc_id in two chats never shares a point."""
    return str(uuid.uuid5(_IDS, f"{scope}\x00{doc_id}\x00{index}"))


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
    ) -> None:
        self.client = client
        self.collection = collection
        self.dense_dim = dense_dim
        self.dense_model = dense_model
        self.avg_len = avg_len  # BM25 length normalisation: typical tokens per chunk

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
        return cls(client, dense_dim=dense_dim, dense_model=dense_model, avg_len=avg_len)

    async def ensure(self) -> None:
        """Create the collection (named dense vector "dense" of dense_dim, cosine — only if dense_dim; sparse vector "bm25" with IDF modifier), payload indexes on "scope" (keyword) and "doc_id" (keyword); if it exists, check that its dense size and the model name stored in collection metadata match — else IndexMismatch."""
        if await self.client.collection_exists(self.collection):
            await qdrant_schema.check(
                self.client, self.collection, dense_dim=self.dense_dim, dense_model=self.dense_model
            )
        else:
            await qdrant_schema.create(
                self.client, self.collection, dense_dim=self.dense_dim, dense_model=self.dense_model
            )
        await qdrant_schema.ensure_indexes(self.client, self.collection)

    async def add(
        self,
        *,
        scope: str,
        doc_id: str,
        file_name: str,
        chunks: Sequence[Chunk],
        dense: Sequence[Sequence[float]] | None,
    ) -> int:
        """Upsert one point per chunk (bm25 always, dense when given); drop the doc's leftover chunks; return points written."""
        if not scope or not doc_id:
            raise ValueError("scope and doc_id must be non-empty")
        if dense is not None:
            if self.dense_dim is None:
                raise ValueError("dense vectors given to an index without a dense model")
            if len(dense) != len(chunks) or any(len(v) != self.dense_dim for v in dense):
                raise ValueError(f"need one {self.dense_dim}-dim dense vector per chunk")
        points = []
        for i, chunk in enumerate(chunks):
            sv = sparse.doc_vector(chunk.text, avg_len=self.avg_len)
            vector: dict[str, object] = {SPARSE: models.SparseVector(indices=list(sv.indices), values=list(sv.values))}
            if dense is not None:
                vector[DENSE] = [float(x) for x in dense[i]]
            payload = {
                "scope": scope,
                "doc_id": doc_id,
                "file_name": file_name,
                "page": chunk.page,
                "chunk_index": chunk.index,
                "text": chunk.text,
            }
            points.append(models.PointStruct(id=point_id(scope, doc_id, chunk.index), vector=vector, payload=payload))
        for start in range(0, len(points), BATCH):
            await self.client.upsert(self.collection, points[start : start + BATCH], wait=True)
            await asyncio.sleep(0)  # let other chats' handlers run between batches (matters in local mode)
        # A re-upload with fewer chunks must not leave the old tail behind.
        kept = [point_id(scope, doc_id, c.index) for c in chunks]
        stale = models.Filter(
            must=[_match("doc_id", [doc_id]), _match("scope", [scope])],
            must_not=[models.HasIdCondition(has_id=kept)] if kept else [],
        )
        await self.client.delete(self.collection, models.FilterSelector(filter=stale), wait=True)
        return len(points)

    async def delete(self, doc_id: str) -> None:
        """Remove every point of the document, in whatever scope."""
        selector = models.FilterSelector(filter=models.Filter(must=[_match("doc_id", [doc_id])]))
        await self.client.delete(self.collection, selector, wait=True)

    async def search(
        self,
        query: str,
        *,
        scopes: Sequence[str],
        dense: Sequence[float] | None = None,
        limit: int = 10,
        candidates: int = 50,
        threshold: float | None = None,
    ) -> list[Passage]:
        """Hybrid search restricted to scopes; passages in fused rank order, each scored by absolute relevance.

        Candidates: up to `candidates` by BM25 (sparse) and, when `dense` is given, up to `candidates` by
        cosine, both filtered on scope ∈ scopes inside Qdrant (no scopes → nothing). Order: reciprocal rank
        fusion of the two lists (k=60); a single list when one side is missing. RRF scores say nothing about
        relevance (~1/(60+rank) whatever the query), and raw BM25 grows with the corpus through IDF, so the
        score returned is absolute evidence instead: Passage.score = max(lexical, cosine), where lexical is
        the share of the query's distinct content stems found in the chunk and cosine is the dense similarity
        (0 when the chunk was not among the dense candidates or no dense vector was given). `threshold` keeps
        passages with score >= threshold; the caller decides "the KB has relevant passages" by a non-empty
        result. A query sharing no word with any chunk and without a dense vector therefore returns nothing.
        """
        if not scopes or limit <= 0:
            return []
        flt = models.Filter(must=[_match("scope", list(scopes))])
        requests: list[tuple[str, models.QueryRequest]] = []
        qv = sparse.query_vector(query)
        if qv.indices:
            sq = models.SparseVector(indices=list(qv.indices), values=list(qv.values))
            requests.append((SPARSE, _request(sq, SPARSE, flt, candidates)))
        if dense is not None and self.dense_dim is not None:
            requests.append((DENSE, _request([float(x) for x in dense], DENSE, flt, candidates)))
        if not requests:
            return []
        responses = await self.client.query_batch_points(self.collection, [r for _, r in requests])
        rankings = [[p.id for p in resp.points] for resp in responses]
        fused = relevance.rrf(rankings)
        points = {p.id: p for resp in responses for p in resp.points}
        cosine = {p.id: p.score for (kind, _), resp in zip(requests, responses) if kind == DENSE for p in resp.points}
        passages = []
        for pid in sorted(fused, key=lambda x: -fused[x]):
            payload = points[pid].payload or {}
            text = str(payload.get("text", ""))
            score = max(relevance.coverage(query, text), max(cosine.get(pid, 0.0), 0.0))
            if threshold is not None and score < threshold:
                continue
            passages.append(_passage(payload, score))
            if len(passages) == limit:
                break
        return passages

    async def count(self, scopes: Sequence[str] | None = None) -> int:
        """Points in the given scopes (None: the whole collection)."""
        flt = None if scopes is None else models.Filter(must=[_match("scope", list(scopes))])
        if scopes is not None and not scopes:
            return 0
        return (await self.client.count(self.collection, count_filter=flt, exact=True)).count

    async def close(self) -> None:
        """Release the client (and local mode's lock on its folder)."""
        await self.client.close()


def _match(field: str, values: list[str]) -> models.FieldCondition:
    return models.FieldCondition(key=field, match=models.MatchAny(any=values))


def _request(query: models.SparseVector | list[float], using: str, flt: models.Filter, limit: int) -> models.QueryRequest:
    return models.QueryRequest(query=query, using=using, filter=flt, limit=limit, with_payload=True)


def _passage(payload: dict[str, object], score: float) -> Passage:
    return Passage(
        text=str(payload.get("text", "")),
        file_name=str(payload.get("file_name", "")),
        page=int(payload.get("page", 0)),  # type: ignore[call-overload]
        doc_id=str(payload.get("doc_id", "")),
        chunk_index=int(payload.get("chunk_index", 0)),  # type: ignore[call-overload]
        scope=str(payload.get("scope", "")),
        score=score,
    )
