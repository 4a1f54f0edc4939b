"""Optional reranker: a cross-encoder (bge-reranker-v2-m3) behind a `/v1/rerank` endpoint reorders candidates."""
from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from rag.types import Passage

if TYPE_CHECKING:
    import httpx

log = logging.getLogger(__name__)


class Reranker:
    """Calls `POST {base_url}/rerank` as vLLM, llama.cpp's server and GPUStack serve it (Jina/Cohere shape)."""

    def __init__(self, base_url: str, model: str, *, api_key: str | None = None, timeout: float = 10.0) -> None:
        self.url = base_url.rstrip("/") + "/rerank"
        self.model = model
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        import httpx  # here, not at start: most bots run without a reranker (~50 ms of imports)

        self._http: httpx.AsyncClient = httpx.AsyncClient(timeout=timeout, headers=headers)

    async def rerank(self, query: str, passages: Sequence[Passage], top_n: int) -> list[Passage]:
        """The passages in the reranker's order (its score replaces theirs); the original order if it fails."""
        if len(passages) < 2:
            return list(passages)[:top_n]
        import httpx  # imported by __init__ already

        try:
            response = await self._http.post(self.url, json={
                "model": self.model, "query": query, "documents": [p.text for p in passages], "top_n": top_n})
            response.raise_for_status()
            results = response.json()["results"]
            return [replace(passages[int(r["index"])], score=float(r["relevance_score"])) for r in results][:top_n]
        except (httpx.HTTPError, KeyError, ValueError, TypeError, IndexError) as exc:
            # A reranker is an improvement, never a dependency: the fused order still answers.
            log.warning("reranker at %s failed, keeping the fused order: %s", self.url, exc)
            return list(passages)[:top_n]

    async def aclose(self) -> None:
        """Close the HTTP client."""
        await self._http.aclose()
