"""Replicas (issue 16): what one webhook replica on SQLite, one on Postgres + Redis and two behind one URL
answer per second, what the per-update machinery costs, and how long a dead replica's message waits.

1. Load: real `python -m bot run` processes in webhook mode on the fake Bot API and the fake model (8 tokens at
   10 ms per answer), throwaway Postgres and Redis from Debian's packages. A closed loop: CHATS private chats, each
   sends its next message when the previous one is answered, EACH messages per chat (after one warm-up message
   per chat); with two replicas each update goes to one of them at random. Messages/s, and latency from the POST
   of the update to the fake receiving the sendMessage with the whole answer.
2. Per-update costs, in this process: the webhook's duplicate guard (claim + finish; a repeat) on SQLite and
   Postgres, Redis in front of it, the per-turn order query, the Redis flood check.
3. Takeover: two replicas; a message's model call hangs on one, which is killed (SIGKILL); seconds until the
   other's answer is sent, for PENDING_LEASE 2 and 5.

Run: .venv/bin/python -m bench.replicas [--quick] [--parts micro,load,takeover] [--runs 3]
(prints numbers; asserts nothing; about 1.6 minutes on 2 cores; --quick: a tiny run for the smoke test)
"""
from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.closed_loop import pct
from bench.replica_cluster import Cluster, Counters, ServiceCpu
from bench.replica_load import TOKEN_DELAY, WORDS, LoadRun, fakes, load
from bench.replica_micro import BUSY_PRIOR, CHATS, PRIOR, Timing, database, redis
from bench.replica_takeover import Takeover, takeovers
from bot.testing import FakeTelegram
from router.testing import FakeLLM
from storage.redis_link import connect
from tests.services import PostgresServer, RedisServer

SETUPS = (("1 replica, SQLite", 1, False), ("1 replica, Postgres + Redis", 1, True),
          ("2 replicas, Postgres + Redis", 2, True))


@dataclass(frozen=True)
class Size:
    """How much each part does."""

    chats: int = 40
    each: int = 10
    calls: int = 1000  # timed calls per operation
    leases: tuple[float, ...] = (2.0, 5.0)
    runs: int = 3  # kills per lease


QUICK = Size(chats=4, each=3, calls=30, leases=(1.0,), runs=1)


@dataclass
class Results:
    micro: dict[str, dict[str, Timing]] = field(default_factory=dict)
    loads: list[LoadRun] = field(default_factory=list)
    takeovers: list[Takeover] = field(default_factory=list)


def args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--quick", action="store_true", help="a tiny run of every part (the smoke test)")
    p.add_argument("--parts", default="micro,load,takeover", help="which parts to run (default: %(default)s)")
    p.add_argument("--runs", type=int, help="kills per PENDING_LEASE (default: 3; --quick: 1)")
    return p.parse_args()


async def redis_pid(url: str) -> int | None:
    client = connect(url)
    try:
        return int((await client.info("server")).get("process_id", 0)) or None
    finally:
        await client.aclose()


class Fresh:
    """New Postgres databases, one per setup, dropped at the end (a server of your own keeps none of them)."""

    def __init__(self, pg: PostgresServer) -> None:
        self.pg, self.urls = pg, list[str]()

    def __call__(self) -> str:
        self.urls.append(self.pg.create_database())
        return self.urls[-1]

    def drop(self) -> None:
        for url in self.urls:
            self.pg.drop_database(url)


async def micro(size: Size, tmp: Path, fresh: Fresh, rd: RedisServer) -> dict[str, dict[str, Timing]]:
    out = {"sqlite": await database(f"sqlite:///{tmp}/micro.db", size.calls)}
    url = fresh()
    out["postgres"] = await database(url, size.calls)
    rd.command("FLUSHDB")
    out["redis"] = await redis(rd.url, url, size.calls)
    return out


async def one_setup(name: str, replicas: int, shared: bool, size: Size, tmp: Path, fresh: Fresh,
                    rd: RedisServer) -> LoadRun:
    """One setup of part 1 with fakes of its own and a new database."""
    run = LoadRun(name, size.chats, size.each)
    home = tmp / f"load-{replicas}-{int(shared)}"
    database_url = fresh() if shared else f"sqlite:///{home}/dagi.db"
    rd.command("FLUSHDB")
    services = ServiceCpu.find(database_url if shared else None, await redis_pid(rd.url) if shared else None)
    counters = Counters(database_url, rd.url) if shared else Counters(None, None)
    async with FakeTelegram() as tg, FakeLLM() as llm:
        answers = fakes(tg, llm)
        cluster = Cluster(home, tg, llm, database_url, rd.url if shared else None, n=replicas)
        await cluster.start()
        try:
            return await load(run, tg, llm, answers, cluster, services, counters)
        finally:
            cluster.stop()


async def run_all(size: Size, parts: set[str], pg: PostgresServer, rd: RedisServer) -> Results:
    """Every part asked for, printing as it goes; the numbers for the tables."""
    results, fresh = Results(), Fresh(pg)
    with tempfile.TemporaryDirectory(prefix="dagi-bench-") as temp:
        try:
            await _parts(results, size, parts, Path(temp), fresh, rd)
        finally:
            fresh.drop()
    return results


