"""Web search backends with failover, and a safe page reader. No models, no storage, no Telegram.

`WebSearch.from_settings(WebSettings.from_env(os.environ))` searches; `PageReader(settings)` reads a page.
Both take `on_use(kind, name, ok, ms)` so the caller can write usage rows. Imports only base/ of ours.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from web.backend import BackendFailed, SearchBackend
    from web.errors import REFUSALS, NoLocalBackend, PageRefused, SearchUnavailable, WebError
    from web.reader import MAX_REDIRECTS, PageReader
    from web.search import WebSearch, build_backends
    from web.settings import BACKENDS, WebSettings
    from web.types import Attempt, Hit, OnUse, Page, SearchResult, UseKind

# Each name's module, imported at the name's first use: the bot reads WebSettings at start and loads the backends,
# the page reader and the HTML extractor (~13 ms of imports) with its first search.
_HOMES = {
    "BackendFailed": "web.backend", "SearchBackend": "web.backend", "REFUSALS": "web.errors",
    "NoLocalBackend": "web.errors", "PageRefused": "web.errors", "SearchUnavailable": "web.errors",
    "WebError": "web.errors", "MAX_REDIRECTS": "web.reader", "PageReader": "web.reader", "WebSearch": "web.search",
    "build_backends": "web.search", "BACKENDS": "web.settings", "WebSettings": "web.settings",
    "Attempt": "web.types", "Hit": "web.types", "OnUse": "web.types", "Page": "web.types",
    "SearchResult": "web.types", "UseKind": "web.types",
}

__all__ = [
    "BACKENDS", "MAX_REDIRECTS", "REFUSALS", "Attempt", "BackendFailed", "Hit", "NoLocalBackend", "OnUse", "Page",
    "PageReader", "PageRefused", "SearchBackend", "SearchResult", "SearchUnavailable", "UseKind", "WebError",
    "WebSearch", "WebSettings", "build_backends",
]


def __getattr__(name: str) -> Any:
    if (home := _HOMES.get(name)) is None:
        raise AttributeError(f"module 'web' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value  # found directly from now on
    return value
