"""The knowledge index: chunks per scope, hybrid BM25 + dense search, strict scope isolation, on either engine."""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence

from base import ConfigError
from rag import qdrant_schema as schema
from rag import relevance, sparse, upgrade
from rag.qdrant_schema import COLLECTION, DENSE, SPARSE, Query, Row, VectorStore
from rag.types import Chunk, IndexMismatch, Passage

__all__ = ["COLLECTION", "IndexMismatch", "KnowledgeIndex"]

# The dense list has the words' say in the fusion (DBSF): measured with the only embedding model this machine has
# offline (English MiniLM, given English questions only: KB_DENSE_LANGUAGES), scifact nDCG@10 0.726 at 1.0,
# 0.715 at 0.5. On a question the model cannot read the dense side is left out instead (rag.languages).
DENSE_WEIGHT = 1.0
NO_EDGE = ("the embedded knowledge index needs qdrant-edge-py, a dependency of this project: .venv/bin/pip install "
           "-c constraints.txt -e . (or set QDRANT_URL to a Qdrant server)")


class KnowledgeIndex:
    """Chunks of documents per scope ("chat:…", "agent:…") in one collection; every read filters on scope."""

    def __init__(
        self,
        store: VectorStore,
        *,
        dense_dim: int | None,
        dense_model: str = "",
        avg_len: float = 120.0,
        dense_weight: float = DENSE_WEIGHT,
        legacy_path: str | None = None,
    ) -> None:
        self.store = store
        self.dense_weight = dense_weight
        self.fusion = relevance.FUSIONS[0]  # "dbsf"; bench/rag.py --fusion rrf compares
        self.dense_dim = dense_dim
        self.dense_model = dense_model
        self.avg_len = avg_len  # BM25 length normalisation: typical content tokens per chunk
        self.legacy_path = legacy_path  # an old qdrant-client local-mode folder `python -m rag migrate` moves over

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
        legacy_path: str | None = None,
    ) -> KnowledgeIndex:
        """The embedded engine (Qdrant Edge) in the folder at path (":memory:" keeps nothing), or a server at url."""
        if (path is None) == (url is None):
            raise ValueError("give exactly one of path (embedded) or url (server)")
        store: VectorStore
        if url is not None:
            from qdrant_client import AsyncQdrantClient

            from rag.qdrant_store import QdrantStore

            store = QdrantStore(AsyncQdrantClient(url=url, api_key=api_key))
        else:
            try:
                from rag.edge_store import EdgeStore
            except ImportError:
                raise ConfigError(NO_EDGE) from None
            store = EdgeStore(str(path))
        return cls(store, dense_dim=dense_dim, dense_model=dense_model, avg_len=avg_len, dense_weight=dense_weight,
                   legacy_path=legacy_path)

    async def ensure(self) -> None:
        """Create the collection (dense if dense_dim, bm25 with IDF, keyword indexes), or check it and bring it up to
        date (rag.upgrade: an old embedded folder, stale bm25 vectors); IndexMismatch if it does not fit."""
        await upgrade.adopt(self)
        if not await self.store.exists():
            await self.store.create(self.dense_dim, self.dense_model)
        elif await self.store.check(self.dense_dim, self.dense_model):
            await upgrade.resparse(self)

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
        rows = await asyncio.to_thread(schema.rows, scope, doc_id, file_name, chunks, dense, self.avg_len)
        await self.store.upsert(rows)
        # A re-upload of the same doc_id with fewer chunks must not leave the old tail behind.
        await self.store.delete(doc_id, scope, keep=[r.id for r in rows])
        return len(rows)

    async def delete(self, doc_id: str) -> None:
        """Remove every point of the document, in whatever scope."""
        await self.store.delete(doc_id)

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

        Candidates: up to `candidates` by BM25 (IDF counted over these scopes only, so other chats'
        documents never shift the weights) and, when `dense` is given (and the index has a dense model),
        up to `candidates` by cosine; both filtered on scope ∈ scopes inside the engine, and no scopes
        means no search. Order: distribution-based score fusion of the two lists (Qdrant's DBSF, the
        dense list weighted by dense_weight), or the one list there is. A fused score says little about
        relevance (each list is normalised to itself) and raw BM25 grows with the corpus through IDF, so
        Passage.score is absolute evidence instead: max(lexical, cosine), where lexical is the share of
        the query's distinct content stems found in the chunk (model-free, the same scale for any corpus)
        and cosine is the dense similarity (0 when the chunk was not a dense candidate). With
        `threshold`, a passage is kept when lexical >= threshold or cosine >= dense_threshold (default:
        threshold; set it per embedding model). The caller's "the KB has relevant passages" is a
        non-empty result; without a dense vector, a query sharing no word with any chunk returns nothing.
        """
        if not scopes or limit <= 0:
            return []
        sides: dict[str, Query] = {}
        qv = sparse.query_vector(query)
        if qv.indices:
            sides[SPARSE] = qv
        if dense is not None and self.dense_dim is not None:
            sides[DENSE] = [float(x) for x in dense]
        if not sides:
            return []
        # One call for both sides; fused here, not by the engine, because the gate needs each side's raw score
        # (and the engines' DBSF takes no weights). At weight 1.0 the order is the engines' own Fusion.Dbsf.
        responses = await self.store.query(scopes, sides, candidates)
        weights = [self.dense_weight if using == DENSE else 1.0 for using in sides]
        if self.fusion == "rrf":
            fused = relevance.rrf([[h.id for h in r] for r in responses], k=relevance.RRF_K, weights=weights)
        else:
            fused = relevance.dbsf([[(h.id, h.score) for h in r] for r in responses], weights=weights)
        payloads = {h.id: h.payload for r in responses for h in r}
        cosine = {h.id: h.score for using, r in zip(sides, responses, strict=False) if using == DENSE for h in r}
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
        if (scopes is not None and not scopes) or not await self.store.exists():
            return 0
        return await self.store.count(scopes)

    async def rows(self, *, vectors: bool = False, page: int = 512) -> AsyncIterator[list[Row]]:
        """Every stored chunk, a page at a time (texts and payloads; vectors too when asked)."""
        if not await self.store.exists():
            return
        offset = None
        while True:
            found, offset = await self.store.page(offset, page, vectors)
            if found:
                yield found
            if offset is None:
                return

    async def reset(self) -> None:
        """Drop the collection and create it again for the current model (reindex)."""
        if await self.store.exists():
            await self.store.drop()
        await self.store.create(self.dense_dim, self.dense_model)

    async def close(self) -> None:
        """Release the engine (and the embedded folder)."""
        await self.store.close()