async def _parts(results: Results, size: Size, parts: set[str], tmp: Path, fresh: Fresh, rd: RedisServer) -> None:
    if "micro" in parts:
        results.micro = await micro(size, tmp, fresh, rd)
        print(f"per-update costs measured ({size.calls} timed calls each)")
    if "load" in parts:
        for name, replicas, shared in SETUPS:
            r = await one_setup(name, replicas, shared, size, tmp, fresh, rd)
            results.loads.append(r)
            print(f"{name}: {len(r.latencies)}/{r.chats * r.each} answered, {r.rate:.0f} messages/s, "
                  f"p50 {r.p(50):.0f} ms, p95 {r.p(95):.0f} ms; {r.missing} missing, {r.doubles} answered twice")
    if "takeover" in parts:
        for lease in size.leases:
            rd.command("FLUSHDB")
            found = await takeovers(tmp / f"takeover-{lease:g}", fresh(), rd.url, lease, size.runs)
            results.takeovers += found
            print(f"PENDING_LEASE={lease:g}: kill → answer " + ", ".join(f"{t.to_answer:.2f}" for t in found) + " s")


def load_table(loads: list[LoadRun]) -> None:
    if not loads:
        return
    r0 = loads[0]
    print(f"\nLoad: closed loop, {r0.chats} chats × {r0.each} messages (each sent when the previous one is answered), "
          f"answers of {WORDS} tokens at {TOKEN_DELAY * 1000:.0f} ms; {os.cpu_count()} cores shared by the replicas, "
          "Postgres, Redis and this process (the fakes and the driver)\n")
    print("| setup | messages/s | POST → answer p50 / p95 | of which POST → model called, model, model done → sent "
          "(p50) | bot CPU per message | Postgres + Redis CPU per message | Postgres transactions, Redis commands "
          "per message | fakes + driver, % of a core | answered (missing, twice) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in loads:
        n = max(1, len(r.latencies))
        split = " / ".join(f"{pct(v, 50) * 1000:.0f}" for v in (r.to_model, r.model, r.after_model))
        counts = ", ".join("—" if c is None else f"{c / n:.1f}" for c in (r.transactions, r.redis_commands))
        print(f"| {r.name} | {r.rate:.0f} | {r.p(50):.0f} / {r.p(95):.0f} ms | {split} ms | "
              f"{r.bot_cpu / n * 1000:.1f} ms | {r.services_cpu / n * 1000:.1f} ms | {counts} | "
              f"{r.driver_cpu / r.wall * 100:.0f} % | {len(r.latencies)}/{r.chats * r.each} "
              f"({r.missing}, {r.doubles}) |")


def micro_table(micro: dict[str, dict[str, Timing]]) -> None:
    if not micro:
        return
    sq, pg, rd = micro["sqlite"], micro["postgres"], micro["redis"]
    print(f"\nPer-update costs: median (p95) µs over {sq['claim'].n} calls each, in one process, Postgres work on "
          f"its DB thread; tables hold {CHATS} chats × {PRIOR} answered messages and their claims; the busy chat "
          f"{BUSY_PRIOR} messages of the last day\n")
    print("| operation (per update) | SQLite | Postgres | Redis |\n|---|---|---|---|")
    rows = [("duplicate guard: claim + finish (the update's first delivery)", sq["claim"], pg["claim"], None),
            ("duplicate guard: a repeat, refused by the database", sq["repeat"], pg["repeat"], None),
            ("Redis in front (Fronted + RedisSeen): first delivery, claim + finish", None, rd["fronted"], None),
            ("Redis in front: a repeat, refused by Redis alone", None, None, rd["fronted_repeat"]),
            ("turn order: waits_for_older(tg_message_id), quiet chat", sq["order"], pg["order"], None),
            (f"turn order: the same, a chat with {BUSY_PRIOR} claims kept", sq["order_busy"], pg["order_busy"], None),
            ("flood check (Lua script, user window)", None, None, rd["flood"]),
            ("a bare Redis round trip (PING), for scale", None, None, rd["ping"])]
    for label, *cells in rows:
        print(f"| {label} | " + " | ".join(c.cell() if c else "—" for c in cells) + " |")


def takeover_table(found: list[Takeover]) -> None:
    if not found:
        return
    print("\nTakeover: two replicas, a message's model call hangs on one, which is killed (SIGKILL)\n")
    print("| PENDING_LEASE | kill → survivor's model call | kill → answer sent | last renewal → answer | "
          "expected (last renewal → takeover) |\n|---|---|---|---|---|")
    for lease in sorted({t.lease for t in found}):
        mine = [t for t in found if t.lease == lease]
        cells = [", ".join(f"{getattr(t, k):.2f}" for t in mine) for k in ("to_model", "to_answer", "after_renewal")]
        print(f"| {lease:g} s | {cells[0]} s | {cells[1]} s | {cells[2]} s | {lease:g}–{lease * 4 / 3:.2f} s |")


def main() -> None:
    a = args()
    size = QUICK if a.quick else Size()
    if a.runs:
        size = replace(size, runs=a.runs)
    pg, rd = PostgresServer.start(), RedisServer.start()
    try:
        results = asyncio.run(run_all(size, set(a.parts.split(",")), pg, rd))
    finally:
        rd.stop()
        pg.stop()
    micro_table(results.micro)
    load_table(results.loads)
    takeover_table(results.takeovers)


if __name__ == "__main__":
    main()
