"""What the embedded speech providers share: no chat, a voice per language, a thread under a deadline."""
from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncGenerator, Callable, Mapping
from typing import TypeVar

from router.errors import MissingCapability, ProviderError, ProviderTimeout
from router.types import Delta

T = TypeVar("T")
FIX = "install it with: pip install -e '.[voice]'"


async def no_chat(provider: str, model: str) -> AsyncGenerator[Delta, None]:
    """A speech model's `stream`: it does not chat (capabilities() says so, so the router never asks)."""
    raise MissingCapability(f"{provider}:{model} is a speech model; it does not chat", provider=provider, model=model)
    yield Delta()  # pragma: no cover - makes this an async generator


def voice_for(voices: Mapping[str, str], language: str) -> str | None:
    """The voice configured for `language` ("en-US" falls back to "en"); None when there is none."""
    code = language.strip().lower().replace("_", "-")
    return voices.get(code) or voices.get(code.partition("-")[0])


async def in_thread(work: Callable[[threading.Event], T], *, total: float,
                    release: Callable[[], None] | None = None) -> T:
    """Run `work(stop)` in a worker thread, waiting at most `total` seconds for it.

    On timeout or cancellation `stop` is set (the work checks it between pieces) and the thread is left to
    finish on its own: a native model call cannot be interrupted. `release` runs when the thread has really
    ended, so a slot it frees is never given to the next call while this one still uses the CPU.
    """
    stop = threading.Event()
    work_done = asyncio.get_running_loop().run_in_executor(None, work, stop)

    def finished(future: asyncio.Future[T]) -> None:
        if not future.cancelled():
            future.exception()  # retrieved: a late failure after a timeout is not "never retrieved" noise
        if release is not None:
            release()

    work_done.add_done_callback(finished)
    try:
        async with asyncio.timeout(total):
            # Shielded: a timeout must not mark the future done while its thread still runs.
            return await asyncio.shield(work_done)
    except TimeoutError:
        raise ProviderTimeout(f"no result within {total:g}s") from None
    finally:
        stop.set()


def labelled(exc: ProviderError, provider: str, model: str) -> ProviderError:
    """`exc` with the provider and model it came from filled in."""
    exc.provider = exc.provider or provider
    exc.model = exc.model or model
    return exc
