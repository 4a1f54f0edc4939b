"""Circuit breakers per target: skip a target that keeps failing, probe it again after a cool-down."""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from router.errors import ProviderError, ProviderUnavailable
from router.types import Target

log = logging.getLogger(__name__)

Status = Literal["closed", "open", "half_open"]
Admission = Literal["pass", "probe", "skip"]
# What admit() decides: call the target as usual, call it as the one half-open probe, or skip it.
PASS: Admission = "pass"
PROBE: Admission = "probe"
SKIP: Admission = "skip"


@dataclass(frozen=True, slots=True)
class BreakerPolicy:
    """When a target's circuit opens and for how long; `failures=0` switches the breakers off."""

    failures: int = 3
    cooldown: float = 30.0
    max_cooldown: float = 600.0
    factor: float = 2.0

    def __post_init__(self) -> None:
        if self.failures < 0:
            raise ValueError("failures must be >= 0 (0 switches the breaker off)")
        if self.cooldown <= 0:
            raise ValueError("cooldown must be > 0 seconds")
        if self.max_cooldown < self.cooldown:
            raise ValueError(f"max_cooldown ({self.max_cooldown}) must be at least cooldown ({self.cooldown})")
        if self.factor < 1:
            raise ValueError("factor must be >= 1")


@dataclass(frozen=True, slots=True)
class BreakerState:
    """One target's circuit as `router explain` shows it; `retry_at` is on the breakers' clock."""

    status: Status
    failures: int
    retry_at: float | None


class CircuitOpen(ProviderUnavailable):
    """The target was not called: its circuit is open."""

    kind = "circuit_open"


class _Circuit:
    """Mutable state of one target; only a target that failed since its last success has one."""

    __slots__ = ("failures", "retry_at", "cooldown", "probing")

    def __init__(self) -> None:
        self.failures = 0  # consecutive failures
        self.retry_at: float | None = None  # None = closed; else skipped until then, then probed
        self.cooldown: float | None = None  # of the current opening; None when only a Retry-After opened it
        self.probing = False  # a half-open probe is in flight


OnOpen = Callable[[Target, float, int], None]  # (target, seconds until its probe, failures in a row)


