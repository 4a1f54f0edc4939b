"""bench/load.py, tiny (--quick): each policy sends requests where it says, every request is answered, the
overflow goes to the cloud only after the local slots were full, and every goal of the issue gets a verdict."""
from __future__ import annotations

import pytest

from bench.load import LOADS, QUEUE_TIMEOUT, goals, policies, run_all, table
from bench.load_run import TOKENS


async def test_the_quick_run_routes_each_policy_as_configured_and_judges_every_goal(
        capsys: pytest.CaptureFixture[str]) -> None:
    chosen = policies(QUEUE_TIMEOUT, sweep=False)
    results = await run_all(chosen, LOADS, duration=1.0, seed=17, samples=3)

    assert len(results.cells) == len(chosen) * len(LOADS)
    assert all(c.failed == 0 for c in results.cells)
    today, cloud_only, overflow = ([c for c in results.cells if c.policy == p] for p in chosen)
    assert sum(c.requests for c in today) > 0 and all(c.served.keys() <= {"local"} for c in today)
    assert all(c.served.keys() <= {"cloud"} and c.overflowed == 0 for c in cloud_only)
    for c in cloud_only + overflow:  # the cloud reports the prompt's token and the answer's
        assert c.cloud_tokens == c.served["cloud"] * (1 + TOKENS)
    assert all(c.overflowed == c.served["cloud"] for c in overflow), "the cloud served only requests local passed on"

    capsys.readouterr()
    table(results, 1.0)
    met = goals(results)
    printed = capsys.readouterr().out
    assert "| policy | load (requests/s) |" in printed
    assert set(met) == {(p.name, load) for p in chosen for load in LOADS}
    assert printed.count("PASS") + printed.count("FAIL") == 2 * len(met)  # two verdicts per load and policy
