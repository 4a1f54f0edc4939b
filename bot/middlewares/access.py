"""Access in one place: an outer middleware decides who may go on; an inner one guards every admin handler."""
from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, Message, TelegramObject, User

from bot.filters.admin import AdminCommand
from bot.filters.buttons import ButtonOf
from bot.flows.buttons import AdminSection, ForgetAction
from bot.turn.context import for_us
from i18n import Translator, translator
from ops.access import AccessControl, Verdict
from ops.roles import Role, at_least
from storage.people import PeopleStore

log = logging.getLogger(__name__)
Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]
_OPEN_COMMANDS = ("/whoami", "/help", "/forget")  # a guest may learn their id to ask an admin, and delete their data
_ALWAYS_OPEN = ("/forget",)  # even a banned user may delete their data (the ban itself is kept)
_ADMIN_COMMAND, _ADMIN_BUTTON = AdminCommand(), ButtonOf(AdminSection)  # every `adm:` button is an admin action
_FORGET_BUTTON = ButtonOf(ForgetAction)
NOTICE_EVERY = 60.0  # seconds between refusals to one user: a refused user who keeps writing is not answered each time


class Throttle:
    """At most one yes per key per `every` seconds (refusal notices, refused-attempt audit rows)."""

    def __init__(self, every: float = NOTICE_EVERY) -> None:
        self.every = every
        self._last: dict[object, float] = {}

    def allow(self, key: object) -> bool:
        now = time.monotonic()
        if now - self._last.get(key, -self.every) < self.every:
            return False
        if len(self._last) > 10_000:
            self._last.clear()
        self._last[key] = now
        return True

    def note(self, key: object) -> None:
        """Count `key` as just allowed (the user was told another way)."""
        self._last[key] = time.monotonic()


async def _audit_refusal(people: PeopleStore, throttle: Throttle, user_id: int, event: TelegramObject,
                         role: Role) -> None:
    """Log every refused admin attempt; store one a minute per user (spamming /admin cannot bury real entries)."""
    log.warning("refused admin action from user %s (%s): %s", user_id, role, _describe(event))
    if throttle.allow(user_id):
        await people.audit(user_id, _describe(event), allowed=False, detail=f"role {role}")


async def _is_admin_action(event: TelegramObject) -> bool:
    if isinstance(event, Message):
        return bool(await _ADMIN_COMMAND(event))
    return isinstance(event, CallbackQuery) and await _ADMIN_BUTTON(event)


def _describe(event: TelegramObject) -> str:
    """What was attempted, for the audit log (the command and its first words, or the button's data)."""
    if isinstance(event, CallbackQuery):
        return event.data or ""
    return " ".join((getattr(event, "text", "") or "").split()[:3])


async def _forget_button(event: TelegramObject, verdict: Verdict) -> Verdict:
    """The confirm button of /forget works for everyone who may send /forget."""
    pressed = isinstance(event, CallbackQuery) and await _FORGET_BUTTON(event)
    return Verdict(verdict.role) if pressed else verdict


class AccessMiddleware(BaseMiddleware):
    """Bans, the access mode and invite codes, before any handler; puts the caller's `role` in the data."""

    def __init__(self, access: AccessControl, people: PeopleStore, refusals: Throttle) -> None:
        self.access, self.people, self.refusals = access, people, refusals
        self._told = Throttle()  # per (user, chat): one refusal notice a minute

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User | None = getattr(event, "from_user", None)
        if user is None or user.is_bot:
            return await handler(event, data)
        message = event if isinstance(event, Message) else None
        pressed_under = event.message if isinstance(event, CallbackQuery) else None
        chat = message.chat if message else (pressed_under.chat if pressed_under else None)
        private = chat is None or chat.type == "private"
        verdict = await self.access.check(user.id, chat.id if chat else user.id, private=private)
        if not verdict.allowed and private:
            way_in = (self._guest_way_in(message, user, verdict) if message is not None
                      else _forget_button(event, verdict))
            verdict = await way_in
        data["role"] = verdict.role
        if verdict.allowed:
            return await handler(event, data)
        if await _is_admin_action(event):
            await _audit_refusal(self.people, self.refusals, user.id, event, verdict.role)
        await self._refuse(event, user.id, verdict, data, translator(user.language_code))
        return None

    async def _guest_way_in(self, message: Message, user: User, verdict: Verdict) -> Verdict:
        """/start CODE redeems an invite; /whoami and /help stay open so a guest can ask to be let in."""
        words = (message.text or "").split()
        command = words[0].split("@")[0].lower() if words else ""
        if command in _ALWAYS_OPEN:
            return Verdict(verdict.role)
        if verdict.refusal != "private":
            return verdict
        if command == "/start" and len(words) > 1 and self.access.mode == "invite":
            ok = await self.access.redeem(user.id, words[1])
            tr = translator(user.language_code)
            await message.answer(tr("invite_ok" if ok else "invite_bad"))
            if ok:
                return await self.access.check(user.id, message.chat.id, private=True)
            self._told.note((user.id, message.chat.id))
            return verdict
        if command in _OPEN_COMMANDS:
            return Verdict(verdict.role)
        return verdict

    async def _refuse(self, event: TelegramObject, user_id: int, verdict: Verdict, data: dict[str, Any],
                      tr: Translator) -> None:
        if isinstance(event, CallbackQuery):
            await event.answer(tr(f"access_{verdict.refusal}", user_id=user_id, invite=""), show_alert=True)
            return
        if not isinstance(event, Message):
            return  # the gate guards messages and buttons only
        message = event
        if verdict.refusal in ("group", "banned") and message.chat.type != "private":
            profile, personas = data.get("profile"), data.get("personas")
            text = message.text or message.caption or ""
            if profile is None or personas is None or for_us(message, profile, personas, text) is None:
                return  # group chatter not meant for us: stay quiet
            if verdict.refusal == "banned":
                return  # a banned user is not answered in a group (it would only invite more noise)
        if not self._told.allow((user_id, message.chat.id)):
            return
        hint = tr("access_invite_hint") if self.access.mode == "invite" else ""
        await message.answer(tr(f"access_{verdict.refusal}", user_id=user_id, invite=hint))


class RequireAdmin(BaseMiddleware):
    """Inner middleware of the admin router: every admin handler runs only for admins and owners, and is audited."""

    def __init__(self, people: PeopleStore, refusals: Throttle) -> None:
        self.people, self.refusals = people, refusals

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user = getattr(event, "from_user", None)
        role: Role = data.get("role", Role.GUEST)
        if user is None or not at_least(role, Role.ADMIN):
            await _audit_refusal(self.people, self.refusals, user.id if user else 0, event, role)
            tr = translator(user.language_code if user else None)
            if isinstance(event, CallbackQuery):
                await event.answer(tr("admin_only"), show_alert=True)
            elif isinstance(event, Message):
                await event.answer(tr("admin_only"))
            return None
        await self.people.audit(user.id, _describe(event), allowed=True)
        return await handler(event, data)
