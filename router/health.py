"""Health checks: ping every provider at once, and let the verdicts steer the circuit breakers."""
from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from router.breaker import CircuitBreakers
from router.errors import ProviderError, ProviderTimeout, ProviderUnavailable
from router.provider import Pingable, Provider
from router.types import Target

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class HealthResult:
    """One provider's answer to a health check; `healthy` None = it has no check (nothing is known)."""

    provider: str
    healthy: bool | None
    detail: str = ""  # "ok", or "kind: message" of the failure (already scrubbed of secrets)
    latency_ms: float = 0.0
    error: ProviderError | None = field(default=None, repr=False, compare=False)


async def ping_all(providers: Mapping[str, Provider], timeout: float) -> dict[str, HealthResult]:
    """Every provider's health, checked concurrently, each within `timeout` seconds."""
    names = list(providers)
    results = await asyncio.gather(*(ping_one(name, providers[name], timeout) for name in names))
    return dict(zip(names, results, strict=True))


async def ping_one(name: str, provider: Provider, timeout: float) -> HealthResult:
    """One provider's health; never raises (a failure is the result)."""
    if not isinstance(provider, Pingable):
        return HealthResult(name, None, "no health check")
    started = time.perf_counter()
    try:
        async with asyncio.timeout(timeout):
            await provider.ping()
    except TimeoutError:
        error: ProviderError = ProviderTimeout(f"no answer within {timeout:g} s", provider=name)
    except ProviderError as exc:
        error = exc
    except Exception as exc:  # one provider's bug must not stop the other checks
        log.warning("health check of %s raised %s", name, type(exc).__name__, exc_info=exc)
        error = ProviderUnavailable(f"health check failed: {type(exc).__name__}", provider=name)
    else:
        return HealthResult(name, True, "ok", (time.perf_counter() - started) * 1000)
    return HealthResult(name, False, f"{error.kind}: {error}"[:300], (time.perf_counter() - started) * 1000, error)


def feed(breakers: CircuitBreakers, result: HealthResult, targets: Sequence[Target]) -> None:
    """A failed check counts as one failure of each target; a passed one makes open circuits due for a probe."""
    if result.healthy is None:
        return
    for target in targets:
        if result.healthy:
            breakers.probe_now(target)
        else:
            breakers.check_failed(target, result.error or ProviderUnavailable(result.detail))
