"""The webhook's intake: each update claimed once (storage/updates.py), handled in the background, tracked
until done so a shutdown can wait for it and a live claim is renewed instead of taken over.

An update is done when its handlers return. Album items return once collected and are stored together
ALBUM_WAIT later (bot/turn/albums.py): a crash in between loses that album, as it would while polling. With
REDIS_URL the replica that gathers an album holds its own item's update until the album is answered: if it dies,
the takeover of that update gathers the album again from Redis.
"""
from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Mapping
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.methods import TelegramMethod

from storage.updates import HeldUpdate, UpdateGuard, UpdateInbox

log = logging.getLogger(__name__)
Key = tuple[str, int]  # (bot key, update_id)


class Intake:
    """Takes what Telegram posts: `take` answers with the HTTP status, the handling goes on in a task."""

    def __init__(self, dp: Dispatcher, bots: Mapping[str, Bot], inbox: UpdateInbox, *,
                 guard: UpdateGuard | None = None, first: Callable[[], None] | None = None,
                 data: Mapping[str, Any] | None = None) -> None:
        self.dp, self.bots, self.inbox = dp, bots, inbox
        self.guard: UpdateGuard = guard or inbox  # a fast check (Redis) may wrap the inbox: storage.updates.Fronted
        self.data = dict(data or {})  # passed to every handler, as polling passes its workflow data
        self._first = first
        self._tasks: dict[Key, asyncio.Task[None]] = {}
        self._arrivals: dict[str, asyncio.Future[None]] = {}  # per bot: the latest update still being claimed
        self.closed = False

    @property
    def held(self) -> list[Key]:
        """Updates being handled here now (their claims are renewed while they are)."""
        return list(self._tasks)

    async def take(self, key: str, body: bytes) -> int:
        """200 once the update is durably ours (handled in the background) or a repeat; 500 when it could not be
        stored (Telegram delivers it again later); 503 while shutting down; 400 for what is not an update."""
        if self.closed:
            return 503  # Telegram retries; another replica, or this one after its restart, takes it
        try:
            text = body.decode()
            update = json.loads(text)
            update_id = int(update["update_id"])
        except (ValueError, TypeError, KeyError):  # UnicodeDecodeError is a ValueError
            log.warning("webhook: a request to bot %s that is not an update was refused", key)
            return 400
        # Handling starts in arrival order, whatever order the claims finish in: a chat's queue is taken then.
        before, mine = self._arrivals.get(key), asyncio.get_running_loop().create_future()
        self._arrivals[key] = mine
        try:
            try:
                won = await self.guard.claim(key, update_id, text)
            except Exception:
                log.exception("webhook: could not store update %s of bot %s; Telegram will deliver it again",
                              update_id, key)
                return 500
            if before is not None:
                await asyncio.shield(before)
            if not won:
                log.info("webhook: update %s of bot %s delivered again, ignored", update_id, key)
            else:
                self._spawn(key, update_id, update)
            return 200
        finally:
            mine.set_result(None)
            if self._arrivals.get(key) is mine:
                del self._arrivals[key]

    def resume(self, held: HeldUpdate) -> None:
        """Handle an update taken over from a holder that stopped renewing its claim."""
        if (held.bot, held.update_id) in self._tasks or held.bot not in self.bots:
            return  # ours already (a renewal failed for a while), or a bot this process does not serve
        log.info("webhook: update %s of bot %s taken over (attempt %d)", held.update_id, held.bot, held.tries)
        self._spawn(held.bot, held.update_id, json.loads(held.body))

    def _spawn(self, key: str, update_id: int, update: dict[str, Any]) -> None:
        if self._first is not None:
            self._first()
        task = asyncio.create_task(self._handle(key, update_id, update))
        self._tasks[(key, update_id)] = task
        task.add_done_callback(lambda _: self._tasks.pop((key, update_id), None))

    async def _handle(self, key: str, update_id: int, update: dict[str, Any]) -> None:
        bot = self.bots[key]
        try:
            result = await self.dp.feed_raw_update(bot, update, **self.data)
            if isinstance(result, TelegramMethod):
                await self.dp.silent_call_request(bot, result)
        except Exception:  # noqa: BLE001 - aiogram logged it; a failed update is finished all the same
            log.debug("webhook: update %s of bot %s failed", update_id, key)
        # Not reached when cancelled (a shutdown that could not wait): the claim stays open for a takeover.
        try:
            await self.guard.finish(key, update_id)
        except Exception:
            log.exception("webhook: could not mark update %s of bot %s done; it may be handled again", update_id,
                          key)

    async def drain(self, timeout: float) -> None:
        """Refuse new updates; wait up to `timeout` s for those in hand, then cancel the rest (their claims stay
        open: a stored message is recovered, an update not yet stored is taken over after the lease)."""
        self.closed = True
        tasks = list(self._tasks.values())
        if not tasks:
            return
        _, pending = await asyncio.wait(tasks, timeout=timeout)
        if pending:
            log.warning("webhook: %d updates still being handled at shutdown are left to a takeover", len(pending))
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
