"""Shared pieces of translating SDK and transport failures into the router's errors."""
from __future__ import annotations

import asyncio
import email.utils
import json
import logging
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from typing import Any

import aiohttp

from router.errors import (
    ModelNotFound,
    ProviderError,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
)

log = logging.getLogger(__name__)

_MAX_MESSAGE = 300


def scrub(text: str, secrets: Iterable[str] = ()) -> str:
    """Shorten a server/SDK message and blank out any secret it echoes back."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    text = " ".join(text.split())
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 1] + "…"


def retry_after(headers: Mapping[str, str] | None) -> float | None:
    """Seconds from `Retry-After` (seconds or HTTP date) or `retry-after-ms`; None if absent."""
    if not headers:
        return None
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    parsed = email.utils.parsedate_tz(value)
    if parsed is None:
        return None
    return max(0.0, email.utils.mktime_tz(parsed) - time.time())


def from_status(status: int, message: str, *, headers: Mapping[str, str] | None = None) -> ProviderError:
    """Map an HTTP status to the error class the router reacts to."""
    text = f"HTTP {status}: {message}" if message else f"HTTP {status}"
    if status == 429:
        return RateLimited(text, retry_after=retry_after(headers))
    if status == 404:
        return ModelNotFound(text)
    if status >= 500:
        return ProviderUnavailable(text)
    # Other 4xx (bad key, bad request) mean this target can't serve us; the router moves on.
    return ProviderError(text)


def from_transport(exc: BaseException) -> ProviderError | None:
    """Classify by the aiohttp error under httpx/SDK wrappers, if there is one.

    httpx-aiohttp maps every aiohttp connection error (a refused connection too) to
    httpx.ConnectTimeout, so the wrapper's class alone would call a dead server "slow".
    """
    seen: BaseException | None = exc
    for _ in range(5):
        if seen is None:
            return None
        if isinstance(seen, aiohttp.ClientConnectorError):
            return ProviderUnavailable(f"cannot connect ({type(seen).__name__})")
        if isinstance(seen, (aiohttp.ServerTimeoutError, aiohttp.SocketTimeoutError)):
            return ProviderTimeout(f"timeout ({type(seen).__name__})")
        if isinstance(seen, aiohttp.ClientError):
            return ProviderUnavailable(f"connection failed ({type(seen).__name__})")
        seen = seen.__cause__ or seen.__context__
    return None


def translate_common(exc: BaseException, secrets: Iterable[str] = ()) -> ProviderError:
    """Translate failures that are not specific to one SDK; unknown ones become ProviderUnavailable."""
    if isinstance(exc, ProviderError):
        return exc
    if (by_transport := from_transport(exc)) is not None:
        return by_transport
    detail = scrub(str(exc), secrets)
    name = type(exc).__name__
    # httpx is imported only by the clients that use it: while it is not, none of its errors can have been raised.
    httpx: Any = sys.modules.get("httpx")
    if isinstance(exc, TimeoutError) or (httpx is not None and isinstance(exc, httpx.TimeoutException)):
        return ProviderTimeout(f"timeout ({name})")
    if httpx is not None and isinstance(exc, httpx.HTTPStatusError):
        return from_status(exc.response.status_code, detail, headers=exc.response.headers)
    if isinstance(exc, ConnectionError) or (httpx is not None and isinstance(exc, httpx.ConnectError)):
        return ProviderUnavailable(f"cannot connect ({name}): {detail}")
    if isinstance(exc, OSError) or (httpx is not None and isinstance(exc, httpx.TransportError)):
        return ProviderUnavailable(f"connection failed ({name}): {detail}")
    if isinstance(exc, json.JSONDecodeError) or (httpx is not None and isinstance(exc, httpx.StreamError)):
        return ProviderUnavailable(f"malformed stream ({name}): {detail}")
    # Unknown failures still must not escape as foreign classes; keep the traceback in the log.
    log.warning("unexpected %s from provider", name, exc_info=exc)
    return ProviderUnavailable(f"unexpected {name}: {detail}")


@asynccontextmanager
async def one_shot(translate: Callable[[BaseException], ProviderError], *, provider: str, model: str = "",
                   total: float | None = None) -> AsyncIterator[None]:
    """Around a call that is not a stream (embed, ping): every failure leaves as a ProviderError naming the target.

    With `total`, the call has that many seconds (connect is the HTTP client's own timeout; first-token has no
    meaning without a stream). Cancellation passes through untouched.
    """
    try:
        if total is None:
            yield
        else:
            async with asyncio.timeout(total):
                yield
    except Exception as exc:  # noqa: BLE001 - translated and raised; BaseException (cancel) passes untouched
        if total is not None and isinstance(exc, TimeoutError):
            raise ProviderTimeout(f"total timeout after {total:g}s", provider=provider, model=model) from None
        raise _named(translate(exc), provider, model) from None


def _named(err: ProviderError, provider: str, model: str) -> ProviderError:
    err.provider, err.model = provider, model or err.model
    return err
