"""Admin: broadcast (`/admin broadcast AUDIENCE TEXT`, a preview to confirm, a progress message with a stop button)."""
from __future__ import annotations

import contextlib
import secrets
from dataclasses import asdict, dataclass

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.fsm.context import FSMContext
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)

from bot.delivery.render import cut_point, utf16_len
from bot.filters.admin import AdminCommand
from bot.filters.message import sender_id
from bot.flows.buttons import AdminSection, BroadcastChoice, BroadcastStop
from bot.flows.states import Broadcast, begin, current
from bot.handlers.admin.common import back, reply
from bot.turn.context import BotProfile
from i18n import Translator
from ops.broadcast import BroadcastBusy, Progress, audience, broadcaster, parse_audience
from ops.services import Ops
from storage.audience import Kind

MAX_TEXT = 4096  # Telegram's message limit, in UTF-16 code units
PREVIEW_UNITS = 3000  # the preview quotes at most this many UTF-16 units, so it fits one message with its header


@dataclass(frozen=True, slots=True)
class Draft:
    """A broadcast shown to its admin and waiting for "Send" (kept as the Broadcast.confirm state's data)."""

    id: str
    admin: int
    kind: Kind
    agent: str | None
    text: str
    label: str


def _agents(ops: Ops) -> str:
    return ", ".join(ops.personas.agents)


async def usage(event: Message | CallbackQuery, ops: Ops, tr: Translator) -> None:
    """What a broadcast is and how to send one."""
    rate = f"{ops.settings.broadcast_rate:g}"
    await reply(event, tr("bc_help", rate=rate, agents=_agents(ops)), back(tr))


