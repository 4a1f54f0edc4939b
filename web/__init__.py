"""Web search backends with failover, and a safe page reader. No models, no storage, no Telegram.

`WebSearch.from_settings(WebSettings.from_env(os.environ))` searches; `PageReader(settings)` reads a page.
Both take `on_use(kind, name, ok, ms)` so the caller can write usage rows. Imports only base/ of ours.
"""
from web.backend import BackendFailed, SearchBackend
from web.errors import REFUSALS, NoLocalBackend, PageRefused, SearchUnavailable, WebError
from web.reader import MAX_REDIRECTS, PageReader
from web.search import WebSearch, build_backends
from web.settings import BACKENDS, WebSettings
from web.types import Attempt, Hit, OnUse, Page, SearchResult, UseKind

__all__ = [
    "BACKENDS", "MAX_REDIRECTS", "REFUSALS", "Attempt", "BackendFailed", "Hit", "NoLocalBackend", "OnUse", "Page",
    "PageReader", "PageRefused", "SearchBackend", "SearchResult", "SearchUnavailable", "UseKind", "WebError",
    "WebSearch", "WebSettings", "build_backends",
]
