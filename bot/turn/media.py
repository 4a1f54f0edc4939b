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

from bot.turn.file_limits import MB, FileLimits, over
from router.types import Image
from vision.images import ImageLimits, ImageRejected, prepare

log = logging.getLogger(__name__)


class MediaError(Exception):
    """An image that cannot be used; `reason` picks the notice (the catalogs' `image_<reason>`), `mb` is the cap that
    applied (the notices' `$mb`)."""

    def __init__(self, reason: str, detail: str = "", *, mb: int = 0) -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.mb = mb


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
            raise MediaError(exc.reason, str(exc), mb=self.limits.max_bytes // MB) from None
        self._cache[ref] = image
        if len(self._cache) > self.size:
            self._cache.popitem(last=False)
        return image


class TelegramMedia:
    """Downloads photos through the bot that received them (getFile), as bytes; a local Bot API server's files are
    read from its disk (aiogram does that when the server is `is_local`)."""

    def __init__(self, bots: Mapping[str, Bot], limits: ImageLimits, files: FileLimits, *, cache: int = 64) -> None:
        self.bots = dict(bots)
        self.files = files
        self._prepared = _Prepared(limits, cache)

    async def load(self, bot: str, refs: Sequence[str]) -> tuple[Image, ...]:
        """Every image of a message (an album's together); MediaError for the first that fails."""
        client, mb = self.bots[bot], self.files.image
        return tuple(await asyncio.gather(*(self._prepared.get(ref, partial(self._fetch, client, ref, mb))
                                             for ref in refs)))

    async def raw(self, bot: str, ref: str) -> bytes:
        """A voice note or audio file, downloaded as is (at most the audio cap)."""
        return await self._fetch(self.bots[bot], ref, self.files.audio)

    @staticmethod
    async def _fetch(bot: Bot, file_id: str, mb: int) -> bytes:
        try:
            file = await bot.get_file(file_id)
            if over(file.file_size, mb):
                raise MediaError("too_large", f"{file.file_size} bytes", mb=mb)
            if not file.file_path:
                raise MediaError("download_failed", "getFile returned no path")
            data = await bot.download_file(file.file_path)
        except TelegramBadRequest as exc:
            # "file is too big": past what the server serves (20 MB on the cloud); other bad requests: expired ids.
            reason = "too_large" if "too big" in exc.message.lower() else "download_failed"
            raise MediaError(reason, exc.message, mb=mb) from None
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

    def __init__(self, limits: ImageLimits, files: FileLimits, *, cache: int = 16) -> None:
        self.files = files
        self._prepared = _Prepared(limits, cache)

    async def load(self, bot: str, refs: Sequence[str]) -> tuple[Image, ...]:
        """Read and prepare each file."""
        return tuple([await self._prepared.get(ref, partial(self._read, ref, self.files.image)) for ref in refs])

    async def raw(self, bot: str, ref: str) -> bytes:
        """A local audio file (the console's `/voice PATH`)."""
        return await self._read(ref, self.files.audio)

    @staticmethod
    async def _read(ref: str, mb: int) -> bytes:
        path = Path(ref).expanduser()
        try:
            if over(path.stat().st_size, mb):  # the same caps as a file sent on Telegram
                raise MediaError("too_large", str(path), mb=mb)
            return await asyncio.to_thread(path.read_bytes)
        except OSError as exc:
            raise MediaError("missing", f"{path}: {exc.strerror}") from None
