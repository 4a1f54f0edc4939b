"""Telling the caller about every search and page read (usage rows live outside web/)."""
from __future__ import annotations

import inspect
import logging

from web.types import OnUse, UseKind

__all__ = ["report"]

log = logging.getLogger(__name__)


async def report(on_use: OnUse | None, kind: UseKind, name: str, ok: bool, ms: float) -> None:
    """Call on_use (sync or async); a failing callback is logged, never breaks the search."""
    if on_use is None:
        return
    try:
        result = on_use(kind, name, ok, ms)
        if inspect.isawaitable(result):
            await result
    except Exception:  # a usage row lost is better than a search lost; logged with its traceback
        log.exception("on_use callback failed for %s %s", kind, name)
