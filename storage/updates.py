"""The webhook's guard against a second delivery of an update, and its inbox for updates a dead replica held.

Telegram delivers an update again when it saw no 2xx in time, and with several replicas behind one URL the
second delivery may reach another process. `claim` inserts (bot, update_id) with the update's JSON *before*
the webhook answers 200; the primary key lets exactly one caller win, on any database. The winner handles
the update and calls `finish`, which drops the body.

Why claim before handling, with the body. A claim written only after handling (leaving the window to
record_inbound's per-chat dedup) would let two concurrent deliveries both run what stores no message —
commands, buttons, flows. A bare claim before handling would lose an update whose holder died before it
stored the message: Telegram had its 200 and never sends it again. Holding the body closes that window: a
claim its holder stopped renewing for a lease (the process died or was killed) is taken over through `stale`
and handled again. If the message was stored meanwhile, record_inbound ignores the repeat and crash recovery
answers the stored message; if not, it is handled as if it came now. So a 200 means "durably taken"; when the
claim cannot be written the webhook answers 500 and Telegram delivers again later. What is left: a holder killed
after its handlers returned but before `finish` was written leaves the update to a takeover, where a message is
deduplicated as above but a command would run again (a window of one database write).

A fast check may sit in front (Redis, with several replicas): `Fronted(cache, guard)` asks the cache first
and tells it after every claim. The cache says "seen" only for updates claimed in the database, so nothing
depends on a second delivery reaching the right replica: takeovers come from the stored body.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import Connection, and_, bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from storage.db import Database, upsert_for
from storage.models import ProcessedUpdate, utcnow

log = logging.getLogger(__name__)
_KEY = (ProcessedUpdate.bot == bindparam("b"), ProcessedUpdate.update_id == bindparam("u"))
_OPEN = ProcessedUpdate.done.is_(False)
_FINISH = update(ProcessedUpdate).where(*_KEY).values(done=True, body=None, at=bindparam("at"))
_RENEW = update(ProcessedUpdate).where(*_KEY, _OPEN).values(at=bindparam("at"))


class UpdateGuard(Protocol):
    """Decides which one delivery of an update is handled."""

    async def claim(self, bot: str, update_id: int, body: str) -> bool:
        """True for the one caller that handles this update; False for every other delivery of it."""
        ...

    async def finish(self, bot: str, update_id: int) -> None:
        """The update was handled (or failed for good): nobody takes it over."""
        ...


class SeenCache(Protocol):
    """A fast, shared "already claimed" check in front of the database (e.g. Redis SET with a day's expiry)."""

    async def seen(self, bot: str, update_id: int) -> bool: ...

    async def remember(self, bot: str, update_id: int) -> None: ...


@dataclass(frozen=True, slots=True)
class HeldUpdate:
    """An update taken over from a holder that stopped renewing its claim; now this caller's to handle."""

    bot: str
    update_id: int
    body: str
    tries: int


class Fronted:
    """An UpdateGuard with a fast check first: a delivery the cache has seen never reaches the database."""

    def __init__(self, cache: SeenCache, guard: UpdateGuard) -> None:
        self.cache, self.guard = cache, guard

    async def claim(self, bot: str, update_id: int, body: str) -> bool:
        if await self.cache.seen(bot, update_id):
            return False
        won = await self.guard.claim(bot, update_id, body)
        await self.cache.remember(bot, update_id)  # claimed in the database either way, by us or another
        return won

    async def finish(self, bot: str, update_id: int) -> None:
        await self.guard.finish(bot, update_id)


class UpdateInbox:
    """The durable guard: one row per (bot, update_id), the body kept until `finish`."""

    def __init__(self, db: Database, *, max_tries: int = 3, clock: Callable[[], datetime] = utcnow,
                 owner: str = "") -> None:
        self.db, self.max_tries, self.now = db, max_tries, clock
        self.owner = owner or None  # this replica (REPLICA_ID): a chat's turn waits for other holders' claims
        upsert = upsert_for(db.engine)
        # ON CONFLICT DO NOTHING: a duplicate is no error (Postgres would log each as one, and abort the transaction);
        # RETURNING tells whether the row went in (rowcount is -1 here with psycopg).
        self._add = (upsert(ProcessedUpdate).on_conflict_do_nothing().returning(ProcessedUpdate.update_id)
                     if upsert else None)

    async def claim(self, bot: str, update_id: int, body: str) -> bool:
        chat_id, message_id = _where(body)
        now = self.now()
        values = dict(bot=bot, update_id=update_id, at=now, done=False, tries=1, body=body, chat_id=chat_id,
                      message_id=message_id, owner=self.owner, claimed_at=now)

        def work(conn: Connection) -> bool:
            if self._add is not None:
                return conn.execute(self._add, values).scalar() is not None
            try:
                conn.execute(insert(ProcessedUpdate), values)
            except IntegrityError:
                return False
            return True
        try:
            return await self.db.run(work)
        except IntegrityError:  # raised at commit by some drivers
            return False

    async def finish(self, bot: str, update_id: int) -> None:
        await self.db.run(lambda conn: conn.execute(_FINISH, dict(b=bot, u=update_id, at=self.now())))

    async def renew(self, held: Collection[tuple[str, int]]) -> None:
        """The holder is alive: its claims on these (bot, update_id) start a new lease."""
        if held:
            now = self.now()
            rows = [dict(b=b, u=u, at=now) for b, u in held]
            await self.db.run(lambda conn: conn.execute(_RENEW, rows))

    async def stale(self, bots: Collection[str], lease: float, *, limit: int = 100) -> list[HeldUpdate]:
        """Take over claims of these bots nobody renewed for `lease` seconds, oldest update first.

        A takeover is a compare-and-set on `tries`, so two replicas sweeping at once never both win one. An
        update that already failed `max_tries` holders (one that kills its handler, say) is given up, logged.
        """
        now = self.now()
        cutoff = now - timedelta(seconds=lease)
        found = (select(ProcessedUpdate.bot, ProcessedUpdate.update_id, ProcessedUpdate.body, ProcessedUpdate.tries)
                 .where(ProcessedUpdate.bot.in_(list(bots)), _OPEN, ProcessedUpdate.at < cutoff)
                 .order_by(ProcessedUpdate.update_id).limit(limit))

        def work(conn: Connection) -> tuple[list[HeldUpdate], list[tuple[str, int]]]:
            taken: list[HeldUpdate] = []
            dropped: list[tuple[str, int]] = []
            for row in conn.execute(found).all():
                same = and_(*_KEY, _OPEN, ProcessedUpdate.tries == row.tries)
                key = dict(b=row.bot, u=row.update_id)
                if row.tries >= self.max_tries or row.body is None:
                    conn.execute(update(ProcessedUpdate).where(same).values(done=True, body=None, at=now), key)
                    dropped.append((row.bot, row.update_id))
                elif conn.execute(update(ProcessedUpdate).where(same).values(tries=row.tries + 1, at=now,
                                                                              owner=self.owner), key).rowcount:
                    taken.append(HeldUpdate(row.bot, row.update_id, row.body, row.tries + 1))
            return taken, dropped
        if not bots:
            return []
        taken, dropped = await self.db.run(work)
        for bot, update_id in dropped:
            log.warning("update %s of bot %s given up after %d holders did not finish it", update_id, bot,
                        self.max_tries)
        return taken

    async def prune(self, cutoff: datetime) -> int:
        """Forget updates taken (or last touched) before `cutoff`; after a day Telegram never delivers them again."""
        stmt = delete(ProcessedUpdate).where(ProcessedUpdate.at < cutoff)
        return int(await self.db.run(lambda conn: conn.execute(stmt).rowcount))


_MESSAGES = ("message", "edited_message", "business_message", "channel_post")


def _where(body: str) -> tuple[int | None, int | None]:
    """The chat and message an update is about (a button's: the message it hangs on), when it names them."""
    try:
        update = json.loads(body)
        found = next((update[k] for k in _MESSAGES if k in update), None)
        if found is None and "callback_query" in update:
            return int(update["callback_query"]["message"]["chat"]["id"]), None
        if not isinstance(found, dict):
            return None, None
        return int(found["chat"]["id"]), int(found["message_id"])
    except (ValueError, TypeError, KeyError, AttributeError):
        return None, None
