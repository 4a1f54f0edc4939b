"""The admin side's own cost: the access check every message passes, claiming a scheduled run, how late
stored jobs fire, and invite codes.

Run: .venv/bin/python bench/ops.py   (prints numbers; asserts nothing; about half a minute)
"""
from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ops.access import AccessControl
from ops.scheduler import Scheduler
from storage.claims import JobClaims
from storage.people import PeopleStore
from storage.store import open_store

FIRED: list[tuple[float, float]] = []  # (scheduled, fired) as UNIX times


async def fire(ops: object, due: float) -> None:
    """A job: note how late it ran."""
    FIRED.append((due, time.time()))


def us(samples: list[float]) -> str:
    return f"p50 {statistics.median(samples) * 1e6:.1f} µs, p95 {statistics.quantiles(samples, n=20)[18] * 1e6:.1f} µs"


async def access_check(tmp: Path) -> None:
    store = await open_store(f"sqlite:///{tmp}/a.db")
    people = PeopleStore(store.db)
    for mode in ("open", "invite"):
        access = AccessControl(people, owners=[1], mode=mode)
        for uid in range(1000):
            await access.check(uid, uid, private=True)  # fill the cache, as a running bot has
        samples = []
        for i in range(20_000):
            t0 = time.perf_counter()
            await access.check(i % 1000, i % 1000, private=True)
            samples.append(time.perf_counter() - t0)
        print(f"access check per message ({mode} mode, role cached): {us(samples)}")
        cold = []
        for uid in range(5000, 5500):
            t0 = time.perf_counter()
            await access.check(uid, uid, private=True)
            cold.append(time.perf_counter() - t0)
        print(f"access check, role read from the database (first message, or once per 30 s): {us(cold)}")
    claims = JobClaims(store.db, "bench")
    now = datetime.now(UTC)
    samples = []
    for i in range(2000):
        t0 = time.perf_counter()
        await claims.claim("job", now + timedelta(seconds=i))
        samples.append(time.perf_counter() - t0)
    lost = []
    for i in range(2000):
        t0 = time.perf_counter()
        await claims.claim("job", now + timedelta(seconds=i))
        lost.append(time.perf_counter() - t0)
    print(f"claiming a scheduled run (SQLite): won {us(samples)}; lost (another replica had it) {us(lost)}")
    access = AccessControl(people, owners=[1], mode="invite")
    codes = [await access.new_invite(1) for _ in range(500)]
    samples = []
    for i, code in enumerate(codes):
        t0 = time.perf_counter()
        await access.redeem(10_000 + i, code)
        samples.append(time.perf_counter() - t0)
    print(f"redeeming an invite code: {us(samples)}")
    await store.close()


async def lateness(tmp: Path, n: int = 300) -> None:
    store = await open_store(f"sqlite:///{tmp}/j.db")
    scheduler = Scheduler(store.db.engine, JobClaims(store.db, "bench"), None)
    scheduler.start()
    t0 = time.perf_counter()
    start = time.time() + 2.0
    for i in range(n):
        due = start + (i % 30) * 0.1
        scheduler.add(fire, "date", job_id=f"r{i}", args=(due,), run_date=datetime.fromtimestamp(due, UTC))
    added = time.perf_counter() - t0
    while len(FIRED) < n and time.time() < start + 15:
        await asyncio.sleep(0.05)
    scheduler.stop()
    late = sorted(f - d for d, f in FIRED)
    print(f"{n} reminder jobs stored: {added / n * 1000:.2f} ms each; fired {len(FIRED)}/{n}, "
          f"late by p50 {statistics.median(late) * 1000:.0f} ms, max {late[-1] * 1000:.0f} ms")
    await store.close()


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        await access_check(Path(tmp))
        await lateness(Path(tmp))


if __name__ == "__main__":
    asyncio.run(main())
