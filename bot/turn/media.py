"""Images of a message: downloaded by the bot (never a Telegram URL to a model), validated, cached."""
from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import Protocol

import aiohttp
from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest

from router.types import Image
from vision.images import ImageLimits, ImageRejected, prepare

log = logging.getLogger(__name__)
TELEGRAM_DOWNLOAD_LIMIT = 20 * 1024 * 1024  # getFile refuses bigger files for bots on Telegram's server


class MediaError(Exception):
    """An image that cannot be used; `reason` picks the notice (the catalogs' `image_<reason>`)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


class MediaSource(Protocol):
    """Turns stored image references into images ready for a model."""

    async def load(self, bot: str, refs: Sequence[str]) -> tuple[Image, ...]: ...

    async def raw(self, bot: str, ref: str) -> bytes:
        """One file's bytes as sent (a voice note); MediaError when it cannot be had."""
        ...


class _Prepared:
    """Prepared images by reference: a follow-up question reuses them instead of downloading again."""

    def __init__(self, limits: ImageLimits, size: int) -> None:
        self.limits, self.size = limits, size
        self._cache: OrderedDict[str, Image] = OrderedDict()

    async def get(self, ref: str, fetch: Callable[[], Awaitable[bytes]]) -> Image:
        if (hit := self._cache.get(ref)) is not None:
            self._cache.move_to_end(ref)
            return hit
        raw = await fetch()
        try:
            image = await asyncio.to_thread(prepare, raw, self.limits)  # Pillow off the event loop
        except ImageRejected as exc:
            raise MediaError(exc.reason, str(exc)) from None
        self._cache[ref] = image
        if len(self._cache) > self.size:
            self._cache.popitem(last=False)
        return image


class TelegramMedia:
    """Downloads photos through the bot that received them (getFile), as bytes."""

    def __init__(self, bots: Mapping[str, Bot], limits: ImageLimits, *, cache: int = 64) -> None:
        self.bots = dict(bots)
        self._prepared = _Prepared(limits, cache)

    async def load(self, bot: str, refs: Sequence[str]) -> tuple[Image, ...]:
        """Every image of a message (an album's together); MediaError for the first that fails."""
        client = self.bots[bot]
        return tuple(await asyncio.gather(*(self._prepared.get(ref, partial(self._fetch, client, ref))
                                             for ref in refs)))

    async def raw(self, bot: str, ref: str) -> bytes:
        """A voice note or audio file, downloaded as is (at most Telegram's 20 MB)."""
        return await self._fetch(self.bots[bot], ref)

    async def _fetch(self, bot: Bot, file_id: str) -> bytes:
        try:
            file = await bot.get_file(file_id)
            if (file.file_size or 0) > TELEGRAM_DOWNLOAD_LIMIT:
                raise MediaError("too_large", f"{file.file_size} bytes")
            if not file.file_path:
                raise MediaError("download_failed", "getFile returned no path")
            data = await bot.download_file(file.file_path)
        except TelegramBadRequest as exc:
            # Telegram says "file is too big" for anything over 20 MB; other bad requests: expired ids.
            reason = "too_large" if "too big" in exc.message.lower() else "download_failed"
            raise MediaError(reason, exc.message) from None
        except TelegramAPIError as exc:
            raise MediaError("download_failed", str(exc)) from None
        except (TimeoutError, OSError, aiohttp.ClientError) as exc:
            # Only the type: a file server's error (ClientResponseError) names the URL, and that holds the bot token.
            raise MediaError("download_failed", type(exc).__name__) from None
        if data is None:
            raise MediaError("download_failed", "empty download")
        return data.read()


class FileMedia:
    """Images from local files (the console's `/photo PATH`)."""

    def __init__(self, limits: ImageLimits, *, cache: int = 16) -> None:
        self._prepared = _Prepared(limits, cache)

    async def load(self, bot: str, refs: Sequence[str]) -> tuple[Image, ...]:
        """Read and prepare each file."""
        return tuple([await self._prepared.get(ref, partial(self._read, ref)) for ref in refs])

    async def raw(self, bot: str, ref: str) -> bytes:
        """A local audio file (the console's `/voice PATH`)."""
        return await self._read(ref)

    @staticmethod
    async def _read(ref: str) -> bytes:
        path = Path(ref).expanduser()
        try:
            if path.stat().st_size > TELEGRAM_DOWNLOAD_LIMIT:
                raise MediaError("too_large", str(path))
            return await asyncio.to_thread(path.read_bytes)
        except OSError as exc:
            raise MediaError("missing", f"{path}: {exc.strerror}") from None
