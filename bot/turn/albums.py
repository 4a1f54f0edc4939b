"""Photo desk: albums collected into one question (`/ocr` waiting for a photo is an FSM flow: bot/flows/states.py)."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from aiogram.types import Message

log = logging.getLogger(__name__)


@dataclass
class _Album:
    done: Callable[[list[Message]], Coroutine[Any, Any, None]]
    messages: list[Message] = field(default_factory=list)
    timer: asyncio.TimerHandle | None = None


class PhotoDesk:
    """Telegram sends an album as separate messages sharing a media_group_id: answer them once, together."""

    def __init__(self, wait: float) -> None:
        self.wait = wait
        self._albums: dict[tuple[str, int, str], _Album] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def collect(self, key: tuple[str, int, str], message: Message,
                done: Callable[[list[Message]], Coroutine[Any, Any, None]]) -> None:
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

    async def aclose(self) -> None:
        """Answer albums still being collected, then wait for running album answers."""
        for key in list(self._albums):
            self._flush(key)  # now, instead of dropping them
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
