"""The knowledge base: ingest a file (extract → chunk → embed → store) and find passages for a question."""
from __future__ import annotations

import asyncio
import hashlib
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rag import expand, languages, sparse
from rag.rerank import Reranker
from rag.scopes import Asker, agent_scope, chat_scope, collection_of, collection_scope, persona_scopes
from rag.settings import KnowledgeSettings
from rag.types import Passage
from router.core import ModelRouter
from router.errors import ProviderError
from router.types import EmbedRequest
from storage.documents import Document, DocumentRegistry

if TYPE_CHECKING:
    from rag.index import KnowledgeIndex

# The scope helpers and Asker live in rag/scopes.py; callers import them from here, as before.
__all__ = ["BATCH", "Asker", "Ingested", "KnowledgeBase", "Progress", "agent_scope", "chat_scope", "collection_of",
           "collection_scope", "persona_scopes"]

log = logging.getLogger(__name__)
BATCH = 32  # texts per embedding call: bge-m3 on Ollama takes this in one request comfortably
Progress = Callable[[str, int, int], Awaitable[None]]  # stage, done, total


@dataclass(frozen=True, slots=True)
class Ingested:
    """The outcome of one ingest: the stored (or already present) document and what it took."""

    document: Document
    duplicate: bool = False
    seconds: float = 0.0


async def _nothing(stage: str, done: int, total: int) -> None:
    return None