async def prepare(message: Message, ops: Ops, rest: list[str], state: FSMContext, tr: Translator) -> None:
    """`/admin broadcast all|users|groups|agent:KEY TEXT`: the audience's size, a preview and the confirm buttons."""
    words = rest[0].split(None, 1) if rest else []
    if not words:
        await usage(message, ops, tr)
        return
    parsed = parse_audience(words[0], ops)
    if parsed is None:
        await message.answer(tr("bc_bad_audience", word=words[0], agents=_agents(ops)))
        return
    text = words[1].strip() if len(words) > 1 else ""
    if not text:
        await message.answer(tr("bc_no_text"))
        return
    if (length := len(text.encode("utf-16-le")) // 2) > MAX_TEXT:
        await message.answer(tr("bc_too_long", length=length))
        return
    kind, agent = parsed
    persona = ops.personas.get(agent) if agent else None
    label = tr(f"bc_aud_{kind}", agent=f"{persona.emoji} {persona.name}".strip() if persona else "")
    n = len(await audience(ops, kind, agent))
    if n == 0:
        await message.answer(tr("bc_nobody", audience=label))
        return
    draft = Draft(secrets.token_hex(4), sender_id(message), kind, agent, text, label)
    await begin(state, Broadcast.confirm, **asdict(draft))  # a newer preview replaces an older one
    shown = text if utf16_len(text) <= PREVIEW_UNITS else text[:cut_point(text, PREVIEW_UNITS)] + "…"
    go, drop = (BroadcastChoice(action=a, draft=draft.id, admin=draft.admin).pack() for a in ("go", "drop"))
    markup = InlineKeyboardMarkup(inline_keyboard=[[
        InlineKeyboardButton(text=tr("bc_send", n=n), callback_data=go),
        InlineKeyboardButton(text=tr("bc_cancel"), callback_data=drop)]])
    await message.answer(tr("bc_preview", audience=label, n=n, text=shown), reply_markup=markup)


async def stop_button(query: CallbackQuery, ops: Ops, tr: Translator) -> None:
    """`adm:broadcast:stop`: stop the running broadcast."""
    stopping = ops.broadcaster is not None and ops.broadcaster.stop()
    await query.answer(tr("bc_stopping" if stopping else "bc_not_running"), show_alert=not stopping)


async def choice_button(query: CallbackQuery, callback_data: BroadcastChoice, ops: Ops, state: FSMContext,
                        profile: BotProfile, tr: Translator) -> None:
    """`adm:broadcast:go|drop:DRAFT:ADMIN`: send or cancel the preview; only its admin may, while it is pending."""
    if query.from_user.id != callback_data.admin:
        await query.answer(tr("bc_not_yours"), show_alert=True)
        return
    pending = await current(state, Broadcast.confirm)  # the admin's own state: this chat, this admin
    if pending is None or pending.get("id") != callback_data.draft:  # sent, cancelled, replaced or timed out
        await query.answer(tr("bc_expired"), show_alert=True)
        return
    if callback_data.action == "drop":
        await state.clear()
        await reply(query, tr("bc_dropped"))
        return
    await _start(query, ops, profile, state, Draft(**pending), tr)


async def _start(query: CallbackQuery, ops: Ops, profile: BotProfile, state: FSMContext, draft: Draft,
                 tr: Translator) -> None:
    """Turn the preview into the progress message and send in the background."""
    engine = broadcaster(ops)
    if engine.running:
        await query.answer(tr("bc_busy"), show_alert=True)
        return
    recipients = await audience(ops, draft.kind, draft.agent)  # read again: someone may have blocked the bot since
    message = query.message
    if not isinstance(message, Message):
        await query.answer(tr("bc_expired"), show_alert=True)
        return
    chat_id, message_id, bot = message.chat.id, message.message_id, profile.bot
    stop = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(
        text=tr("bc_stop"), callback_data=BroadcastStop().pack())]])

    async def show(p: Progress) -> None:
        line = tr("bc_progress", done=p.done, total=p.total, delivered=p.delivered, blocked=p.blocked,
                  failed=p.failed)
        await engine.slot(profile.key)  # the progress edits share the bot's pace with the broadcast itself
        if not p.finished:
            await _edit(bot, chat_id, message_id, line, stop)
            return
        await _edit(bot, chat_id, message_id, ("⏹ " if p.cancelled else "✅ ") + line,
                    InlineKeyboardMarkup(inline_keyboard=[]))
        await engine.slot(profile.key)
        counts = {"done": p.done, "total": p.total, "delivered": p.delivered, "blocked": p.blocked, "failed": p.failed}
        await bot.send_message(chat_id, tr("bc_stopped", **counts) if p.cancelled
                               else tr("bc_done", **counts, seconds=f"{p.seconds:g}"))
        whom = f"{draft.kind}:{draft.agent}" if draft.agent else draft.kind
        await ops.people.audit(draft.admin, "broadcast", allowed=True, detail=(
            f"{whom}: {p.done}/{p.total}, delivered {p.delivered}, blocked {p.blocked}, failed {p.failed}"
            + (", stopped" if p.cancelled else "")))

    try:
        engine.start(draft.text, recipients, show)
    except BroadcastBusy:  # another admin's confirmation won the race while the audience was being read
        await query.answer(tr("bc_busy"), show_alert=True)
        return
    await state.clear()
    await query.answer()
    await engine.slot(profile.key)
    await _edit(bot, chat_id, message_id, tr("bc_progress", done=0, total=len(recipients), delivered=0,
                                             blocked=0, failed=0), stop)


async def _edit(bot: Bot, chat_id: int, message_id: int, text: str, markup: InlineKeyboardMarkup) -> None:
    with contextlib.suppress(TelegramBadRequest):  # unchanged or deleted by the admin: the broadcast goes on
        await bot.edit_message_text(text, chat_id=chat_id, message_id=message_id, reply_markup=markup)


def router() -> Router:
    r = Router(name="admin-broadcast")
    r.message(AdminCommand("broadcast"))(prepare)
    r.callback_query(AdminSection.filter(F.section == "broadcast"))(usage)
    r.callback_query(BroadcastChoice.filter())(choice_button)
    r.callback_query(BroadcastStop.filter())(stop_button)
    return r
