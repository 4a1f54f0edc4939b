"""Image checks for FakeLLM: what a real Ollama / OpenAI server would accept as an image, and decoding."""
from __future__ import annotations

import base64
import binascii
import re
from typing import Any

# The formats the vision models take; anything else a real server rejects or misreads.
_MAGIC: tuple[tuple[str, bytes], ...] = (
    ("image/jpeg", b"\xff\xd8\xff"),
    ("image/png", b"\x89PNG\r\n\x1a\n"),
    ("image/gif", b"GIF87a"),
    ("image/gif", b"GIF89a"),
)
_DATA_URI = re.compile(r"data:(?P<mime>[\w.+-]+/[\w.+-]+);base64,(?P<b64>.*)", re.DOTALL)

VISION = "vision"


def sniff(data: bytes) -> str | None:
    """The MIME type the bytes' magic number says, or None if not JPEG/PNG/WEBP/GIF."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return next((mime for mime, magic in _MAGIC if data.startswith(magic)), None)


def _decode(text: str) -> bytes:
    """Strict base64, as Go's decoder in Ollama is: no prefix, no stray characters, right padding."""
    return base64.b64decode(text, validate=True)


def ollama_problem(messages: list[Any]) -> str | None:
    """Why real Ollama would refuse these /api/chat messages' content or images; None if it would not."""
    for i, m in enumerate(messages):
        if not isinstance(m, dict):
            return f"messages[{i}] is not an object"
        content = m.get("content")
        if content is not None and not isinstance(content, str):
            # Ollama's content is a Go string: OpenAI-style content parts fail to unmarshal.
            return f"json: cannot unmarshal {type(content).__name__} into messages[{i}].content of type string"
        images = m.get("images")
        if images is None:
            continue
        if not isinstance(images, list):
            return f"messages[{i}].images must be a list of base64 strings"
        for j, img in enumerate(images):
            where = f"messages[{i}].images[{j}]"
            if not isinstance(img, str):
                return f"{where} must be a base64 string"
            try:
                data = _decode(img)
            except (binascii.Error, ValueError):
                hint = " (a data: URI is not base64)" if img.startswith("data:") else ""
                return f"illegal base64 data in {where}{hint}"
            if sniff(data) is None:
                return f"{where} is not a JPEG, PNG, WEBP or GIF image"
    return None


def openai_problem(messages: list[Any]) -> str | None:
    """Why an OpenAI-compatible server would refuse these messages' content parts; None if it would not."""
    for i, m in enumerate(messages):
        content = m.get("content") if isinstance(m, dict) else None
        if not isinstance(content, list):
            continue
        for j, part in enumerate(content):
            where = f"messages[{i}].content[{j}]"
            kind = part.get("type") if isinstance(part, dict) else None
            if kind == "text":
                if not isinstance(part.get("text"), str):
                    return f"{where}.text must be a string"
                continue
            if kind != "image_url":
                return f"{where}: unsupported content part type {kind!r}"
            url = (part.get("image_url") or {}).get("url") if isinstance(part.get("image_url"), dict) else None
            if not isinstance(url, str):
                return f"{where}.image_url must be an object with a url string"
            if problem := _data_uri_problem(url):
                return f"{where}: {problem}"
    return None


def _data_uri_problem(url: str) -> str | None:
    if url.startswith(("http://", "https://")):
        # The bot only ever inlines images: a fetched URL (a Telegram file link) would carry the bot token.
        return "image URLs are refused here; send a data:image/...;base64 URI"
    found = _DATA_URI.fullmatch(url)
    if found is None:
        return "image url must be a data:image/...;base64,... URI"
    try:
        data = _decode(found["b64"])
    except (binascii.Error, ValueError):
        return "invalid base64 in the image data URI"
    actual = sniff(data)
    if actual is None:
        return "image data is not a JPEG, PNG, WEBP or GIF image"
    if actual != found["mime"]:
        return f"image data is {actual} but the URI says {found['mime']}"
    return None


def count(messages: list[Any]) -> int:
    """How many images the messages carry, in either protocol's form."""
    return sum(len(_ollama_images(m)) + len(_image_urls(m)) for m in messages if isinstance(m, dict))


def decode_all(messages: list[Any]) -> list[bytes]:
    """The decoded bytes of every image in the messages, in order; raises ValueError on a malformed one."""
    out: list[bytes] = []
    for m in messages:
        if not isinstance(m, dict):
            continue
        out += [_decode(img) for img in _ollama_images(m)]  # plain base64 only, as Ollama reads it
        for url in _image_urls(m):
            if (found := _DATA_URI.fullmatch(url)) is None:
                raise ValueError(f"not a data: URI: {url[:40]}")
            out.append(_decode(found["b64"]))
    return out


def _ollama_images(message: dict[str, Any]) -> list[str]:
    images = message.get("images")
    return [img for img in images if isinstance(img, str)] if isinstance(images, list) else []


def _image_urls(message: dict[str, Any]) -> list[str]:
    content = message.get("content")
    if not isinstance(content, list):
        return []
    parts = [p.get("image_url") for p in content if isinstance(p, dict) and p.get("type") == "image_url"]
    return [p["url"] for p in parts if isinstance(p, dict) and isinstance(p.get("url"), str)]


def has_vision(models: dict[str, dict[str, Any]], model: str) -> bool:
    """Whether the fake's model table gives `model` vision; unknown models are text only."""
    return VISION in (models.get(model) or {}).get("capabilities", ())
