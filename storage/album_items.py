"""An album's items gathered in Redis (REDIS_URL), so one replica answers an album whose items reached several.

Telegram sends each photo of an album as its own update; behind one webhook they land on any replica. Each
replica adds its item to the album's list; the first to add one becomes the album's collector (a key holding its
token). The collector waits until no item came for `wait` seconds — a "quiet" key every item sets again with
that expiry, so the wait restarts on Redis's clock — then takes the whole list, deleting it in the same step.
Every item pushed is taken exactly once: one that comes after the take starts a new list, and a new collector.

A collector that dies leaves its lease to expire (`wait` + LEASE_SLACK); the list stays for `keep` seconds, so
the replica that takes over the dead collector's update (after PENDING_LEASE) pushes that item again, becomes the
collector and gathers the whole album.
redis-py is never imported here: the client comes from storage.redis_link.connect.
"""
from __future__ import annotations

import asyncio
import uuid
from typing import TYPE_CHECKING

from storage.redis_link import key

if TYPE_CHECKING:
    from redis.asyncio import Redis

KEEP = 7200.0  # seconds an uncollected list stays: past a takeover of its collector's update (PENDING_LEASE ≤ 1 h)
# Seconds a collector's lease outlives its longest sleep. Short, so a dead collector's lease is gone when its update
# is taken over (PENDING_LEASE, 60 s by default, must exceed ALBUM_WAIT + this). A live collector whose lease lapsed
# (a stall) loses the album only to a newer item's replica, which then gathers every item (QUIET: -1 to the old one).
LEASE_SLACK = 1.0
Album = tuple[str, int, str]  # (bot key, chat id, media_group_id)

# KEYS: items, quiet, collector. ARGV: item, keep ms, wait ms, lease ms, token. 1 when the caller is the collector.
PUSH = """
redis.call('RPUSH', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
if redis.call('SET', KEYS[3], ARGV[5], 'NX', 'PX', ARGV[4]) then return 1 end
return 0
"""
# KEYS: quiet, collector. ARGV: token, lease ms. -1: another collector holds the album; 0: quiet, time to take it;
# else the ms until it is, if no item comes meanwhile. The lease is renewed (or taken again if it had expired).
QUIET = """
local owner = redis.call('GET', KEYS[2])
if owner and owner ~= ARGV[1] then return -1 end
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
local left = redis.call('PTTL', KEYS[1])
if left < 0 then return 0 end
return math.max(left, 1)
"""
# KEYS: items, quiet, collector. ARGV: token. Every item, in the order pushed; the album is gone from Redis after.
TAKE = """
local items = redis.call('LRANGE', KEYS[1], 0, -1)
redis.call('DEL', KEYS[1], KEYS[2])
if redis.call('GET', KEYS[3]) == ARGV[1] then redis.call('DEL', KEYS[3]) end
return items
"""


class AlbumItems:
    """Albums' items shared by replicas: `push` each, and the one caller it names the collector `gather`s them."""

    def __init__(self, client: Redis, wait: float, *, keep: float = KEEP, slack: float = LEASE_SLACK) -> None:
        self.client, self.wait = client, wait
        self._wait_ms, self._keep_ms = max(1, round(wait * 1000)), round(keep * 1000)
        self._lease_ms = round((wait + slack) * 1000)
        self._push = client.register_script(PUSH)  # EVALSHA, loading the script again after a Redis restart
        self._quiet = client.register_script(QUIET)
        self._take = client.register_script(TAKE)

    @staticmethod
    def _keys(album: Album) -> tuple[str, str, str]:
        items = key("album", *album)
        return items, f"{items}:quiet", f"{items}:collector"

    async def push(self, album: Album, item: str) -> str | None:
        """Add one item; the collector's token if this caller is to gather the album, else None (someone is)."""
        items, quiet, collector = self._keys(album)
        token = uuid.uuid4().hex
        mine = await self._push(keys=[items, quiet, collector],
                                args=[item, self._keep_ms, self._wait_ms, self._lease_ms, token])
        return token if mine else None

    async def gather(self, album: Album, token: str) -> list[str]:
        """As the collector: wait until no item came for `wait` s, then take every item (none if another collector
        took the album over meanwhile). Redis errors propagate."""
        _, quiet, collector = self._keys(album)
        while (left := await self._quiet(keys=[quiet, collector], args=[token, self._lease_ms])) > 0:
            await asyncio.sleep(min(left / 1000 + 0.005, self.wait))  # PTTL is in whole ms: a little past it
        if left < 0:
            return []
        return await self.take(album, token)

    async def take(self, album: Album, token: str) -> list[str]:
        """Every item now, in the order pushed; the album starts afresh in Redis after this."""
        items, quiet, collector = self._keys(album)
        found = await self._take(keys=[items, quiet, collector], args=[token])
        return [b.decode() if isinstance(b, bytes) else str(b) for b in found]