class CircuitBreakers:
    """Circuit state per Target; ModelRouter asks admit() before a call and reports how it ended.

    `on_open` (set by the composition, e.g. to tell other replicas) is called whenever a failure here opens a circuit
    or keeps it open longer; openings learnt through `opened_elsewhere` do not call it, so nothing echoes back.
    """

    def __init__(self, policy: BreakerPolicy | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.policy = policy or BreakerPolicy()
        self._clock = clock
        self._on = self.policy.failures > 0
        self._circuits: dict[Target, _Circuit] = {}
        self.on_open: OnOpen | None = None

    def admit(self, target: Target) -> Admission:
        """PASS when closed, PROBE for the one request after the cool-down, SKIP otherwise."""
        circuit = self._circuits.get(target)
        if circuit is None or circuit.retry_at is None:
            return PASS
        if circuit.probing or self._clock() < circuit.retry_at:
            return SKIP
        circuit.probing = True
        log.info("circuit of %s half-open: one request probes it", target)
        return PROBE

    def skips(self, target: Target) -> bool:
        """True when admit() would skip the target now (open, or its one probe in flight); changes nothing."""
        circuit = self._circuits.get(target)
        return (circuit is not None and circuit.retry_at is not None
                and (circuit.probing or self._clock() < circuit.retry_at))

    def succeeded(self, target: Target, admission: Admission) -> None:
        """The stream finished: a probe closes the circuit, a closed circuit forgets its failures."""
        circuit = self._circuits.get(target)
        if circuit is None:
            return
        if admission == PROBE and circuit.probing:
            log.info("circuit of %s closed: the probe succeeded", target)
            del self._circuits[target]  # closed, count and cool-down back to the base
        elif circuit.retry_at is None:
            del self._circuits[target]
        # Otherwise the circuit is open and this request was admitted before it opened: the probe decides.

    def failed(self, target: Target, admission: Admission, error: ProviderError) -> None:
        """A failure before the first token or a cut stream; may open (or re-open) the circuit."""
        if not self._on:
            return
        circuit = self._circuits.get(target)
        if circuit is None:
            circuit = self._circuits[target] = _Circuit()
        circuit.failures += 1
        policy, wait = self.policy, 0.0
        if admission == PROBE and circuit.probing:
            circuit.probing = False
            last = circuit.cooldown
            circuit.cooldown = policy.cooldown if last is None else min(last * policy.factor, policy.max_cooldown)
            wait = circuit.cooldown
        elif circuit.retry_at is None and circuit.failures >= policy.failures:
            circuit.cooldown = wait = policy.cooldown
        retry_after = getattr(error, "retry_after", None)
        if retry_after:
            # The server said when to come back; asking earlier only earns another 429.
            wait = max(wait, float(retry_after))
        if wait > 0:
            now = self._clock()
            circuit.retry_at = now + wait if circuit.retry_at is None else max(circuit.retry_at, now + wait)
            log.warning("circuit of %s open for %.1f s after %d failure(s) in a row (last: %s)",
                        target, circuit.retry_at - now, circuit.failures, error.kind)
            if self.on_open is not None:
                try:
                    self.on_open(target, circuit.retry_at - now, circuit.failures)
                except Exception:  # sharing the news is a bonus: the failed request must still fall back
                    log.warning("could not share the opening of %s's circuit", target, exc_info=True)

    def opened_elsewhere(self, target: Target, wait: float, failures: int) -> None:
        """Another replica opened the target's circuit for `wait` s: skip it here too, then probe it as usual.

        Not a failure seen here, and not passed to `on_open`; a circuit already open longer stays so.
        """
        if not self._on or wait <= 0:
            return
        circuit = self._circuits.get(target)
        if circuit is None:
            circuit = self._circuits[target] = _Circuit()
        circuit.failures = max(circuit.failures, failures)  # what `state` shows: the opener's count
        now = self._clock()
        circuit.retry_at = now + wait if circuit.retry_at is None else max(circuit.retry_at, now + wait)
        log.info("circuit of %s open for %.1f s: another replica saw it fail", target, circuit.retry_at - now)

    def probe_now(self, target: Target) -> bool:
        """Make an open circuit due for its probe now (a health check saw its provider answer); True if it was open.

        Half-open, not closed: a model listing is not an answer, so one real request still decides.
        """
        circuit = self._circuits.get(target)
        if circuit is None or circuit.retry_at is None or circuit.probing:
            return False
        now = self._clock()
        if now < circuit.retry_at:
            circuit.retry_at = now
            log.info("circuit of %s half-open early: its provider passed a health check", target)
        return True

    def check_failed(self, target: Target, error: ProviderError) -> None:
        """A health check of the target's provider failed: one more failure, or a failed probe if one was due."""
        circuit = self._circuits.get(target)
        if (circuit is not None and circuit.retry_at is not None and not circuit.probing
                and self._clock() >= circuit.retry_at):
            # Due for its probe: the check was that probe, so no user request has to fail on it.
            circuit.probing = True
            self.failed(target, PROBE, error)
        else:
            self.failed(target, PASS, error)

    def adopt(self, policy: BreakerPolicy) -> None:
        """Use a reloaded policy; circuits keep their state (a reload does not make a dead server answer)."""
        self.policy = policy
        self._on = policy.failures > 0
        if not self._on:
            self._circuits.clear()

    def release(self, target: Target, admission: Admission) -> None:
        """The caller cancelled: neither success nor failure, but a probe slot is given back."""
        if admission == PROBE and (circuit := self._circuits.get(target)) is not None:
            circuit.probing = False

    def state(self, target: Target) -> BreakerState:
        """The target's circuit now."""
        circuit = self._circuits.get(target)
        if circuit is None:
            return BreakerState("closed", 0, None)
        if circuit.retry_at is None:
            return BreakerState("closed", circuit.failures, None)
        ready = circuit.probing or self._clock() >= circuit.retry_at
        return BreakerState("half_open" if ready else "open", circuit.failures, circuit.retry_at)

    def open_error(self, target: Target) -> CircuitOpen:
        """The error a skipped target leaves in AllTargetsFailed."""
        circuit = self._circuits.get(target)
        if circuit is not None and circuit.retry_at is not None and not circuit.probing:
            why = f"circuit open, next try in {max(0.0, circuit.retry_at - self._clock()):.1f} s"
        else:
            why = "circuit open, a probe request is in flight"
        return CircuitOpen(why, provider=target.provider, model=target.model)
