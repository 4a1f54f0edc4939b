"""Readiness: is the database reachable, is at least one chat target usable, and whatever else is plugged in.

No provider is pinged here: a target counts as unusable when an admin switched it off, its circuit is open, or
the last health check (ops.health, recorded in the database) found its provider down.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from sqlalchemy import text

from ops.health import latest
from ops.services import Ops
from router.core import ModelRouter
from storage.store import Store

log = logging.getLogger(__name__)

Check = Callable[[], Awaitable[str | None]]  # None: ready; else why not, in a few words (never a secret)
OK = "ok"
TIMEOUT = 3.0  # seconds one check may take; a database that slow is not ready


@dataclass(frozen=True, slots=True)
class Readiness:
    """Each check's verdict ("ok" or why not) and whether all passed."""

    checks: Mapping[str, str]

    @property
    def ready(self) -> bool:
        return all(v == OK for v in self.checks.values())

    def as_json(self) -> dict[str, object]:
        return {"status": "ready" if self.ready else "not ready", "checks": dict(self.checks)}


class ReadinessProbe:
    """Named checks run together, each within TIMEOUT; `add` plugs in more (Redis, when it is configured)."""

    def __init__(self, checks: Mapping[str, Check] | None = None, *, timeout: float = TIMEOUT) -> None:
        self.checks: dict[str, Check] = dict(checks or {})
        self.timeout = timeout

    def add(self, name: str, check: Check) -> None:
        self.checks[name] = check

    async def run(self) -> Readiness:
        names = list(self.checks)
        verdicts = await asyncio.gather(*(self._one(n) for n in names))
        return Readiness(dict(zip(names, verdicts, strict=True)))

    async def _one(self, name: str) -> str:
        try:
            async with asyncio.timeout(self.timeout):
                why = await self.checks[name]()
        except TimeoutError:
            return f"no answer within {self.timeout:g} s"
        except Exception as exc:  # noqa: BLE001 - a failing check is a verdict, not a crash of the probe
            log.warning("readiness check %s failed: %s: %s", name, type(exc).__name__, exc)
            return f"unreachable ({type(exc).__name__})"  # the detail (it may name a host) goes to the log only
        return OK if why is None else why


def database(store: Store) -> Check:
    """The bot's database answers a trivial query."""
    async def check() -> str | None:
        await store.db.run(lambda conn: conn.execute(text("SELECT 1")).scalar_one())
        return None
    return check


def chat_targets(router: ModelRouter, ops: Ops | None = None) -> Check:
    """At least one target of the chat route is switched on, has no open circuit and did not fail its last check."""
    async def check() -> str | None:
        down: dict[str, bool] = {}
        if ops is not None:
            try:
                down = {p: not h.healthy for p, h in (await latest(ops)).items()}
            except Exception as exc:  # noqa: BLE001 - the database check reports that; the breakers still tell
                log.debug("recorded health not read: %s", exc)
        why = []
        for target in router.targets("chat"):
            if router.switched_off(target):
                why.append(f"{target} switched off")
            elif router.breakers.state(target).status == "open":
                why.append(f"{target} circuit open")
            elif down.get(target.provider):
                why.append(f"{target} failed its health check")
            else:
                return None
        return "no chat target reachable: " + ("; ".join(why) or "the chat route has no targets")
    return check


def redis(url: str, *, timeout: float = 1.0) -> Check:
    """Redis (REDIS_URL) answers PING within `timeout`; redis-py is imported at the first check."""
    async def check() -> str | None:
        from redis.asyncio import Redis  # only with REDIS_URL set: start-up time is measured

        async with Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout) as client:
            if not await client.execute_command("PING"):  # ping()'s type says it may not be awaitable
                return "redis did not answer PING"
        return None
    return check
