"""Text helpers the fakes share: word tokens, deterministic embeddings, the echo reply."""
from __future__ import annotations

import hashlib
import math
import re
from typing import Any

from router.testing import images

_TOKEN_RE = re.compile(r"\S+\s*|\s+")
_WORD_RE = re.compile(r"\w+")
EMBED_DIM = 64  # vector length of a fake embedding model without its own "dim" (bge-m3's real one is 1024)


def tokenize(text: str) -> list[str]:
    """Split text into word tokens that join back to exactly the text."""
    return _TOKEN_RE.findall(text)


def fake_embedding(text: str, dim: int = EMBED_DIM) -> list[float]:
    """A deterministic unit vector in which texts sharing words point the same way (feature hashing).

    Each lowercase word's first five characters (a crude stem, so Ukrainian inflections still match) add ±1
    to one of `dim` buckets; the sum is L2-normalised. Dense retrieval over these behaves like a real model's.
    """
    vec = [0.0] * dim
    for word in _WORD_RE.findall(text.lower()):
        digest = hashlib.blake2b(word[:5].encode(), digest_size=8).digest()
        vec[int.from_bytes(digest[:4], "little") % dim] += 1.0 if digest[4] & 1 else -1.0
    norm = math.sqrt(sum(x * x for x in vec))
    if norm == 0:  # no words (or all cancelled out): one fixed unit vector
        return [1.0 / math.sqrt(dim)] * dim
    return [x / norm for x in vec]


def _text_of(content: Any) -> str:
    """Plain text of a message content that may be a list of OpenAI content parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(p["text"] for p in content if isinstance(p, dict) and isinstance(p.get("text"), str))
    return ""


def _echo(messages: list[dict[str, Any]]) -> str:
    """Default responder: echo the last user message, plus " [images: N]" when the request carried images."""
    last: dict[str, Any] = next((m for m in reversed(messages) if m.get("role") == "user"), {})
    seen = images.count(messages)
    # Tells a test the model really received the images, without it digging through the request body.
    echo = "echo: " + _text_of(last.get("content"))
    return f"{echo.rstrip()} [images: {seen}]" if seen else echo
