"""Who may talk to the bot: roles (cached briefly), the access mode, allowed groups and invite codes."""
from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from ops.roles import Role, may_assign
from storage.people import PeopleStore

Mode = Literal["open", "allowlist", "invite"]
Refusal = Literal["banned", "private", "group"]


@dataclass(frozen=True, slots=True)
class Verdict:
    """The caller's role and whether this message may go on; `refusal` says why not."""

    role: Role
    refusal: Refusal | None = None

    @property
    def allowed(self) -> bool:
        return self.refusal is None


class AccessControl:
    """Decides access per message from a short-lived cache, so replicas see each other's changes within `ttl`."""

    def __init__(self, people: PeopleStore, *, owners: Iterable[int] = (), mode: Mode = "open",
                 invite_days: int = 7, ttl: float = 30.0, clock: Callable[[], float] = time.monotonic,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.people, self.owners, self.mode = people, frozenset(owners), mode
        self.invite_days, self.ttl, self.clock, self.now = invite_days, ttl, clock, now
        self._roles: dict[int, tuple[Role, bool, float]] = {}  # user → role, marked blocked, when read
        self._chats: tuple[dict[int, str], float] | None = None

    @property
    def default_role(self) -> Role:
        """The role of a user nobody has decided about: a member in open mode, a guest otherwise."""
        return Role.MEMBER if self.mode == "open" else Role.GUEST

    async def role(self, user_id: int) -> Role:
        """The user's role now."""
        if user_id in self.owners:
            return Role.OWNER
        return (await self._state(user_id))[0]

    async def _state(self, user_id: int) -> tuple[Role, bool, float]:
        cached = self._roles.get(user_id)
        if cached is not None and self.clock() - cached[2] < self.ttl:
            return cached
        stored, blocked = await self.people.access_state(user_id)
        role = Role(stored) if stored is not None and stored in Role.__members__.values() else self.default_role
        if role is Role.OWNER:  # an owner removed from OWNER_IDS is no longer one
            role = Role.ADMIN
        if len(self._roles) > 50_000:
            self._roles.clear()
        self._roles[user_id] = state = (role, blocked, self.clock())
        return state

    async def allowed_chats(self) -> dict[int, str]:
        """Groups allowed as a whole (chat id → bot), cached like roles."""
        if self._chats is None or self.clock() - self._chats[1] >= self.ttl:
            self._chats = (await self.people.allowed_chats(), self.clock())
        return self._chats[0]

    async def check(self, user_id: int, chat_id: int, *, private: bool) -> Verdict:
        """Whether a message from this user in this chat may go on."""
        if user_id in self.owners:
            return Verdict(Role.OWNER)
        role, blocked, at = await self._state(user_id)
        if blocked and private:  # they write to us again, so they unblocked the bot: broadcasts reach them again
            await self.people.set_blocked(user_id, False)
            self._roles[user_id] = (role, False, at)
        if role is Role.BANNED:
            return Verdict(role, "banned")
        if role is not Role.GUEST:
            return Verdict(role)
        if not private and chat_id in await self.allowed_chats():
            return Verdict(role)
        return Verdict(role, "private" if private else "group")

    async def set_role(self, actor: int, user_id: int, new: Role) -> bool:
        """Give a user a role if the actor may; False (nothing changed) when not."""
        if not may_assign(await self.role(actor), await self.role(user_id), new):
            return False
        await self.people.set_role(user_id, new.value)
        self._roles.pop(user_id, None)
        return True

    async def new_invite(self, actor: int, role: Role = Role.MEMBER) -> str:
        """A fresh one-time code, valid for `invite_days` days."""
        code = secrets.token_urlsafe(9)  # 72 random bits, fits a /start deep link
        expires = self.now() + timedelta(days=self.invite_days) if self.invite_days else None
        await self.people.add_invite(code, by=actor, role=role.value, expires_at=expires)
        return code

    async def redeem(self, user_id: int, code: str) -> bool:
        """Use an invite code; the user becomes a member. False when it is unknown, used or expired."""
        if await self.role(user_id) is Role.BANNED:
            return False  # an invite does not lift a ban
        granted = await self.people.redeem(code.strip(), user_id, self.now())
        if granted is None:
            return False
        if await self.role(user_id) in (Role.GUEST,):
            await self.people.set_role(user_id, granted)
        self._roles.pop(user_id, None)
        return True

    async def allow_chat(self, chat_id: int, *, bot: str, title: str | None, by: int) -> None:
        """Allow a group as a whole."""
        await self.people.allow_chat(chat_id, bot=bot, title=title, by=by)
        self._chats = None

    async def disallow_chat(self, chat_id: int) -> bool:
        """Take a group's permission back."""
        changed = await self.people.disallow_chat(chat_id)
        self._chats = None
        return changed

    def forget(self, user_id: int) -> None:
        """Drop a cached role (after a change made elsewhere)."""
        self._roles.pop(user_id, None)
