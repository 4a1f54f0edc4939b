"""Text helpers the fakes share: word tokens, deterministic embeddings, the echo reply."""
from __future__ import annotations

import hashlib
import math
import re
from typing import Any

from router.testing import images

_TOKEN_RE = re.compile(r"\S+\s*|\s+")


def tokenize(text: str) -> list[str]:
    """Split text into word tokens that join back to exactly the text."""
    return _TOKEN_RE.findall(text)


def fake_embedding(text: str, dim: int = 8) -> list[float]:
    """A deterministic unit vector derived from a hash of the text."""
    digest = hashlib.sha256(text.encode()).digest()
    raw = [digest[i] / 127.5 - 1.0 for i in range(dim)]
    norm = math.sqrt(sum(x * x for x in raw)) or 1.0
    return [x / norm for x in raw]


def _text_of(content: Any) -> str:
    """Plain text of a message content that may be a list of OpenAI content parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(p["text"] for p in content if isinstance(p, dict) and isinstance(p.get("text"), str))
    return ""


def _echo(messages: list[dict]) -> str:
    """Default responder: echo the last user message, plus " [images: N]" when the request carried images."""
    last = next((m for m in reversed(messages) if m.get("role") == "user"), {})
    seen = images.count(messages)
    # Tells a test the model really received the images, without it digging through the request body.
    echo = "echo: " + _text_of(last.get("content"))
    return f"{echo.rstrip()} [images: {seen}]" if seen else echo
