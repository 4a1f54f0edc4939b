"""Circuit openings shared between replicas: `on_open` tells of local openings, `opened_elsewhere` applies others'."""
from __future__ import annotations

from router.breaker import BreakerPolicy, BreakerState, CircuitBreakers
from router.testing import ScriptedProvider
from router.types import Target
from tests.router.test_breaker import T0, A, Clock, ask, down, setup, trip


def told(breakers: CircuitBreakers) -> list[tuple[Target, float, int]]:
    """Record every call of the breakers' on_open hook."""
    calls: list[tuple[Target, float, int]] = []
    breakers.on_open = lambda target, wait, failures: calls.append((target, wait, failures))
    return calls


async def test_an_opening_elsewhere_skips_the_target_here_then_one_probe_decides() -> None:
    clock = Clock()
    a = ScriptedProvider("a", replies=["back"])
    router, breakers = setup(a, clock)
    calls = told(breakers)
    breakers.opened_elsewhere(A, 45.0, 3)
    assert breakers.state(A) == BreakerState("open", 3, T0 + 45)
    assert await ask(router) == ("echo: hi", "b")
    assert a.calls == [], "skipped without a single failure here"
    clock.advance(45)
    assert await ask(router, "probe") == ("back", "a")
    assert breakers.state(A) == BreakerState("closed", 0, None)
    assert calls == [], "news from elsewhere is never sent back"


async def test_a_failed_probe_after_an_opening_elsewhere_opens_here_and_is_told() -> None:
    clock = Clock()
    a = ScriptedProvider("a", replies=down(1))
    router, breakers = setup(a, clock, cooldown=10)
    calls = told(breakers)
    breakers.opened_elsewhere(A, 5.0, 3)
    clock.advance(5)
    assert (await ask(router))[1] == "b"
    assert breakers.state(A) == BreakerState("open", 4, clock.now + 10)
    assert calls == [(A, 10.0, 4)]


async def test_an_opening_elsewhere_extends_a_shorter_one_and_never_shortens_a_longer_one() -> None:
    clock = Clock()
    router, breakers = setup(ScriptedProvider("a", replies=down(3)), clock, cooldown=30)
    await trip(router)
    breakers.opened_elsewhere(A, 10.0, 5)
    assert breakers.state(A) == BreakerState("open", 5, T0 + 30)
    breakers.opened_elsewhere(A, 100.0, 5)
    assert breakers.state(A).retry_at == T0 + 100
    breakers.opened_elsewhere(A, -1.0, 9)  # already over when it arrived
    assert breakers.state(A) == BreakerState("open", 5, T0 + 100)


async def test_local_openings_are_told_and_a_failing_hook_does_not_stop_the_fallback() -> None:
    clock = Clock()
    router, breakers = setup(ScriptedProvider("a", replies=down(3)), clock, cooldown=30)
    calls = told(breakers)
    await trip(router, 2)
    assert calls == [], "not open yet"
    await trip(router, 1)
    assert calls == [(A, 30.0, 3)]

    def broken(target: Target, wait: float, failures: int) -> None:
        raise RuntimeError("bus gone")

    other, others = setup(ScriptedProvider("a", replies=down(3)), clock)
    others.on_open = broken
    await trip(other)  # the third failure opens the circuit; the hook fails; the answer still comes from b
    assert others.state(A).status == "open"


def test_switched_off_breakers_ignore_openings_elsewhere() -> None:
    breakers = CircuitBreakers(BreakerPolicy(failures=0), clock=Clock())
    breakers.opened_elsewhere(A, 30.0, 3)
    assert breakers.state(A) == BreakerState("closed", 0, None)