class KnowledgeBase:
    """Documents in Qdrant (chunks) and SQL (the list); dense vectors through the router's `embed` route."""

    def __init__(self, index: KnowledgeIndex | Callable[[], KnowledgeIndex], registry: DocumentRegistry,
                 router: ModelRouter | None, settings: KnowledgeSettings) -> None:
        # A factory defers Qdrant (~90 MB of imports and the collection in memory) until a base has documents.
        self._open_index = index if callable(index) else (lambda: index)
        self._index: KnowledgeIndex | None = None
        self._ensured = False
        self.registry, self.router, self.settings = registry, router, settings
        key = settings.rerank_api_key.get_secret_value() if settings.rerank_api_key else None
        self.reranker = (Reranker(settings.rerank_url, settings.rerank_model, api_key=key)
                         if settings.rerank_url else None)
        self._filled: set[str] = set()  # scopes that have documents: others cost no search at all

    @property
    def index(self) -> KnowledgeIndex:
        """The Qdrant index, opened on first use."""
        if self._index is None:
            self._index = self._open_index()
        return self._index

    async def ready(self) -> KnowledgeIndex:
        """The index, its collection created or checked (IndexMismatch when built for another model)."""
        if not self._ensured:
            await self.index.ensure()
            await asyncio.to_thread(sparse.warm)  # the lemmatiser's dictionary: ~0.4 s, not on a search's loop turn
            self._ensured = True
        return self.index

    async def start(self) -> None:
        """Learn which bases have documents; with any, open and check the collection now (a mismatch fails start)."""
        self._filled = {d.scope for d in await self.registry.all()}
        if self._filled:
            await self.ready()

    def has_documents(self, scopes: Sequence[str]) -> bool:
        """Whether a search in these bases can find anything (no I/O)."""
        return any(s in self._filled for s in scopes)

    async def ingest(self, data: bytes, file_name: str, mime: str | None, *, scope: str, asker: Asker,
                     progress: Progress = _nothing) -> Ingested:
        """Store a document once per base; on any failure nothing of it stays behind (ExtractError, …)."""
        started = time.perf_counter()
        digest = hashlib.sha256(data).hexdigest()
        if (known := await self.registry.find(scope, digest)) is not None:
            return Ingested(known, duplicate=True)
        from rag.chunking import chunk  # loaded with the first document, not at the bot's start
        from rag.extract import extract

        await progress("extracting", 0, 0)
        extracted = await asyncio.to_thread(extract, data, file_name, mime, max_bytes=self.settings.max_bytes)
        await progress("chunking", 0, 0)
        chunks = await asyncio.to_thread(chunk, extracted, size=self.settings.chunk_tokens,
                                         overlap=self.settings.chunk_overlap)
        index = await self.ready()
        dense = await self.embed([c.text for c in chunks], asker, progress)
        doc_id = str(uuid.uuid4())
        try:
            await progress("storing", 0, len(chunks))
            await index.add(scope=scope, doc_id=doc_id, file_name=file_name, chunks=chunks, dense=dense)
            document = await self.registry.add(Document(
                id=0, doc_id=doc_id, scope=scope, file_name=file_name, kind=extracted.kind, content_hash=digest,
                size=len(data), pages=sum(1 for p in extracted.pages if p.number) or 1, chunks=len(chunks),
                dense=dense is not None, added_by=asker.user_id or None))
        except BaseException:
            await asyncio.shield(index.delete(doc_id))  # a failed ingest leaves no chunks behind
            raise
        self._filled.add(scope)
        return Ingested(document, seconds=time.perf_counter() - started)

    async def embed(self, texts: list[str], asker: Asker, progress: Progress = _nothing) -> list[list[float]] | None:
        """Dense vectors in batches; None (sparse only) when no embedding model answers or sizes disagree."""
        if self.router is None or not self.settings.embed_dim:
            return None
        vectors: list[list[float]] = []
        for start in range(0, len(texts), BATCH):
            await progress("embedding", start, len(texts))
            try:
                got = await self.router.embed(EmbedRequest(
                    texts=tuple(texts[start:start + BATCH]), agent=asker.agent, local_only=asker.local_only,
                    user_id=asker.user_id, chat_id=asker.chat_id, bot=asker.bot))
            except ProviderError as exc:
                log.warning("no embedding model answered; storing sparse vectors only: %s", exc)
                return None
            if got.dim != self.settings.embed_dim or not self._same_model(got.model):
                # Vectors of two models (or sizes) in one collection would be compared as if alike: refuse them.
                log.error("the embedding model %s:%s (%d-dim) is not the collection's %s (%d-dim): using words "
                          "only; fix KB_EMBED_DIM or the embed route, then run `python -m rag reindex`",
                          got.provider, got.model, got.dim, self.index.dense_model, self.settings.embed_dim)
                return None
            vectors.extend(list(v) for v in got.vectors)
        await progress("embedding", len(texts), len(texts))
        return vectors

    def _same_model(self, model: str) -> bool:
        """The collection's model (`provider:model` when it was built), compared by model name only."""
        built = self.index.dense_model.partition(":")[2] or self.index.dense_model
        return not built or built == model

    async def search(self, query: str, scopes: Sequence[str], asker: Asker, *, limit: int | None = None,
                     threshold: float | None = None) -> list[Passage]:
        """The best passages of these bases for the query (hybrid when the embedding model answers).

        With KB_EXPAND, a question that finds nothing relevant is rewritten once by a local model and searched
        again (a question in English over Ukrainian documents, other words than the documents use).
        """
        if not query.strip() or not self.has_documents(scopes):
            return []
        top = limit or self.settings.top_k
        found = await self._find(query, scopes, asker, top, threshold)
        if not found and self.settings.expand and self.router is not None:
            for rewritten in await expand.rewrite(self.router, query, asker):
                if found := await self._find(rewritten, scopes, asker, top, threshold):
                    break
        return await self.reranker.rerank(query, found, top) if self.reranker else found

    async def _find(self, query: str, scopes: Sequence[str], asker: Asker, top: int,
                    threshold: float | None) -> list[Passage]:
        """One hybrid search, gated by the words' threshold and the dense one."""
        index = await self.ready()
        # A question the embedding model cannot read (KB_DENSE_LANGUAGES) is not embedded: its vector would be
        # noise that outvotes the words (an English-only model on Ukrainian: ua_squad nDCG@10 0.83 vs 0.89).
        readable = languages.reads(self.settings.dense_languages, query)
        dense = await self.embed([query], asker) if readable else None
        cut = self.settings.threshold if threshold is None else threshold
        # An explicit threshold (0 for `/kb search`) is for both sides; the dense one is for the bot's own gate.
        dense_cut = self.settings.dense_threshold if threshold is None else threshold
        return await index.search(query, scopes=scopes, dense=dense[0] if dense else None,
                                  limit=top * 3 if self.reranker else top,  # the reranker picks from more
                                  threshold=cut, dense_threshold=dense_cut)

    async def documents(self, scopes: Sequence[str]) -> list[Document]:
        """Documents of these bases."""
        return await self.registry.list(scopes)

    async def delete(self, number: int, scopes: Sequence[str]) -> Document | None:
        """Remove document `number` (its chunks first) if it is in one of these bases."""
        doc = await self.registry.get(number, scopes)
        if doc is None:
            return None
        await (await self.ready()).delete(doc.doc_id)
        await self.registry.remove(doc.doc_id)
        if not await self.registry.list([doc.scope]):
            self._filled.discard(doc.scope)
        return doc

    async def close(self) -> None:
        """Release Qdrant (and the reranker's connections)."""
        if self.reranker is not None:
            await self.reranker.aclose()
        if self._index is not None:
            await self._index.close()
