"""Incremental filter that hides `<think>…</think>` blocks from a text stream."""
from __future__ import annotations

OPEN = "<think>"
CLOSE = "</think>"


def _held_prefix(text: str, *tags: str) -> int:
    """Length of the longest tail of `text` that could still grow into one of `tags`."""
    for size in range(min(len(text), max(map(len, tags)) - 1), 0, -1):
        tail = text[-size:]
        if any(tag.startswith(tail) for tag in tags):
            return size
    return 0


class ThinkFilter:
    """Feed raw chunks, get the visible text; tags may be split across chunks."""

    def __init__(self) -> None:
        self._buf = ""
        self._inside = False
        # Models put blank lines after </think>; they would show up as an empty first message.
        self._strip_lead = False

    def feed(self, chunk: str) -> str:
        """Return the part of `chunk` (plus held-back text) that is safe to show now."""
        if not self._inside and not self._buf and "<" not in chunk:
            return self._visible(chunk)  # the common case, once per token: no tag can start here
        self._buf += chunk
        out: list[str] = []
        while self._buf:
            if self._inside:
                end = self._buf.find(CLOSE)
                if end < 0:
                    # Keep only what could be the start of the closing tag; the rest is thought.
                    keep = _held_prefix(self._buf, CLOSE)
                    self._buf = self._buf[len(self._buf) - keep:] if keep else ""
                    break
                self._buf = self._buf[end + len(CLOSE):]
                self._inside = False
                self._strip_lead = True
                continue
            start = self._buf.find(OPEN)
            stray = self._buf.find(CLOSE)
            if stray >= 0 and (start < 0 or stray < start):
                # A closing tag without an opening one: drop the tag itself.
                out.append(self._visible(self._buf[:stray]))
                self._buf = self._buf[stray + len(CLOSE):]
                self._strip_lead = True
                continue
            if start >= 0:
                out.append(self._visible(self._buf[:start]))
                self._buf = self._buf[start + len(OPEN):]
                self._inside = True
                continue
            keep = _held_prefix(self._buf, OPEN, CLOSE)
            cut = len(self._buf) - keep
            out.append(self._visible(self._buf[:cut]))
            self._buf = self._buf[cut:]
            break
        return "".join(out)

    def flush(self) -> str:
        """End of stream: release a held partial tag as text; an unclosed thought stays hidden."""
        rest, self._buf = self._buf, ""
        return "" if self._inside else self._visible(rest)

    def _visible(self, text: str) -> str:
        if self._strip_lead:
            text = text.lstrip()
            self._strip_lead = not text
        return text


def strip_think(text: str) -> str:
    """Remove think blocks from a complete text."""
    f = ThinkFilter()
    return f.feed(text) + f.flush()
