"""What the admin's providers table shows: every routed target's health, circuit, quota left and on/off state."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit, urlunsplit

from ops.health import latest
from ops.services import Ops
from router.health import HealthResult
from router.quotas import ProviderQuota
from router.types import Target


@dataclass(frozen=True, slots=True)
class TargetStatus:
    """One target as the table shows it; `number` is its stable place in `ModelRouter.known_targets()`, from 1."""

    number: int
    target: Target
    local: bool
    healthy: bool | None  # None: never checked
    checked_at: datetime | None
    detail: str | None
    circuit: str  # closed | open | half_open
    quota: ProviderQuota | None  # None: no usage accounting on this server
    off: bool


@dataclass(frozen=True, slots=True)
class RouterStatus:
    """The whole table: routes (rule → targets), targets, provider addresses, admin routes of agents."""

    routes: tuple[tuple[str, tuple[Target, ...]], ...]
    targets: tuple[TargetStatus, ...]
    addresses: tuple[tuple[str, str], ...]
    agent_routes: tuple[tuple[str, tuple[Target, ...]], ...]


async def router_status(ops: Ops, live: dict[str, HealthResult] | None = None) -> RouterStatus:
    """The table's data, health from `live` results when given, else from the last recorded event."""
    router = ops.router
    recorded = await latest(ops)
    quotas: dict[str, ProviderQuota | None] = {}
    rows = []
    for number, target in enumerate(router.known_targets(), 1):
        provider = router.providers[target.provider]
        if target.provider not in quotas:
            quotas[target.provider] = await router.usage.provider_quota(target.provider) if router.usage else None
        healthy, at, detail = None, None, None
        if live is not None and target.provider in live:
            result = live[target.provider]
            healthy, at, detail = result.healthy, ops.now(), result.detail
        elif (last := recorded.get(target.provider)) is not None:
            healthy, at, detail = last.healthy, last.at, last.detail
        rows.append(TargetStatus(number, target, bool(provider.local), healthy, at, detail,
                                 router.breakers.state(target).status, quotas[target.provider],
                                 router.switched_off(target)))
    routes, seen = [], set()
    for rule in router.rules:  # the `routes.chat` shorthand is two rules (mode chat, the catch-all): one line
        if (key := rule.name or rule.describe()) not in seen:
            seen.add(key)
            routes.append((rule.describe(), rule.targets))
    addresses = tuple((name, safe_url(url)) for name, p in router.providers.items()
                      if (url := getattr(p, "base_url", None)))
    agent_routes = tuple((agent, route.targets) for agent, route in router.overrides.routes.items())
    return RouterStatus(tuple(routes), tuple(rows), addresses, agent_routes)


def target_number(ops: Ops, number: int) -> Target | None:
    """The target shown under `number` in the table (None when the list changed and it is gone)."""
    targets = ops.router.known_targets()
    return targets[number - 1] if 1 <= number <= len(targets) else None


def safe_url(url: str) -> str:
    """A base URL fit to show: no user:password, query or fragment (keys sometimes hide there)."""
    try:
        parts = urlsplit(str(url))
        host, port = parts.hostname or "", parts.port
    except ValueError:
        return "(hidden)"
    netloc = (f"[{host}]" if ":" in host else host) + (f":{port}" if port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))
