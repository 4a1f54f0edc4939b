"""`python -m router explain`: the rule a request matches, its targets in order, which pool member would serve now
and why, and each limited provider's slots (router/capacity.py) with what its server has loaded (router/loaded.py).

What this process cannot see it says so: in-flight counts are its own (none) until replicas share them.
"""
from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from router.breaker import CircuitBreakers
from router.capacity import Capacity
from router.core import POOL
from router.loaded import Loaded
from router.types import Target

DISABLED = "router.disabled"  # where /admin model off keeps its switches (ops.control.DISABLED)
PS_TIMEOUT = 2.0  # seconds for a server's /api/ps


@dataclass
class Now:
    """What explain knows of this moment: slots in flight, circuits, admins' switches, quotas, loaded models."""

    capacity: Capacity = field(default_factory=Capacity)
    breakers: CircuitBreakers = field(default_factory=CircuitBreakers)
    missing: Mapping[str, str] = field(default_factory=dict)  # provider → why the bot leaves it out
    off: Collection[str] = ()  # "provider" or "provider:model" switched off by an admin
    quota: Mapping[str, str] = field(default_factory=dict)  # provider → quota left, as words
    over: Mapping[str, str] = field(default_factory=dict)  # provider → why it is over its quota now
    loaded: Mapping[str, list[Loaded] | str] = field(default_factory=dict)  # provider → its models, or why unknown
    local: Collection[str] = ()  # providers that are local (a local-only request may use them)


def skipped(target: Target, now: Now, local_only: bool) -> str | None:
    """Why a pool member cannot take the request at all (as ModelRouter._members sees it), or None."""
    if target.provider in now.missing:
        return f"unavailable: {now.missing[target.provider]}"
    if local_only and target.provider not in now.local:
        return "not local, and the request is local-only"
    if target.provider in now.off or str(target) in now.off:
        return "switched off by an admin"
    if now.breakers.state(target).status == "open":
        return "circuit open (it failed lately)"
    if target.provider in now.over:
        return f"over quota: {now.over[target.provider]}"
    return None


def slots_text(provider: str, now: Now) -> str:
    """"1/2 in flight" for a limited provider, "no slot limit" otherwise."""
    policy = now.capacity.policies.get(provider)
    return f"{now.capacity.in_flight[provider]}/{policy.size} in flight" if policy else "no slot limit"


def pool_lines(members: Sequence[Target], now: Now, mode: str, local_only: bool) -> list[str]:
    """One line per member: which one serves now (the least busy free one, ties to the first listed) and why."""
    why_not = {t: skipped(t, now, local_only) for t in members}
    usable = [t for t in members if why_not[t] is None]
    free = [t for t in usable if now.capacity.free(t.provider, mode)]
    chosen = min(free, key=lambda t: now.capacity.load(t.provider)) if free else None
    lines = []
    for t in members:
        state = f"{slots_text(t.provider, now)}, {now.breakers.state(t).status}"
        if why_not[t] is not None:
            lines.append(f"     {t}  skipped: {why_not[t]}")
        elif t == chosen:
            tie = any(now.capacity.load(o.provider) == now.capacity.load(t.provider) for o in free if o != t)
            why = "least busy" + (", listed first of the equally busy" if tie else "")
            lines.append(f"  →  {t}  serves now: {why} ({state})")
        elif t in free:
            lines.append(f"     {t}  next: busier or listed later ({state})")
        else:
            lines.append(f"     {t}  full for {mode} ({state})")
    if chosen is None:
        lines.append("     no member can start now: " + ("a request waits for a slot (queue_timeout), then the "
                                                          "next target is tried" if usable else "none is usable"))
    return lines


def target_lines(targets: Sequence[Target], pools: Mapping[str, Sequence[Target]], now: Now, mode: str,
                 local_only: bool) -> list[str]:
    """The rule's targets in the order they are tried, a pool as its members."""
    lines = []
    for i, target in enumerate(targets, 1):
        if target.provider == POOL:
            members = pools.get(target.model, ())
            lines.append(f"  {i}. {target}  the least busy usable member serves:")
            lines += pool_lines(members, now, mode, local_only)
        elif target.provider in now.missing:
            lines.append(f"  {i}. {target}  unavailable: {now.missing[target.provider]}")
        else:
            why = skipped(target, now, local_only)
            state = f"{now.breakers.state(target).status}; quota: {now.quota.get(target.provider, 'no limits')}"
            limited = f"; slots: {slots_text(target.provider, now)}" if now.capacity.limits(target.provider) else ""
            lines.append(f"  {i}. {target}  {state}{limited}" + (f"  (skipped: {why})" if why else ""))
    return lines


def slot_lines(providers: Sequence[str], now: Now, at: datetime) -> list[str]:
    """Each limited provider's slots: size and where it came from, waiting, timeouts, mode shares, keep_alive."""
    lines = []
    for name in providers:
        policy = now.capacity.policies.get(name)
        if policy is None:
            continue
        origin = {"router.yaml": "max_concurrency in router.yaml", "/api/ps": "its /api/ps shows it",
                  "default": "the default: router.yaml sets no max_concurrency and the server does not tell"}
        queue = "unlimited" if policy.max_queue is None else str(policy.max_queue)
        lines.append(f"  {name}: {slots_text(name, now)}, {now.capacity.waiting[name]} waiting; size {policy.size} "
                     f"({origin[policy.origin]})")
        lines.append(f"    queue_timeout {policy.queue_timeout:g} s, max_queue {queue}, max_wait {policy.max_wait:g} s")
        shares = ", ".join(f"{m} {100 * share:g} % = {policy.limit(m)}" for m, share in sorted(policy.shares.items()))
        lines.append(f"    shares: {shares}; other modes up to {policy.size}" if shares
                     else f"    shares: none (every mode may take all {policy.size})")
        loaded = now.loaded.get(name)
        if isinstance(loaded, str):
            lines.append(f"    loaded models: unknown ({loaded})")
        elif loaded is not None:
            lines += [f"    loaded: {_loaded(m, at)}" for m in loaded] or ["    loaded: none (keep_alive ran out)"]
    return lines


def _loaded(model: Loaded, at: datetime) -> str:
    parts = [model.model]
    if model.expires_at is not None:
        left = (model.expires_at - at).total_seconds()
        parts.append(f"keep_alive until {model.expires_at.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"
                     + (f" (in {_span(left)})" if left > 0 else " (due now)"))
    if model.context_length is not None:
        parts.append(f"context {model.context_length}")
    if model.parallel is not None:
        parts.append(f"parallel {model.parallel}")
    return ", ".join(parts)


def _span(seconds: float) -> str:
    if seconds >= 3600 * 48:
        return f"{seconds / 86400:.0f} d"
    return f"{seconds / 3600:.1f} h" if seconds >= 5400 else f"{seconds / 60:.0f} min"
