"""What a local server says about its loaded models (Ollama's /api/ps), and the slots that tells the router.

Ollama does not report OLLAMA_NUM_PARALLEL as such. Older servers allocate `num_ctx × parallel` of context for a
loaded model, so /api/ps's `context_length` divided by the `num_ctx` we ask for gives the parallel when it is a
whole number of at least 2; a server that names its parallel (`num_parallel` or `parallel`) is taken at its word.
Otherwise nothing is known and the default slots stay (router/capacity.py DEFAULT_SLOTS).
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from router.capacity import Capacity
from router.errors import ProviderError

log = logging.getLogger(__name__)

PARALLEL_FIELDS = ("num_parallel", "parallel")  # what a server that says its parallel may call it


@dataclass(frozen=True, slots=True)
class Loaded:
    """One model a server holds in memory: its context, until when it stays (keep_alive), its parallel if known."""

    model: str
    context_length: int | None = None
    expires_at: datetime | None = None  # when the server unloads it unless used again (None: not said)
    parallel: int | None = None  # requests it serves at once, as said or as its context shows


@runtime_checkable
class ReportsLoaded(Protocol):
    """A provider that can list its server's loaded models (OllamaProvider)."""

    async def ps(self) -> list[Loaded]: ...


def parse_ps(body: Mapping[str, Any], num_ctx: int) -> list[Loaded]:
    """/api/ps's answer as Loaded models; `num_ctx` is the context each of our requests asks for."""
    out = []
    for entry in body.get("models") or ():
        if not isinstance(entry, Mapping):
            continue
        name = str(entry.get("model") or entry.get("name") or "")
        context = _count(entry.get("context_length"))
        out.append(Loaded(name, context, _time(entry.get("expires_at")), _parallel(entry, context, num_ctx)))
    return out


def _parallel(entry: Mapping[str, Any], context: int | None, num_ctx: int) -> int | None:
    for key in PARALLEL_FIELDS:
        if (said := _count(entry.get(key))) is not None:
            return said
    if context is None or context % num_ctx:
        return None
    slots = context // num_ctx
    return slots if slots >= 2 else None  # one num_ctx: a newer server, or parallel 1; either way not known


def slots_of(loaded: Sequence[Loaded], models: Collection[str]) -> int | None:
    """The parallel `models` (the ones the router sends to) are loaded with; the smallest when they differ (a
    model loaded by someone else with another num_ctx says nothing of ours); None when none of them tells."""
    ours = [m.parallel for m in loaded if m.parallel is not None and _named(m.model, models)]
    return min(ours) if ours else None


async def learn_slots(providers: Mapping[str, object], capacity: Capacity, models_of: Callable[[str], Collection[str]],
                      *, up: Collection[str], timeout: float) -> dict[str, int]:
    """Ask each server that is up and whose slots router.yaml left unset what it has loaded, and size its slots by
    it (Capacity.adopt); the sizes learned, by provider. A server that cannot tell keeps the size it has."""
    asked: dict[str, ReportsLoaded] = {}
    for name, policy in capacity.policies.items():
        if policy.origin != "router.yaml" and name in up and isinstance(provider := providers.get(name), ReportsLoaded):
            asked[name] = provider
    answers = await asyncio.gather(*(_running(n, p, timeout) for n, p in asked.items()))
    learned = {n: slots for n, loaded in zip(asked, answers, strict=True)
               if (slots := slots_of(loaded, models_of(n))) is not None}
    now = capacity.policies  # as it is after the wait: a reload meanwhile may have dropped or sized a provider
    changed = {n: replace(now[n], size=s, origin="/api/ps") for n, s in learned.items()
               if n in now and now[n].origin != "router.yaml" and (now[n].size, now[n].origin) != (s, "/api/ps")}
    if changed:
        for name, policy in changed.items():
            log.info("%s: %d slots, as its /api/ps shows", name, policy.size)
        capacity.adopt({**capacity.policies, **changed})
    return learned


async def _running(name: str, provider: ReportsLoaded, timeout: float) -> list[Loaded]:
    try:
        async with asyncio.timeout(timeout):
            return await provider.ps()
    except (ProviderError, TimeoutError) as exc:  # an older server without /api/ps: nothing learned
        log.debug("%s: loaded models not readable: %s", name, exc)
        return []


def _named(model: str, models: Collection[str]) -> bool:
    return model in models or any(model == f"{m}:latest" for m in models)


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        log.debug("unreadable expires_at %r", value)
        return None
