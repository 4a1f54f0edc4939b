"""Photo desk: albums collected into one question (`/ocr` waiting for a photo is an FSM flow: bot/flows/states.py).

With REDIS_URL the items are collected in Redis (storage/album_items.py): an album whose items reached several
replicas is answered once, by one of them, about every photo. Without Redis, or while it fails, in this process.
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiogram.types import Message

if TYPE_CHECKING:
    from storage.album_items import AlbumItems

log = logging.getLogger(__name__)
QUIET = 60.0  # seconds between warnings while Redis fails
Done = Callable[[list[Message]], Coroutine[Any, Any, None]]


@dataclass
class _Album:
    done: Done
    messages: list[Message] = field(default_factory=list)
    timer: asyncio.TimerHandle | None = None


class PhotoDesk:
    """Telegram sends an album as separate messages sharing a media_group_id: answer them once, together."""

    def __init__(self, wait: float, shared: AlbumItems | None = None) -> None:
        self.wait, self.shared = wait, shared
        self._albums: dict[tuple[str, int, str], _Album] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._warned = -QUIET

    async def take(self, key: tuple[str, int, str], message: Message, done: Done) -> None:
        """Add one album item: collected here (`collect`), or with Redis by the one replica that gathers the album:
        that call waits for the rest and answers; every other returns at once."""
        if self.shared is None or message.bot is None:
            self.collect(key, message, done)
            return
        try:
            token = await self.shared.push(key, message.model_dump_json(exclude_none=True))
        except Exception as exc:  # noqa: BLE001 - Redis away: this item is answered here, never dropped
            self._warn(exc)
            self.collect(key, message, done)
            return
        if token is None:
            return  # another call (here or on another replica) gathers the album
        try:
            bodies = await self.shared.gather(key, token)
        except Exception as exc:  # noqa: BLE001 - the others' items are in Redis we cannot reach; ours is not lost
            self._warn(exc)
            self.collect(key, message, done)
            return
        items = {m.message_id: m for m in (Message.model_validate_json(b, context={"bot": message.bot})
                                           for b in bodies)}  # an update delivered twice is pushed twice
        if items:
            await done([items[i] for i in sorted(items)])

    def collect(self, key: tuple[str, int, str], message: Message, done: Done) -> None:
        """Add one album item; `done` gets all items (in order) once none arrived for `wait` seconds."""
        album = self._albums.setdefault(key, _Album(done))
        if any(m.message_id == message.message_id for m in album.messages):
            return  # the same update delivered twice
        album.messages.append(message)
        if album.timer is not None:
            album.timer.cancel()
        album.timer = asyncio.get_running_loop().call_later(self.wait, self._flush, key)

    def _flush(self, key: tuple[str, int, str]) -> None:
        album = self._albums.pop(key, None)
        if album is None:
            return
        if album.timer is not None:
            album.timer.cancel()
        task = asyncio.create_task(album.done(sorted(album.messages, key=lambda m: m.message_id)))
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("album handling failed", exc_info=task.exception())

    def _warn(self, exc: Exception) -> None:
        now = time.monotonic()
        if now - self._warned >= QUIET:
            self._warned = now
            log.warning("Redis did not answer the album collection (%s); albums are collected per replica meanwhile",
                        type(exc).__name__)

    async def aclose(self) -> None:
        """Answer albums still being collected, then wait for running album answers."""
        for key in list(self._albums):
            self._flush(key)  # now, instead of dropping them
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
