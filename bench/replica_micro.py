"""bench/replicas.py's per-update costs, in this process: each operation a webhook replica runs per update, timed
on its own (µs, wall, through the same Database / redis-py client the bot uses; Postgres work hops to the DB thread).

The tables hold what a running bot has: CHATS chats with PRIOR answered messages each and their updates' claims.
"""
from __future__ import annotations

import gc
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, insert, text

from bench.closed_loop import pct
from storage.flood_windows import FloodWindows
from storage.leases import MessageLeases
from storage.models import Message, ProcessedUpdate, utcnow
from storage.records import Inbound, Scope
from storage.redis_link import connect
from storage.seen_redis import RedisSeen
from storage.store import Store, open_store
from storage.updates import Fronted, UpdateInbox

BOT, REPLICA, LEASE = "main", "bench", 60.0
CHATS, PRIOR = 1_000, 20  # a month of a small bot: 20 000 questions, 20 000 answers, their claims
BUSY, BUSY_PRIOR = 99_999, 5_000  # a busy group: 5 000 messages whose claims are still kept (a day)
FIRST = CHATS * PRIOR + BUSY_PRIOR + 1  # update ids from here on are new


@dataclass(frozen=True)
class Timing:
    """Median and p95 of one operation, µs, over `n` timed calls."""

    median: float
    p95: float
    n: int

    def cell(self) -> str:
        return f"{self.median:.0f} ({self.p95:.0f})"


async def timed(op: Callable[[int], Awaitable[Any]], n: int, *, start: int = 0, warm: int = 20) -> Timing:
    """Call op(start + i) `warm` times untimed, then `n` times, each timed alone with the collector paused."""
    for i in range(warm):
        await op(start + i)
    out: list[float] = []
    clock = time.perf_counter_ns
    gc.disable()  # a collection inside one timed call would be counted as that call's cost
    try:
        for i in range(warm, warm + n):
            t = clock()
            await op(start + i)
            out.append((clock() - t) / 1000)
    finally:
        gc.enable()
    return Timing(pct(out, 50), pct(out, 95), n)


def body(update_id: int, chat: int, message_id: int) -> str:
    """A private text message's update, as Telegram posts it (~400 bytes)."""
    return json.dumps({"update_id": update_id, "message": {
        "message_id": message_id, "date": 1767225600, "text": f"question {update_id} about the harvest plan",
        "chat": {"id": chat, "type": "private", "first_name": "Olena"},
        "from": {"id": chat, "is_bot": False, "first_name": "Olena", "language_code": "uk"}}})


def _inbound(chat: int, message_id: int) -> Inbound:
    return Inbound(Scope(BOT, chat), chat, f"question {message_id}", "daarwizz", 1, tg_message_id=message_id)


def _rows(chat: int, count: int, first_update: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """`count` answered messages of a chat (question and answer rows) and their updates' finished claims."""
    now = utcnow()
    user = dict(bot=BOT, chat_id=chat, thread_id=0, conversation=1, user_id=chat, agent="daarwizz",
                language="uk", chat_type="private", status="done", created_at=now, mode="chat", owner=REPLICA,
                lease_at=now, tries=1)
    messages, claims = [], []
    for m in range(1, count + 1):
        messages.append({**user, "role": "user", "tg_message_id": m, "text": f"question {m}"})
        messages.append({**user, "role": "assistant", "user_id": None, "tg_message_id": None, "text": "answer"})
        claims.append(dict(bot=BOT, update_id=first_update + m, at=now, claimed_at=now, done=True, tries=1, body=None,
                           chat_id=chat, message_id=m, owner=REPLICA))
    return messages, claims


async def _fill(store: Store) -> None:
    """CHATS chats with PRIOR answered messages each, and one BUSY chat with BUSY_PRIOR; their finished claims.
    Postgres is analysed after (its autovacuum would be); SQLite is not (the bot never runs ANALYZE)."""
    messages, claims = [], []
    for c in range(CHATS):
        m, u = _rows(10_000 + c, PRIOR, c * PRIOR)
        messages += m
        claims += u
    m, u = _rows(BUSY, BUSY_PRIOR, CHATS * PRIOR)
    messages += m
    claims += u

    def work(conn: Connection) -> None:
        conn.execute(insert(Message), messages)
        conn.execute(insert(ProcessedUpdate), claims)
    await store.db.run(work)
    if store.db.engine.dialect.name == "postgresql":
        await store.db.run(lambda conn: conn.execute(text("ANALYZE")))


async def database(url: str, n: int) -> dict[str, Timing]:
    """The guard (claim + finish, a repeat refused) and the turn-order query (a quiet chat, a busy one) on one
    database."""
    store = await open_store(url, replica=REPLICA, cache_chats=0)
    inbox, leases = UpdateInbox(store.db, owner=REPLICA), MessageLeases(store.db, REPLICA)
    try:
        await _fill(store)

        async def claim_finish(uid: int) -> None:
            await inbox.claim(BOT, uid, body(uid, 10_000 + uid % CHATS, uid))
            await inbox.finish(BOT, uid)

        async def repeat(uid: int) -> None:
            if await inbox.claim(BOT, uid, body(uid, 10_000 + uid % CHATS, uid)):
                raise RuntimeError("a repeat was claimed again")

        out = {"claim": await timed(claim_finish, n, start=FIRST), "repeat": await timed(repeat, n, start=FIRST)}
        for name, chat, message_id in (("order", 10_000, PRIOR + 1), ("order_busy", BUSY, BUSY_PRIOR + 1)):
            # The message about to be answered: stored, its update's claim open, the chat's older ones answered.
            mine = await store.record_inbound(_inbound(chat, message_id))
            uid = FIRST + 10 * n + chat
            await inbox.claim(BOT, uid, body(uid, chat, message_id))
            if mine is None:
                raise RuntimeError("the message was not stored")

            async def order(_: int, chat: int = chat, mine: int = mine, message_id: int = message_id) -> None:
                if await leases.waits_for_older(Scope(BOT, chat), mine, LEASE, tg_message_id=message_id):
                    raise RuntimeError("the turn-order query waits with nothing older pending")
            out[name] = await timed(order, n)
        return out
    finally:
        await store.db.close()


async def redis(redis_url: str, database_url: str, n: int) -> dict[str, Timing]:
    """Redis in front of the guard (a first delivery, a repeat), the flood check, and a bare round trip."""
    client = connect(redis_url)
    store = await open_store(database_url, replica=REPLICA, cache_chats=0)
    fronted = Fronted(RedisSeen(client), UpdateInbox(store.db, owner=REPLICA))
    flood = FloodWindows(client, 100_000, 100_000, 60.0)
    start = 1_000_000

    async def first(uid: int) -> None:
        await fronted.claim(BOT, uid, body(uid, 20_000 + uid % CHATS, uid))
        await fronted.finish(BOT, uid)

    async def repeat(uid: int) -> None:
        if await fronted.claim(BOT, uid, body(uid, 20_000 + uid % CHATS, uid)):
            raise RuntimeError("a repeat was claimed again")

    async def check(i: int) -> None:
        user = 30_000 + i % 1_000
        await flood.check(user, user, False, f"{user}:{i}")

    async def ping(_: int) -> None:
        await client.ping()

    try:
        return {"fronted": await timed(first, n, start=start), "fronted_repeat": await timed(repeat, n, start=start),
                "flood": await timed(check, n), "ping": await timed(ping, n)}
    finally:
        await client.aclose()
        await store.db.close()
