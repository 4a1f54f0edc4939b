"""Admin: broadcast (`/admin broadcast AUDIENCE TEXT`, a preview to confirm, a progress message with a stop button)."""
from __future__ import annotations

import contextlib
import secrets
import time
from dataclasses import dataclass

from aiogram import Bot, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)

from bot.delivery.render import cut_point, utf16_len
from bot.handlers.admin.common import PREFIX, Button, Sub, back, lang, reply
from bot.texts import t
from bot.turn.context import BotProfile
from ops.broadcast import BroadcastBusy, Progress, audience, broadcaster, parse_audience
from ops.services import Ops
from storage.audience import Kind

DRAFT_TTL = 3600.0  # seconds a prepared broadcast waits for its confirmation
MAX_TEXT = 4096  # Telegram's message limit, in UTF-16 code units
PREVIEW_UNITS = 3000  # the preview quotes at most this many UTF-16 units, so it fits one message with its header


@dataclass(frozen=True, slots=True)
class Draft:
    """A broadcast shown to its admin and waiting for "Send"."""

    admin: int
    kind: Kind
    agent: str | None
    text: str
    label: str
    at: float


def _drafts(ops: Ops) -> dict[str, Draft]:
    drafts: dict[str, Draft] = ops.extra.setdefault("broadcast_drafts", {})
    now = time.monotonic()
    for key in [k for k, d in drafts.items() if now - d.at > DRAFT_TTL]:
        del drafts[key]
    return drafts


def _agents(ops: Ops) -> str:
    return ", ".join(ops.personas.agents)


async def usage(event: Message | CallbackQuery, ops: Ops) -> None:
    """What a broadcast is and how to send one."""
    rate = f"{ops.settings.broadcast_rate:g}"
    await reply(event, t(lang(event), "bc_help", rate=rate, agents=_agents(ops)), back(lang(event)))


