"""The knowledge base's settings, read from the environment by whichever composition root starts it."""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from base import ConfigError
from rag import languages

if TYPE_CHECKING:
    from rag.index import KnowledgeIndex

_ENV = {  # field → environment variable
    "qdrant_url": "QDRANT_URL", "qdrant_api_key": "QDRANT_API_KEY", "qdrant_path": "QDRANT_PATH",
    "kb_path": "KB_PATH",
    "embed_dim": "KB_EMBED_DIM", "threshold": "KB_THRESHOLD", "dense_threshold": "KB_DENSE_THRESHOLD",
    "top_k": "KB_TOP_K", "dense_weight": "KB_DENSE_WEIGHT", "dense_languages": "KB_DENSE_LANGUAGES",
    "expand": "KB_EXPAND",
    "chunk_tokens": "KB_CHUNK_TOKENS", "chunk_overlap": "KB_CHUNK_OVERLAP",
    "rerank_url": "KB_RERANK_URL", "rerank_model": "KB_RERANK_MODEL", "rerank_api_key": "KB_RERANK_API_KEY",
    "max_file_mb": "KB_MAX_FILE_MB",
}


class KnowledgeSettings(BaseModel):
    """Where the vectors live and how documents are cut and searched."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    qdrant_url: str | None = None  # a Qdrant server; unset = the embedded engine (Qdrant Edge) in kb_path
    qdrant_api_key: SecretStr | None = None
    kb_path: Path | None = None  # the embedded engine's folder; default: <DATA_DIR>/kb
    qdrant_path: Path | None = None  # an old local-mode folder (qdrant-client) `rag migrate` reads; <DATA_DIR>/qdrant
    embed_dim: int = Field(1024, ge=8, le=8192)  # the `embed` route's vector size (bge-m3: 1024)
    threshold: float = Field(0.5, ge=0.0, le=1.0)  # how relevant a passage must be to be used and cited
    # The cosine a passage needs when its words alone do not pass `threshold`; unset = `threshold`. Each embedding
    # model has its own scale (MiniLM gives unrelated chit-chat 0.3–0.5), so set it per model: bench/rag.py
    # prints what each value keeps.
    dense_threshold: float | None = Field(None, ge=0.0, le=1.0)
    # When nothing passes, the local model rewrites the question once (keywords, Ukrainian | English) and the
    # search runs again: local targets only, never a cloud one; costs a model call only on those questions.
    expand: bool = False
    top_k: int = Field(4, ge=1, le=20)  # passages given to the model per question
    dense_weight: float = Field(1.0, ge=0.0, le=4.0)  # the dense list's weight in the fusion (words: 1.0)
    # Languages the embedding model reads (ISO codes, `en,de`), or `all` (bge-m3). A question in another script
    # is not embedded: its words alone rank, so an English-only model's noise never outvotes them.
    dense_languages: tuple[str, ...] = (languages.ALL,)
    chunk_tokens: int = Field(350, ge=50, le=2000)
    chunk_overlap: int = Field(50, ge=0, le=500)
    # The biggest document taken, in MB: it is held in memory and parsed whole, and every 1 MB of text is about
    # 500 chunks to embed. The Bot API server's limit (20 MB on Telegram's cloud) may be lower still.
    max_file_mb: int = Field(50, ge=1, le=2000)
    # Optional cross-encoder: an OpenAI-style base URL serving /rerank (vLLM, llama.cpp server, GPUStack).
    rerank_url: str | None = None
    rerank_model: str = "bge-reranker-v2-m3"
    rerank_api_key: SecretStr | None = None

    @field_validator("dense_languages", mode="before")
    @classmethod
    def _languages(cls, value: object) -> object:
        return languages.parse(value) if isinstance(value, str) else value

    @property
    def max_bytes(self) -> int:
        """`max_file_mb` in bytes."""
        return self.max_file_mb * 1024 * 1024

    def open_index(self, dense_model: str) -> KnowledgeIndex:
        """The index these settings name: a Qdrant server (QDRANT_URL), else the embedded engine in kb_path."""
        from rag.index import KnowledgeIndex  # the engine loads when a base first has documents

        embedded = not self.qdrant_url
        return KnowledgeIndex.open(
            path=str(self.kb_path) if embedded else None, url=self.qdrant_url,
            api_key=self.qdrant_api_key.get_secret_value() if self.qdrant_api_key else None,
            dense_dim=self.embed_dim, dense_model=dense_model, dense_weight=self.dense_weight,
            legacy_path=str(self.qdrant_path) if embedded and self.qdrant_path else None)

    @classmethod
    def from_env(cls, env: Mapping[str, str], data_dir: Path) -> KnowledgeSettings:
        """Read the KB_* / QDRANT_* variables; a wrong value names the variable."""
        values = {field: env[name] for field, name in _ENV.items() if env.get(name, "").strip()}
        values.setdefault("qdrant_path", str(data_dir / "qdrant"))
        values.setdefault("kb_path", str(data_dir / "kb"))
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            lines = [f"{_ENV.get(str(e['loc'][0]), '?')}: {e['msg']}" for e in exc.errors()]
            raise ConfigError("Invalid knowledge-base settings:\n  " + "\n  ".join(lines)) from None
