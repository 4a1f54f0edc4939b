"""Model calls in flight per provider, shared by replicas through Redis (REDIS_URL) for the router's slots.

Each replica writes its own counts to one hash with a short expiry and reads the others'. A replica that dies
stops refreshing its hash and its calls stop counting within EXPIRY_MS; its name leaves the list after FORGET.
"""
from __future__ import annotations

import time
from collections import Counter
from collections.abc import Mapping
from typing import TYPE_CHECKING

from storage.redis_link import key

if TYPE_CHECKING:
    from redis.asyncio import Redis

EXPIRY_MS = 2000  # a dead replica's calls stop counting this soon; every live one refreshes ten times as often
FORGET = 60.0  # seconds after which a replica that stopped writing leaves the list that is read
REPLICAS = key("inflight", "replicas")


class SharedInFlight:
    """One replica's view: publish its counts, learn the sum of everyone else's."""

    def __init__(self, client: Redis, replica: str) -> None:
        self.client, self.replica = client, replica
        self.mine = key("inflight", replica)

    async def exchange(self, counts: Mapping[str, int]) -> dict[str, int]:
        """Write this replica's in-flight counts per provider; the other replicas' counts summed per provider."""
        async with self.client.pipeline(transaction=False) as pipe:
            pipe.delete(self.mine)
            if live := {p: n for p, n in counts.items() if n > 0}:
                pipe.hset(self.mine, mapping=live)
                pipe.pexpire(self.mine, EXPIRY_MS)
            now = time.time()
            pipe.zadd(REPLICAS, {self.replica: now})
            pipe.zremrangebyscore(REPLICAS, "-inf", now - FORGET)  # replicas gone for a minute (renamed, scaled down)
            pipe.zrange(REPLICAS, 0, -1)
            *_, members = await pipe.execute()
        others = sorted(m.decode() for m in members if m.decode() != self.replica)
        if not others:
            return {}
        async with self.client.pipeline(transaction=False) as pipe:
            for other in others:
                pipe.hgetall(key("inflight", other))
            found = await pipe.execute()
        total: Counter[str] = Counter()
        for fields in found:
            total.update({p.decode(): int(n) for p, n in fields.items()})
        return dict(total)

    async def leave(self) -> None:
        """This replica stops: its calls no longer count anywhere."""
        async with self.client.pipeline(transaction=False) as pipe:
            pipe.delete(self.mine)
            pipe.zrem(REPLICAS, self.replica)
            await pipe.execute()
