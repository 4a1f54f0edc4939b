"""The webhook guard's Redis fast path: a repeat Redis has seen never reaches the database; Redis away: no harm."""
from __future__ import annotations

import json

from storage.db import Database, migrate, open_engine
from storage.redis_link import connect
from storage.seen_redis import RedisSeen
from storage.updates import Fronted, UpdateInbox
from tests.services import free_port


class Counting(UpdateInbox):
    """The durable guard, counting the claims that reached the database."""

    claims = 0

    async def claim(self, bot: str, update_id: int, body: str) -> bool:
        self.claims += 1
        return await super().claim(bot, update_id, body)


async def inbox(tmp_path) -> Counting:
    db = Database(open_engine(f"sqlite:///{tmp_path}/u.db"))
    await db.call(migrate, db.engine)
    return Counting(db)


def body(update_id: int) -> str:
    return json.dumps({"update_id": update_id, "message": {"message_id": 1, "chat": {"id": 5}}})


async def test_a_repeat_on_another_replica_is_refused_by_redis_alone(tmp_path, redis_url) -> None:
    durable = await inbox(tmp_path)
    one, other = RedisSeen(connect(redis_url)), RedisSeen(connect(redis_url))
    try:
        assert await Fronted(one, durable).claim("main", 7, body(7))
        assert not await Fronted(other, durable).claim("main", 7, body(7)), "the other replica's copy"
        assert durable.claims == 1, "the repeat never reached the database"
        assert await Fronted(other, durable).claim("helion", 7, body(7)), "update ids are per bot"
    finally:
        await one.client.aclose()
        await other.client.aclose()
        await durable.db.close()


async def test_with_redis_away_the_database_decides_alone(tmp_path) -> None:
    durable = await inbox(tmp_path)
    away = RedisSeen(connect(f"redis://127.0.0.1:{free_port()}/0", timeout=0.2))
    try:
        assert await Fronted(away, durable).claim("main", 8, body(8))
        assert not await Fronted(away, durable).claim("main", 8, body(8)), "the primary key still refuses it"
        assert durable.claims == 2
    finally:
        await away.client.aclose()
        await durable.db.close()
