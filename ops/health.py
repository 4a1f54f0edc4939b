"""The health job: ping every provider, feed the circuit breakers, and record each change of a provider's health."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, func, insert, select

from ops.services import Ops
from router.health import HealthResult
from storage.models import ProviderEvent

log = logging.getLogger(__name__)

TIMEOUT = 5.0  # seconds a provider has to answer a check; a hung server is as down as a dead one


@dataclass(frozen=True, slots=True)
class LastHealth:
    """A provider's latest recorded health (the row of its last change)."""

    provider: str
    healthy: bool
    at: datetime  # aware UTC
    detail: str | None


async def health_check(ops: Ops) -> None:
    """Scheduled every `health_interval` seconds (ops.jobs): check every provider and record changes."""
    await check_now(ops)


async def check_now(ops: Ops) -> dict[str, HealthResult]:
    """Ping every provider (the breakers learn from it) and write a ProviderEvent for each change of health.

    Only changes are written, so the table reads as a history of outages; the first check writes one row each.
    """
    results = await ops.router.health(timeout=TIMEOUT)
    last = await latest(ops)
    changed = [r for r in results.values()
               if r.healthy is not None and (r.provider not in last or last[r.provider].healthy != r.healthy)]
    for r in changed:
        before = last.get(r.provider)
        if not r.healthy:
            log.warning("provider %s is down: %s", r.provider, r.detail)
        elif before is not None:
            log.warning("provider %s is back up (down since %s)", r.provider, before.at.isoformat(timespec="seconds"))
        else:
            log.info("provider %s is up", r.provider)
    if changed:
        at = ops.now()
        rows = [{"at": at, "provider": r.provider, "healthy": bool(r.healthy), "detail": r.detail[:500] or None}
                for r in changed]

        def write(conn: Connection) -> None:
            conn.execute(insert(ProviderEvent), rows)
        await ops.store.db.run(write)
    return results


async def latest(ops: Ops) -> dict[str, LastHealth]:
    """Each provider's last recorded health."""
    newest = select(func.max(ProviderEvent.id)).group_by(ProviderEvent.provider)
    stmt = select(ProviderEvent.provider, ProviderEvent.healthy, ProviderEvent.at, ProviderEvent.detail).where(
        ProviderEvent.id.in_(newest))
    rows = await ops.store.db.run(lambda c: c.execute(stmt).all())
    return {r.provider: LastHealth(r.provider, bool(r.healthy), _aware(r.at), r.detail) for r in rows}


def _aware(at: datetime) -> datetime:
    # SQLite hands back naive datetimes; they were stored as UTC.
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)
