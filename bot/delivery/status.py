"""A status line for slow work ("🔎 Шукаю…" → "📖 Читаю 3 сторінки…"): one message, edited, then deleted."""
from __future__ import annotations

import asyncio
import logging
import time

from aiogram import Bot
from aiogram.types import ReplyParameters

from bot.delivery.budget import ChatPacer, Kind

log = logging.getLogger(__name__)


class StatusMessage:
    """Shows the newest status in one message, edited at most once per `interval` and within the chat's pacing.

    `show` never waits for Telegram: the work it reports goes on while the message catches up, and statuses
    that were overtaken before their slot are skipped. `clear` deletes the message once the answer is out.
    """

    def __init__(self, bot: Bot, pacer: ChatPacer, *, chat_id: int, thread_id: int | None = None,
                 reply: ReplyParameters | None = None, interval: float = 1.0) -> None:
        self.bot, self.pacer, self.chat_id, self.thread_id, self.reply = bot, pacer, chat_id, thread_id, reply
        self.interval = max(interval, pacer.interval)
        self.message_id: int | None = None
        self._want = ""
        self._shown = ""
        self._next = 0.0  # monotonic time of the next allowed edit
        self._task: asyncio.Task[None] | None = None
        self._calling = False  # a Bot API call is on the wire: let it finish, or a sent message would be lost

    def show(self, text: str) -> None:
        """Make `text` the status; shown now or at the next free slot."""
        self._want = text
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._catch_up())

    async def _catch_up(self) -> None:
        while self._want and self._want != self._shown:
            kind: Kind = "send" if self.message_id is None else "edit"
            if (own := self._next - time.monotonic()) > 0:
                await asyncio.sleep(own)
            while (wait := self.pacer.take(self.chat_id, kind)) > 0:  # claimed before the call: no twin update
                await asyncio.sleep(wait)
            text = self._want
            self._calling = True
            sent = False
            try:
                await self._put(text)
                sent = True
            except Exception as exc:  # noqa: BLE001 - a status is a courtesy; the answer still comes
                log.debug("status update failed in chat %s: %s", self.chat_id, exc)
            finally:
                self._calling = False
                self.pacer.done(self.chat_id, kind, sent=sent)
            self._shown = text
            self._next = time.monotonic() + self.interval

    async def _put(self, text: str) -> None:
        if self.message_id is None:
            msg = await self.bot.send_message(self.chat_id, text, message_thread_id=self.thread_id,
                                              reply_parameters=self.reply)
            self.message_id = msg.message_id
        else:
            await self.bot.edit_message_text(text=text, chat_id=self.chat_id, message_id=self.message_id)

    async def clear(self) -> None:
        """Stop updating and delete the message (best effort: an old or deleted one may stay or be gone)."""
        self._want = ""
        task, self._task = self._task, None
        if task is not None and not task.done():
            if not self._calling:
                task.cancel()  # only sleeping until its slot: nothing on the wire
            await asyncio.gather(task, return_exceptions=True)
        if self.message_id is not None:
            message_id, self.message_id = self.message_id, None
            try:
                await self.bot.delete_message(self.chat_id, message_id)
            except Exception as exc:  # noqa: BLE001 - a status left behind is harmless
                log.debug("could not delete the status message in chat %s: %s", self.chat_id, exc)