async def prepare(message: Message, ops: Ops, rest: list[str]) -> None:
    """`/admin broadcast all|users|groups|agent:KEY TEXT`: the audience's size, a preview and the confirm buttons."""
    lang_ = lang(message)
    words = rest[0].split(None, 1) if rest else []
    if not words:
        await usage(message, ops)
        return
    parsed = parse_audience(words[0], ops)
    if parsed is None:
        await message.answer(t(lang_, "bc_bad_audience", word=words[0], agents=_agents(ops)))
        return
    text = words[1].strip() if len(words) > 1 else ""
    if not text:
        await message.answer(t(lang_, "bc_no_text"))
        return
    if (length := len(text.encode("utf-16-le")) // 2) > MAX_TEXT:
        await message.answer(t(lang_, "bc_too_long", length=length))
        return
    kind, agent = parsed
    persona = ops.personas.get(agent) if agent else None
    label = t(lang_, f"bc_aud_{kind}", agent=f"{persona.emoji} {persona.name}".strip() if persona else "")
    n = len(await audience(ops, kind, agent))
    if n == 0:
        await message.answer(t(lang_, "bc_nobody", audience=label))
        return
    draft_id = secrets.token_hex(4)
    admin = message.from_user.id  # type: ignore[union-attr]
    _drafts(ops)[draft_id] = Draft(admin, kind, agent, text, label, time.monotonic())
    shown = text if utf16_len(text) <= PREVIEW_UNITS else text[:cut_point(text, PREVIEW_UNITS)] + "…"
    markup = InlineKeyboardMarkup(inline_keyboard=[[
        InlineKeyboardButton(text=t(lang_, "bc_send", n=n), callback_data=f"{PREFIX}broadcast:go:{draft_id}"),
        InlineKeyboardButton(text=t(lang_, "bc_cancel"), callback_data=f"{PREFIX}broadcast:drop:{draft_id}")]])
    await message.answer(t(lang_, "bc_preview", audience=label, n=n, text=shown), reply_markup=markup)


async def button(query: CallbackQuery, ops: Ops, parts: list[str], profile: BotProfile) -> None:
    """`adm:broadcast` (help), `…:go:ID` (send), `…:drop:ID` (cancel the preview), `…:stop` (stop the running one)."""
    lang_ = lang(query)
    action, arg = (parts + ["", ""])[:2]
    if action == "stop":
        running = ops.extra.get("broadcaster")
        stopping = running is not None and running.stop()
        await query.answer(t(lang_, "bc_stopping" if stopping else "bc_not_running"), show_alert=not stopping)
        return
    if action not in ("go", "drop"):
        await usage(query, ops)
        return
    drafts = _drafts(ops)
    draft = drafts.get(arg)
    if draft is None:
        await query.answer(t(lang_, "bc_expired"), show_alert=True)
        return
    if query.from_user.id != draft.admin:
        await query.answer(t(lang_, "bc_not_yours"), show_alert=True)
        return
    if action == "drop":
        del drafts[arg]
        await reply(query, t(lang_, "bc_dropped"))
        return
    await _start(query, ops, profile, drafts, arg, lang_)


async def _start(query: CallbackQuery, ops: Ops, profile: BotProfile, drafts: dict[str, Draft], draft_id: str,
                 lang_: str) -> None:
    """Turn the preview into the progress message and send in the background."""
    draft, engine = drafts[draft_id], broadcaster(ops)
    if engine.running:
        await query.answer(t(lang_, "bc_busy"), show_alert=True)
        return
    recipients = await audience(ops, draft.kind, draft.agent)  # read again: someone may have blocked the bot since
    message = query.message
    if not isinstance(message, Message):
        await query.answer(t(lang_, "bc_expired"), show_alert=True)
        return
    chat_id, message_id, bot = message.chat.id, message.message_id, profile.bot
    stop = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(
        text=t(lang_, "bc_stop"), callback_data=f"{PREFIX}broadcast:stop")]])

    async def show(p: Progress) -> None:
        line = t(lang_, "bc_progress", done=p.done, total=p.total, delivered=p.delivered, blocked=p.blocked,
                 failed=p.failed)
        await engine.slot(profile.key)  # the progress edits share the bot's pace with the broadcast itself
        if not p.finished:
            await _edit(bot, chat_id, message_id, line, stop)
            return
        await _edit(bot, chat_id, message_id, ("⏹ " if p.cancelled else "✅ ") + line,
                    InlineKeyboardMarkup(inline_keyboard=[]))
        await engine.slot(profile.key)
        key = "bc_stopped" if p.cancelled else "bc_done"
        await bot.send_message(chat_id, t(lang_, key, done=p.done, total=p.total, delivered=p.delivered,
                                          blocked=p.blocked, failed=p.failed, seconds=f"{p.seconds:g}"))
        whom = f"{draft.kind}:{draft.agent}" if draft.agent else draft.kind
        await ops.people.audit(draft.admin, "broadcast", allowed=True, detail=(
            f"{whom}: {p.done}/{p.total}, delivered {p.delivered}, blocked {p.blocked}, failed {p.failed}"
            + (", stopped" if p.cancelled else "")))

    try:
        engine.start(draft.text, recipients, show)
    except BroadcastBusy:  # another admin's confirmation won the race while the audience was being read
        await query.answer(t(lang_, "bc_busy"), show_alert=True)
        return
    del drafts[draft_id]
    await query.answer()
    await engine.slot(profile.key)
    await _edit(bot, chat_id, message_id, t(lang_, "bc_progress", done=0, total=len(recipients), delivered=0,
                                            blocked=0, failed=0), stop)


async def _edit(bot: Bot, chat_id: int, message_id: int, text: str, markup: InlineKeyboardMarkup) -> None:
    with contextlib.suppress(TelegramBadRequest):  # unchanged or deleted by the admin: the broadcast goes on
        await bot.edit_message_text(text, chat_id=chat_id, message_id=message_id, reply_markup=markup)


def router() -> Router:
    r = Router(name="admin-broadcast")
    r.message(Sub("broadcast"))(prepare)
    r.callback_query(Button("broadcast"))(button)
    return r
