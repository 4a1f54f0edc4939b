"""How web search speaks: the status line, the answer with its numbered sources, and the over-quota notice."""
from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol
from urllib.parse import urlsplit

from i18n import translator

_MARKUP = re.compile(r"([\\`*_\[\]])")  # a page title is data: no Markdown of its own in the answer


class Cited(Protocol):
    """A source as agents.search.Source gives it: its number in the answer, title and address."""

    @property
    def n(self) -> int: ...
    @property
    def title(self) -> str: ...
    @property
    def url(self) -> str: ...


class Found(Protocol):
    """An answer as agents.search.SearchAnswer gives it."""

    @property
    def text(self) -> str: ...
    @property
    def sources(self) -> Sequence[Cited]: ...
    @property
    def partial(self) -> bool: ...


def status_text(stage: str, n: int, lang: str) -> str:
    """"🔎 Шукаю…", "📖 Читаю 3 сторінки…", "✍️ Пишу відповідь…"."""
    tr = translator(lang)
    if stage == "reading":
        return tr("search_status_reading", n=max(n, 1))
    return tr("search_status_writing") if stage == "writing" else tr("search_status_searching")


def _title(source: Cited) -> str:
    title = " ".join(source.title.split())[:200] or urlsplit(source.url).hostname or source.url
    return _MARKUP.sub(r"\\\1", title)


def answer_text(found: Found, lang: str, deadline: float) -> str:
    """The answer, a line when the deadline cut it short, and "Джерела:" with "[n] title — link" lines under it."""
    tr = translator(lang)
    parts = [found.text.strip()] if found.text.strip() else []
    if found.partial:
        parts.append(tr("search_partial", seconds=round(deadline)))
    elif not parts and found.sources:  # in time, but the model wrote nothing usable: say so, not "out of time"
        parts.append(tr("search_sources_only"))
    if found.sources:
        lines = [f"[{s.n}] {_title(s)} — {s.url}" for s in found.sources]
        parts.append(f"{tr('kb_sources')}:\n" + "\n".join(lines))
    return "\n\n".join(parts)


def quota_text(scope: str, used: int, limit: int, resets_at: datetime, now: datetime, lang: str) -> str:
    """"Ваш денний ліміт вебпошуку вичерпано: 20 з 20 пошуків. Ліміт оновиться о 00:00 (Europe/Kyiv), через 3 год."."""
    tr = translator(lang)
    return tr("search_quota_chat" if scope == "chat" else "search_quota_user", used=used, limit=limit,
              at=resets_at.strftime("%H:%M"), tz=str(resets_at.tzinfo), wait=tr.wait((resets_at - now).total_seconds()))
