"""Model Markdown → Telegram text + entities, split under Telegram's 4096-unit limit."""
from __future__ import annotations

import re
from dataclasses import dataclass

import telegramify_markdown
from aiogram.types import MessageEntity

TELEGRAM_LIMIT = 4096
# Markdown source is cut below the limit because rendering can add a little (list bullets, heading marks).
SOURCE_LIMIT = 3800
_BOUNDARIES = (re.compile(r"\n\s*\n"), re.compile(r"\n"), re.compile(r"(?<=[.!?…])\s+"), re.compile(r"\s+"))
FENCE = re.compile(r"^```", re.M)


def utf16_len(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


@dataclass(frozen=True, slots=True)
class Rendered:
    """One Telegram message: text and its entities (None = plain text)."""

    text: str
    entities: list[MessageEntity] | None


def cut_point(source: str, limit: int) -> int:
    """Index of the best place to cut `source` so the head stays within `limit` units."""
    window = source[:_fit(source, limit)]
    for pattern in _BOUNDARIES:
        ends = [m.end() for m in pattern.finditer(window) if m.start() > len(window) // 3]
        if ends:
            return ends[-1]
    return max(len(window), 1)  # always make progress, even if one character is over the limit


def _fit(source: str, limit: int) -> int:
    """Number of leading characters whose UTF-16 length stays within `limit` (astral chars count 2)."""
    if len(source) <= limit // 2 or utf16_len(source[:limit]) <= limit:
        return min(len(source), limit)
    units = 0
    for i, ch in enumerate(source):
        units += 2 if ord(ch) > 0xFFFF else 1
        if units > limit:
            return i
    return len(source)


def split_markdown(source: str, limit: int = SOURCE_LIMIT) -> list[str]:
    """Split at paragraph, then line, sentence and word boundaries; code fences stay balanced."""
    parts: list[str] = []
    rest, reopened = source, 0
    while utf16_len(rest) > limit:
        at = max(cut_point(rest, limit), reopened + 1)  # always progress past a re-opened fence
        head, rest, reopened = rest[:at], rest[at:], 0
        if len(FENCE.findall(head)) % 2:  # cut inside a code block: close it here, reopen after
            head, rest, reopened = head.rstrip("\n") + "\n```", "```\n" + rest, 4
        parts.append(head)
    parts.append(rest)
    return [p for p in parts if p.strip()]


def render(source: str) -> list[Rendered]:
    """Render one piece of Markdown; pieces longer than the limit after rendering are split again."""
    try:
        text, entities = telegramify_markdown.convert(source)
    except Exception:  # noqa: BLE001 - a converter bug must never cost the user the answer
        return [Rendered(source, None)]
    if not text.strip():
        return [Rendered(source, None)] if source.strip() else []
    pieces = telegramify_markdown.split_entities(text, entities, TELEGRAM_LIMIT)
    return [_trimmed(t, ents) for t, ents in pieces]


def render_all(source: str) -> list[Rendered]:
    """Split the Markdown source, then render each part."""
    return [r for part in split_markdown(source) for r in render(part)]


def _trimmed(text: str, entities: list[telegramify_markdown.MessageEntity]) -> Rendered:
    """Drop trailing whitespace (Telegram trims it) and clip entities to what is left."""
    text = text.rstrip()
    size = utf16_len(text)
    out = [MessageEntity(type=e.type, offset=e.offset, length=min(e.length, size - e.offset), url=e.url,
                         language=e.language, custom_emoji_id=e.custom_emoji_id)
           for e in entities if e.offset < size]
    return Rendered(text, out or None)
