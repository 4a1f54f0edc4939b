"""The one delivery layer: streamed drafts in private chats, paced edits in groups, safe finals."""
from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import partial
from typing import TypeVar

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramNotFound, TelegramRetryAfter
from aiogram.types import BufferedInputFile, ReplyParameters

from bot.delivery.budget import ChatPacer, Kind
from bot.delivery.pacing import once, with_retries
from bot.delivery.render import FENCE, SOURCE_LIMIT, Rendered, cut_point, render, utf16_len
from bot.delivery.status import StatusMessage

T = TypeVar("T")

log = logging.getLogger(__name__)


@dataclass
class DeliveryOptions:
    """Shared by every reply of one bot: pacing, timings, and whether drafts work."""

    pacer: ChatPacer
    first_delay: float = 0.03
    typing_delay: float = 0.3
    drafts: bool = True  # switched off for good when the Bot API server refuses sendMessageDraft


def _is_entity_error(exc: TelegramBadRequest) -> bool:
    msg = exc.message.lower()
    return "entit" in msg or "parse" in msg


class TelegramSink:
    """Shows an answer as it streams and delivers it in full, split under Telegram's limits."""

    def __init__(self, bot: Bot, opts: DeliveryOptions, *, chat_id: int, thread_id: int | None = None,
                 private: bool = True, reply_to: int | None = None) -> None:
        self.bot, self.opts, self.chat_id, self.thread_id = bot, opts, chat_id, thread_id or None
        self.private = private
        self._reply = ReplyParameters(message_id=reply_to, allow_sending_without_reply=True) if reply_to else None
        self._text = ""
        self._committed = 0  # characters of the source already delivered as final messages
        self._prefix = ""  # "```\n" when a code block continues into the next message
        self._preview_id: int | None = None  # group/edit mode: the message being edited
        self._draft_id = random.randint(1, 2**31 - 1)
        self._timer: asyncio.TimerHandle | None = None
        self._flush: asyncio.Task[None] | None = None
        self._typing: asyncio.TimerHandle | asyncio.Task[None] | None = None
        self._scheduled = False  # a first preview was scheduled
        self._next_preview = 0.0  # loop time before which this answer shows no new preview (one per interval)
        self._status: StatusMessage | None = None  # slow work's progress line (web search), apart from the answer

    async def start(self) -> None:
        """Show "typing…" until the first text is visible; fast answers never need it."""
        self._typing = asyncio.get_running_loop().call_later(self.opts.typing_delay, self._start_typing)

    def _start_typing(self) -> None:
        self._typing = asyncio.create_task(self._keep_typing())

    async def _keep_typing(self) -> None:
        # Telegram shows the action for ~5 s; a plain timer loop costs less than a helper task per reply.
        while True:
            try:
                await self.bot.send_chat_action(self.chat_id, "typing", message_thread_id=self.thread_id)
            except Exception as exc:  # noqa: BLE001 - "typing" is a courtesy, never worth an error
                log.debug("typing action failed in chat %s: %s", self.chat_id, exc)
            await asyncio.sleep(4.5)

    async def update(self, text: str) -> None:
        """Record the answer so far; schedule a preview if none is pending."""
        self._text = text
        if self._timer is None and (self._flush is None or self._flush.done()):
            self._schedule(self._preview_wait() if self._scheduled else self.opts.first_delay)

    def _preview_kind(self) -> Kind:
        if self.private and self.opts.drafts and self._preview_id is None:
            return "draft"
        return "send" if self._preview_id is None else "edit"

    def _preview_wait(self) -> float:
        """Until the chat's budget allows a preview and this answer's last one is an interval old."""
        own = self._next_preview - asyncio.get_running_loop().time()
        return max(own, self.opts.pacer.wait_time(self.chat_id, self._preview_kind()))

    def _schedule(self, delay: float) -> None:
        self._scheduled = True
        self._timer = asyncio.get_running_loop().call_later(delay, self._start_flush)

    def _start_flush(self) -> None:
        self._timer = None
        if (wait := self._preview_wait()) > 0:  # the chat's budget changed meanwhile (a 429, another message)
            self._schedule(wait)
            return
        self._flush = asyncio.create_task(self._preview())

    async def _preview(self) -> None:
        """Show the answer so far; never sleeps, so finish() waits at most for one call on the wire."""
        shown = self._text
        await self._commit_overflow(shown)
        pieces = render(self._prefix + shown[self._committed:])
        if not pieces:
            return
        piece, kind = pieces[0], self._preview_kind()
        if (wait := self.opts.pacer.take(self.chat_id, kind)) > 0:  # another sender took the slot meanwhile
            if self._timer is None:
                self._schedule(wait)
            return
        self._next_preview = asyncio.get_running_loop().time() + self.opts.pacer.interval
        sent = False
        try:
            with once():  # a refused preview is dropped, not waited out: newer text follows
                if kind == "draft":
                    await self._draft(piece)
                else:
                    await self._show(piece)
            sent = True
            await self._stop_typing()
        except TelegramRetryAfter as exc:
            self.opts.pacer.penalize(self.chat_id, float(exc.retry_after), kind)
        except Exception as exc:  # noqa: BLE001 - a preview is best effort; the final answer is not
            log.debug("preview failed in chat %s: %s", self.chat_id, exc)
        finally:
            self.opts.pacer.done(self.chat_id, kind, sent=sent)
        if self._text != shown and self._timer is None:  # text arrived meanwhile: show it on the next slot
            self._schedule(self._preview_wait())

    async def _draft(self, piece: Rendered) -> None:
        try:
            await self.bot.send_message_draft(self.chat_id, self._draft_id, message_thread_id=self.thread_id,
                                              text=piece.text, entities=piece.entities)
        except TelegramBadRequest as exc:
            if not _is_entity_error(exc):
                raise self._no_drafts(exc) from exc
            await self.bot.send_message_draft(self.chat_id, self._draft_id, message_thread_id=self.thread_id,
                                              text=piece.text)
        except TelegramNotFound as exc:
            raise self._no_drafts(exc) from exc

    def _no_drafts(self, exc: Exception) -> Exception:
        log.warning("sendMessageDraft refused (%s); streaming by editing messages instead", exc)
        self.opts.drafts = False
        return exc

    async def _show(self, piece: Rendered) -> None:
        """Send or edit the preview message with this piece."""
        if self._preview_id is None:
            msg = await self._send(piece, retry=False)
            self._preview_id = msg
        else:
            self._preview_id = await self._edit(self._preview_id, piece, retry=False)

    async def _commit_overflow(self, text: str) -> None:
        """Deliver finished messages for everything beyond one message's worth of source."""
        while utf16_len(src := self._prefix + text[self._committed:]) > SOURCE_LIMIT:
            at = max(cut_point(src, SOURCE_LIMIT), len(self._prefix) + 1)  # always progress
            head = src[:at]
            reopen = len(FENCE.findall(head)) % 2 == 1
            if reopen:
                head = head.rstrip("\n") + "\n```"
            await self._final(render(head))
            self._committed += at - len(self._prefix)
            self._prefix = "```\n" if reopen else ""

    async def finish(self, text: str) -> None:
        """Deliver the whole answer; the last piece replaces the preview in edit mode."""
        await self._settle()
        self._text = text
        await self._commit_overflow(text)
        await self._final(render(self._prefix + text[self._committed:]))
        self._committed = len(text)
        await self._clear_status()

    async def notify(self, text: str) -> None:
        """Send a plain notice; it replaces a group preview if one is showing."""
        await self._settle()
        await self._final([Rendered(text, None)])
        await self._clear_status()

    async def status(self, text: str) -> None:
        """A progress line ("🔎 Шукаю…") in its own message, edited as the work goes on; gone once the answer is."""
        if not text:
            await self._clear_status()
            return
        if self._status is None:
            self._status = StatusMessage(self.bot, self.opts.pacer, chat_id=self.chat_id, thread_id=self.thread_id,
                                         reply=self._reply)
        self._status.show(text)

    async def _clear_status(self) -> None:
        if self._status is not None:
            status, self._status = self._status, None
            await status.clear()

    async def attach(self, files: Sequence[tuple[str, bytes]]) -> None:
        """Send files as documents after the answer, paced like messages."""
        for name, data in files:
            async with self._slot("send"):
                await with_retries(partial(self.bot.send_document, self.chat_id,
                                           BufferedInputFile(data, filename=name), message_thread_id=self.thread_id,
                                           reply_parameters=self._reply))

    async def voice(self, data: bytes, seconds: float) -> None:
        """The answer spoken, after its text; a user whose privacy settings forbid voice messages keeps the text."""
        try:
            async with self._slot("send"):
                await with_retries(partial(self.bot.send_voice, self.chat_id, BufferedInputFile(data, "answer.ogg"),
                                           duration=max(1, round(seconds)), message_thread_id=self.thread_id,
                                           reply_parameters=self._reply))
        except TelegramBadRequest as exc:
            if "VOICE_MESSAGES_FORBIDDEN" not in exc.message.upper():
                raise
            log.info("chat %s does not take voice messages; the text answer stands", self.chat_id)

    async def close(self) -> None:
        """Cancel timers, an unfinished preview and the typing indicator."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._flush is not None and not self._flush.done():
            self._flush.cancel()  # the answer ended without finish()/notify(): no stale preview after it
        await self._stop_typing()
        await self._clear_status()

    async def _settle(self) -> None:
        """Wait for an in-flight preview and cancel planned ones."""
        while self._timer is not None or self._flush is not None:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            if self._flush is not None:
                flush, self._flush = self._flush, None
                await asyncio.gather(flush, return_exceptions=True)
        await self._stop_typing()

    async def _stop_typing(self) -> None:
        if self._typing is not None:
            self._typing.cancel()
            self._typing = None

    async def _final(self, pieces: list[Rendered]) -> None:
        for piece in pieces:
            kind: Kind = "send" if self._preview_id is None else "edit"
            async with self._slot(kind):
                if self._preview_id is not None:
                    await self._edit(self._preview_id, piece, retry=True)
                    self._preview_id = None
                else:
                    await self._send(piece, retry=True)
        self._draft_id = random.randint(1, 2**31 - 1)

    @asynccontextmanager
    async def _slot(self, kind: Kind) -> AsyncIterator[None]:
        """Wait until the chat's budget allows an update (at once while Telegram is happy), claimed until it is sent."""
        while (wait := self.opts.pacer.take(self.chat_id, kind)) > 0:
            await asyncio.sleep(wait)
        sent = False
        try:
            yield
            sent = True
        finally:
            self.opts.pacer.done(self.chat_id, kind, sent=sent)

    async def _send(self, piece: Rendered, *, retry: bool) -> int:
        async def call(entities: bool) -> int:
            msg = await self.bot.send_message(
                self.chat_id, piece.text, message_thread_id=self.thread_id, reply_parameters=self._reply,
                entities=piece.entities if entities else None, parse_mode=None)
            return msg.message_id
        return await self._with_fallback(call, retry, piece)

    async def _edit(self, message_id: int, piece: Rendered, *, retry: bool) -> int:
        """Edit the message; return its id, or the id of a new one if it was deleted meanwhile."""
        async def call(entities: bool) -> None:
            try:
                await self.bot.edit_message_text(
                    text=piece.text, chat_id=self.chat_id, message_id=message_id,
                    entities=piece.entities if entities else None, parse_mode=None)
            except TelegramBadRequest as exc:
                if "not modified" not in exc.message.lower():
                    raise
        try:
            await self._with_fallback(call, retry, piece)
            return message_id
        except TelegramBadRequest as exc:
            if "not found" not in exc.message.lower():
                raise
            # Someone deleted the message we were editing: the answer still has to arrive.
            return await self._send(piece, retry=retry)

    async def _with_fallback(self, call: Callable[[bool], Awaitable[T]], retry: bool, piece: Rendered) -> T:
        """Send with entities; if Telegram rejects them, send the same text plain."""
        async def attempt(entities: bool) -> T:
            return await (with_retries(partial(call, entities)) if retry else call(entities))
        try:
            return await attempt(piece.entities is not None)
        except TelegramBadRequest as exc:
            if piece.entities is None or not _is_entity_error(exc):
                raise
            log.info("Telegram rejected entities in chat %s; resending as plain text", self.chat_id)
            return await attempt(False)
