"""Users as admins see them: roles, time zones, blocked flags, allowed groups, invite codes, the audit log."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, bindparam, delete, func, insert, or_, select, update

from storage.db import AnyRow, Database
from storage.models import AllowedChat, AuditEntry, Invite, User, utcnow
from storage.records import Audit


@dataclass(frozen=True, slots=True)
class Person:
    """One user's profile and admin-side state."""

    id: int
    username: str | None
    first_name: str | None
    language: str | None
    role: str | None
    tz: str | None
    blocked: bool
    created_at: datetime | None = None

    @property
    def label(self) -> str:
        """@name, or the first name, with the id."""
        name = f"@{self.username}" if self.username else (self.first_name or "—")
        return f"{name} ({self.id})"


def _person(row: AnyRow) -> Person:
    return Person(row.id, row.username, row.first_name, row.language, row.role, row.tz, bool(row.blocked),
                  row.created_at)


_COLUMNS = (User.id, User.username, User.first_name, User.language, User.role, User.tz, User.blocked, User.created_at)
_ACCESS = select(User.role, User.blocked).where(User.id == bindparam("uid"))  # built once: compiled once


class PeopleStore:
    """Admin-side reads and writes on users, allowed groups and invites; every call is one transaction."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, user_id: int) -> Person | None:
        """One user, or None when never seen."""
        row = await self.db.run(lambda c: c.execute(select(*_COLUMNS).where(User.id == user_id)).first())
        return _person(row) if row else None

    async def find(self, query: str, *, limit: int = 10) -> list[Person]:
        """Users by id, @username (exact, any case) or a part of the name."""
        q = query.strip().removeprefix("@")
        cond = [func.lower(User.username) == q.lower(),
                func.lower(User.first_name).contains(q.lower(), autoescape=True)]
        if q.lstrip("-").isdigit():
            cond.append(User.id == int(q))
        stmt = select(*_COLUMNS).where(or_(*cond)).order_by(User.id).limit(limit)
        return [_person(r) for r in await self.db.run(lambda c: c.execute(stmt).all())]

    async def role(self, user_id: int) -> str | None:
        """The stored role (None: never set)."""
        return (await self.access_state(user_id))[0]

    async def access_state(self, user_id: int) -> tuple[str | None, bool]:
        """The stored role (None: never set) and whether the user is marked as having blocked the bot."""
        row = await self.db.run(lambda c: c.execute(_ACCESS, {"uid": user_id}).first())
        return (row.role, bool(row.blocked)) if row else (None, False)

    async def set_role(self, user_id: int, role: str | None) -> None:
        """Store a user's role, creating the user row when the user was never seen."""
        await self._set(user_id, role=role)

    async def set_tz(self, user_id: int, tz: str) -> None:
        """Store a user's time zone."""
        await self._set(user_id, tz=tz)

    async def set_blocked(self, user_id: int, blocked: bool = True) -> None:
        """Mark that the user blocked the bot (broadcasts skip them) or unblocked it (they wrote again)."""
        await self._set(user_id, blocked=blocked)

    async def _set(self, user_id: int, **values: object) -> None:
        def work(conn: Connection) -> None:
            if conn.execute(update(User).where(User.id == user_id).values(**values)).rowcount == 0:
                conn.execute(insert(User).values(id=user_id, created_at=utcnow(), **values))
        await self.db.run(work)

    async def allowed_chats(self) -> dict[int, str]:
        """Groups allowed as a whole: chat id → the bot that serves it."""
        rows = await self.db.run(lambda c: c.execute(select(AllowedChat.chat_id, AllowedChat.bot)).all())
        return {r.chat_id: r.bot for r in rows}

    async def allow_chat(self, chat_id: int, *, bot: str, title: str | None, by: int) -> None:
        """Allow a group as a whole (again: refreshes its title and bot)."""
        def work(conn: Connection) -> None:
            conn.execute(delete(AllowedChat).where(AllowedChat.chat_id == chat_id))
            conn.execute(insert(AllowedChat).values(chat_id=chat_id, bot=bot, title=title, added_by=by,
                                                    created_at=utcnow()))
        await self.db.run(work)

    async def disallow_chat(self, chat_id: int) -> bool:
        """Take a group's permission back; False when it was not allowed."""
        stmt = delete(AllowedChat).where(AllowedChat.chat_id == chat_id)
        return bool(await self.db.run(lambda c: c.execute(stmt).rowcount))

    async def add_invite(self, code: str, *, by: int, role: str, expires_at: datetime | None) -> None:
        """Store a new one-time invite code."""
        values = dict(code=code, created_by=by, role=role, created_at=utcnow(), expires_at=expires_at)
        await self.db.run(lambda c: c.execute(insert(Invite).values(**values)))

    async def redeem(self, code: str, user_id: int, now: datetime) -> str | None:
        """Use an invite once: the role it grants, or None when unknown, used or expired (atomic across replicas)."""
        claim = (update(Invite).where(Invite.code == code, Invite.used_by.is_(None),
                                      or_(Invite.expires_at.is_(None), Invite.expires_at > now))
                 .values(used_by=user_id, used_at=now))

        def work(conn: Connection) -> str | None:
            if conn.execute(claim).rowcount != 1:
                return None
            return conn.execute(select(Invite.role).where(Invite.code == code)).scalar()
        return await self.db.run(work)

    async def audit(self, user_id: int, action: str, *, allowed: bool, detail: str | None = None) -> None:
        """Record an admin action or a refused attempt."""
        values = dict(at=utcnow(), user_id=user_id, action=action[:64], allowed=allowed,
                      detail=detail[:500] if detail else None)
        await self.db.run(lambda c: c.execute(insert(AuditEntry).values(**values)))

    async def audit_log(self, *, limit: int = 20) -> list[Audit]:
        """The latest audit entries, newest first."""
        a = AuditEntry
        stmt = select(a.at, a.user_id, a.action, a.allowed, a.detail).order_by(a.id.desc()).limit(limit)
        return [Audit(*row) for row in await self.db.run(lambda c: c.execute(stmt).all())]

    async def counts(self) -> dict[str, int]:
        """Users seen, and how many have each stored role."""
        def work(conn: Connection) -> dict[str, int]:
            out = {str(r[0]): int(r[1]) for r in conn.execute(select(User.role, func.count()).group_by(User.role))}
            out["all"] = sum(out.values())
            return out
        return await self.db.run(work)
