"""bench/replicas.py, tiny (--quick): every part runs against real replicas, Postgres and Redis, and says so."""
from __future__ import annotations

import pytest

from bench.replicas import QUICK, SETUPS, load_table, micro_table, run_all, takeover_table
from tests.services import PostgresServer, RedisServer


async def test_the_quick_run_answers_every_message_once_and_the_survivor_answers_the_killed_ones(
        postgres_server: PostgresServer, redis_server: RedisServer, capsys: pytest.CaptureFixture[str]) -> None:
    results = await run_all(QUICK, {"micro", "load", "takeover"}, postgres_server, redis_server)

    assert [r.name for r in results.loads] == [name for name, _, _ in SETUPS]
    for r in results.loads:
        assert (len(r.latencies), r.missing, r.doubles) == (QUICK.chats * QUICK.each, 0, 0), r.name
    shared = [r for r in results.loads if "Postgres" in r.name]
    assert all(r.transactions and r.redis_commands for r in shared), "the servers counted the replicas' work"
    assert len(results.takeovers) == len(QUICK.leases) * QUICK.runs
    assert all(t.to_model < t.to_answer for t in results.takeovers), "the survivor asked the model, then answered"
    assert set(results.micro) == {"sqlite", "postgres", "redis"}
    assert {"claim", "repeat", "order", "order_busy"} <= set(results.micro["postgres"])

    capsys.readouterr()
    micro_table(results.micro)
    load_table(results.loads)
    takeover_table(results.takeovers)
    printed = capsys.readouterr().out
    for heading in ("| operation (per update) |", "| setup | messages/s |", "| PENDING_LEASE |"):
        assert heading in printed
    assert printed.count("| 2 replicas, Postgres + Redis |") == 1
