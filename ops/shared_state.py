"""What replicas share over the bus (REDIS_URL): circuit openings, so every replica skips a dead provider, admin
switches, applied everywhere at once instead of at the next minute's re-read (keep_in_sync stays as the net), and
new jobs, so every scheduler knows a reminder's time at once."""
from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from ops.control import ADMIN_TOPIC, RELOAD_TOPIC, reload, restore
from ops.reminders import JOBS_TOPIC
from ops.services import Ops
from router.types import Target
from storage.bus import Bus
from storage.inflight_redis import SharedInFlight
from storage.redis_link import connect

log = logging.getLogger(__name__)
BREAKER_TOPIC = "breaker"  # {"target": "provider:model", "until": epoch seconds, "failures": n}


async def share(ops: Ops, bus: Bus) -> None:
    """Publish this replica's circuit openings and admin changes, apply the others' until cancelled (then unhook).

    The hook sits on the router's breakers object, which a reload keeps (it only adopts the new policy).
    """
    breakers = ops.router.breakers
    sending: set[asyncio.Task[None]] = set()

    def opened(target: Target, wait: float, failures: int) -> None:
        # Wall-clock over the wire: each replica's breakers run on their own monotonic clock.
        news = {"target": str(target), "until": time.time() + wait, "failures": failures}
        task = asyncio.get_running_loop().create_task(bus.publish(BREAKER_TOPIC, news))
        sending.add(task)  # fire and forget: the request that failed goes on to its fallback at once
        task.add_done_callback(sending.discard)

    def opened_elsewhere(news: dict[str, Any]) -> None:
        target = Target.parse(str(news["target"]))
        if target in ops.router.targets_of(target.provider):  # a target some rule here may send to
            ops.router.breakers.opened_elsewhere(target, float(news["until"]) - time.time(), int(news["failures"]))

    async def admin_changed(_: dict[str, Any]) -> None:
        await restore(ops, quiet=True)

    async def reloaded(_: dict[str, Any]) -> None:
        result = await reload(ops, announce=False)
        if not result.ok:  # the files differ here (a volume not shared?): the admin's replica has the new config
            log.warning("an admin reloaded the config on another replica; here it was refused: %s", result.error)

    def jobs_added(_: dict[str, Any]) -> None:
        # A reminder set on another replica fires here on time even if that replica dies before it is due.
        if ops.scheduler is not None:
            ops.scheduler.wakeup()

    breakers.on_open, ops.publisher = opened, bus
    try:
        # After each (re)subscription too: an admin change made while this replica was not listening is read now.
        await bus.follow({BREAKER_TOPIC: opened_elsewhere, ADMIN_TOPIC: admin_changed, JOBS_TOPIC: jobs_added,
                          RELOAD_TOPIC: reloaded},
                         on_subscribed=lambda: caught_up(ops))
    finally:
        if breakers.on_open is opened:
            breakers.on_open = None
        if ops.publisher is bus:
            ops.publisher = None


async def caught_up(ops: Ops) -> None:
    """After each (re)subscription: what other replicas announced while this one was not listening is read now —
    admin changes, and jobs (a reminder set on a replica that dies before it is due still fires on time)."""
    await restore(ops, quiet=True)
    if ops.scheduler is not None:
        ops.scheduler.wakeup()


async def follow_replicas(ops: Ops, redis_url: str) -> None:
    """`share` over a bus with a Redis client of its own (until cancelled; then the client is closed)."""
    bus = Bus(connect(redis_url))
    try:
        await share(ops, bus)
    finally:
        await bus.aclose()


async def share_in_flight(ops: Ops, shared: SharedInFlight, every: float = 0.1) -> None:
    """Until cancelled: every `every` s tell the other replicas this one's model calls in flight and count theirs,
    so the router's slots of a server they share are counted once (router/capacity.py)."""
    failed = False
    try:
        while True:
            capacity = ops.router.capacity
            try:
                capacity.seen_elsewhere(await shared.exchange(capacity.in_flight))
                failed = False
            except Exception as exc:  # noqa: BLE001 - counts stay as last seen; Redis being away is logged once
                if not failed:
                    log.warning("could not share model calls in flight through Redis (%r); counting this replica's",
                                exc)
                    capacity.seen_elsewhere({})
                failed = True
            await asyncio.sleep(every)
    finally:
        with contextlib.suppress(Exception):
            await shared.leave()
