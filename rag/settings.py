"""The knowledge base's settings, read from the environment by whichever composition root starts it."""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from base import ConfigError

_ENV = {  # field → environment variable
    "qdrant_url": "QDRANT_URL", "qdrant_api_key": "QDRANT_API_KEY", "qdrant_path": "QDRANT_PATH",
    "embed_dim": "KB_EMBED_DIM", "threshold": "KB_THRESHOLD", "top_k": "KB_TOP_K", "dense_weight": "KB_DENSE_WEIGHT",
    "chunk_tokens": "KB_CHUNK_TOKENS", "chunk_overlap": "KB_CHUNK_OVERLAP",
    "rerank_url": "KB_RERANK_URL", "rerank_model": "KB_RERANK_MODEL", "rerank_api_key": "KB_RERANK_API_KEY",
    "max_file_mb": "KB_MAX_FILE_MB",
}


class KnowledgeSettings(BaseModel):
    """Where the vectors live and how documents are cut and searched."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    qdrant_url: str | None = None  # a Qdrant server; unset = embedded local mode in qdrant_path
    qdrant_api_key: SecretStr | None = None
    qdrant_path: Path | None = None  # default: <DATA_DIR>/qdrant
    embed_dim: int = Field(1024, ge=8, le=8192)  # the `embed` route's vector size (bge-m3: 1024)
    threshold: float = Field(0.5, ge=0.0, le=1.0)  # how relevant a passage must be to be used and cited
    top_k: int = Field(4, ge=1, le=20)  # passages given to the model per question
    dense_weight: float = Field(0.5, ge=0.0, le=4.0)  # the dense list's weight in the fusion (words: 1.0)
    chunk_tokens: int = Field(350, ge=50, le=2000)
    chunk_overlap: int = Field(50, ge=0, le=500)
    # The biggest document taken, in MB: it is held in memory and parsed whole, and every 1 MB of text is about
    # 500 chunks to embed. The Bot API server's limit (20 MB on Telegram's cloud) may be lower still.
    max_file_mb: int = Field(50, ge=1, le=2000)
    # Optional cross-encoder: an OpenAI-style base URL serving /rerank (vLLM, llama.cpp server, GPUStack).
    rerank_url: str | None = None
    rerank_model: str = "bge-reranker-v2-m3"
    rerank_api_key: SecretStr | None = None

    @property
    def max_bytes(self) -> int:
        """`max_file_mb` in bytes."""
        return self.max_file_mb * 1024 * 1024

    @classmethod
    def from_env(cls, env: Mapping[str, str], data_dir: Path) -> KnowledgeSettings:
        """Read the KB_* / QDRANT_* variables; a wrong value names the variable."""
        values = {field: env[name] for field, name in _ENV.items() if env.get(name, "").strip()}
        values.setdefault("qdrant_path", str(data_dir / "qdrant"))
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            lines = [f"{_ENV.get(str(e['loc'][0]), '?')}: {e['msg']}" for e in exc.errors()]
            raise ConfigError("Invalid knowledge-base settings:\n  " + "\n  ".join(lines)) from None
