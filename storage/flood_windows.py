"""Flood-control windows in Redis (REDIS_URL): one user's and one group's limit shared by every replica.

One Lua script checks and counts a message atomically, on Redis's clock (the replicas' clocks differ).
redis-py is never imported here: the client comes from storage.redis_link.connect.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from storage.redis_link import key

if TYPE_CHECKING:
    from redis.asyncio import Redis

# KEYS: pairs of (window, notice): the user's, then the group's. ARGV: window in µs, its TTL in ms, a limit per pair,
# then the message's own key ("" for none).
# A window is a sorted set of the counted messages' times in µs (each member unique: the time and the count before
# it); a notice key exists while its window blocks and the sender was told. Times go to Redis as "%.0f" strings:
# redis.call would print a Lua number with 14 digits, and µs since 1970 have 16.
CHECK = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local window, ttl, member = tonumber(ARGV[1]), ARGV[2], ARGV[#ARGV]
-- A message counted before (a second delivery, or a replica taking over the update) is let through, not recounted.
if member ~= '' and redis.call('ZSCORE', KEYS[1], member) then return {1, 0, 0} end
local blocked, longest, counts = {}, 0, {}
for i = 1, #KEYS / 2 do
  local w, limit = KEYS[2 * i - 1], tonumber(ARGV[i + 2])
  redis.call('ZREMRANGEBYSCORE', w, '-inf', string.format('%.0f', now - window))
  local count = redis.call('ZCARD', w)
  counts[i] = count
  if count >= limit then
    local oldest = redis.call('ZRANGE', w, count - limit, count - limit, 'WITHSCORES')
    local wait = tonumber(oldest[2]) + window - now
    blocked[#blocked + 1] = {KEYS[2 * i], wait}
    if wait > longest then longest = wait end
  else
    redis.call('DEL', KEYS[2 * i])  -- room again: that blocking period is over
  end
end
if #blocked == 0 then
  local stamp = string.format('%.0f', now)
  for i = 1, #KEYS / 2 do
    redis.call('ZADD', KEYS[2 * i - 1], stamp, member ~= '' and member or (stamp .. '-' .. counts[i]))
    redis.call('PEXPIRE', KEYS[2 * i - 1], ttl)  -- an idle window leaves Redis
  end
  return {1, 0, 0}
end
local notify = 0
for _, b in ipairs(blocked) do  -- told once per period: the key lives until the window has room again
  if redis.call('SET', b[1], '1', 'PX', math.max(1, math.ceil(b[2] / 1000)), 'NX') then notify = 1 end
end
return {0, longest, notify}  -- a Lua number becomes an integer reply: exact below 2^53
"""


@dataclass(frozen=True)
class FloodCheck:
    """Allowed (and counted), or blocked for `retry_after` seconds; `notify` only on the first block of a period."""

    allowed: bool
    retry_after: float = 0.0
    notify: bool = False


class FloodWindows:
    """At most `user_messages` per user (all chats) and `group_messages` per group per `window` s; 0 = no limit."""

    def __init__(self, redis: Redis, user_messages: int, group_messages: int, window: float) -> None:
        self.redis = redis
        self.user_messages, self.group_messages = user_messages, group_messages
        self._window_us, self._ttl_ms = round(window * 1e6), math.ceil(window * 1000)
        self._check = redis.register_script(CHECK)  # EVALSHA, loading the script again after a Redis restart

    async def check(self, user_id: int, chat_id: int, is_group: bool, message: str = "") -> FloodCheck:
        """Count the message if it fits both limits; a blocked message is not counted, one counted before (same
        `message` key, e.g. "chat:message_id") is allowed again without counting. Redis errors propagate."""
        windows = [(self.user_messages, "user", user_id)]
        if is_group:
            windows.append((self.group_messages, "group", chat_id))
        windows = [w for w in windows if w[0] > 0]
        if not windows:
            return FloodCheck(allowed=True)
        keys = [k for _, kind, id_ in windows for k in (key("flood", kind, id_), key("flood", "told", kind, id_))]
        args: list[int | str] = [self._window_us, self._ttl_ms, *(limit for limit, _, _ in windows), message]
        allowed, wait_us, notify = await self._check(keys=keys, args=args)
        return FloodCheck(allowed=bool(allowed), retry_after=wait_us / 1e6, notify=bool(notify))

    async def aclose(self) -> None:
        """Close the client's connections."""
        await self.redis.aclose()
