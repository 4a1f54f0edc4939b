"""Scheduled jobs: stored in the database, claimed once across replicas, a missed run done once after downtime."""
from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from ops.scheduler import Scheduler
from storage.claims import JobClaims
from storage.db import Database, migrate, open_engine
from storage.models import JobRun

RUNS: list[tuple[str, str]] = []  # (which scheduler's context, label), appended by the jobs below


async def record(context: str, label: str) -> None:
    """A job: note who ran it."""
    RUNS.append((context, label))


async def explode(context: str) -> None:
    """A job that fails."""
    raise RuntimeError("boom")


async def _db(url: str) -> Database:
    db = Database(open_engine(url))
    await db.call(migrate, db.engine)
    return db


def _scheduler(db: Database, name: str) -> Scheduler:
    return Scheduler(db.engine, JobClaims(db, name), name)


async def _wait(predicate, timeout: float = 6.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, f"timed out; runs: {RUNS}"
        await asyncio.sleep(0.05)


async def test_two_schedulers_on_one_database_run_each_job_once(database_url):
    RUNS.clear()
    a_db, b_db = await _db(database_url), await _db(database_url)  # two replicas: two engines on one database
    a, b = _scheduler(a_db, "a"), _scheduler(b_db, "b")
    soon = datetime.now(UTC) + timedelta(seconds=1)
    a.add(record, "date", job_id="once", args=("once",), run_date=soon)
    b.add(record, "interval", job_id="tick", args=("tick",), seconds=1,
          start_date=datetime.now(UTC) + timedelta(seconds=0.5))
    a.start(), b.start()
    try:
        await _wait(lambda: sum(1 for _, label in RUNS if label == "tick") >= 3)
        await asyncio.sleep(0.6)
    finally:
        a.stop(), b.stop()
    onces = [who for who, label in RUNS if label == "once"]
    assert len(onces) == 1, RUNS
    ticks = [label for _, label in RUNS if label == "tick"]
    claims = await a_db.run(lambda c: c.execute(select(JobRun.job_id, JobRun.run_at)).all())
    assert len(ticks) == sum(1 for job, _ in claims if job == "tick"), "each run of the interval job exactly once"
    assert len({(job, at) for job, at in claims}) == len(claims)
    await a_db.close(), await b_db.close()


async def test_a_run_missed_during_downtime_happens_once_at_start(database_url):
    RUNS.clear()
    db = await _db(database_url)
    first = _scheduler(db, "first")
    first.start()
    first.add(record, "interval", job_id="every", args=("every",), seconds=2,
              start_date=datetime.now(UTC) + timedelta(seconds=0.3))
    first.add(record, "date", job_id="due", args=("due",), run_date=datetime.now(UTC) + timedelta(seconds=0.5))
    first.stop()  # the bot goes down before either runs, and stays down for several intervals
    await asyncio.sleep(4.5)  # runs due at +0.3 s, +2.3 s and +4.3 s were missed
    assert RUNS == []
    second = _scheduler(db, "second")
    second.start()
    try:
        await _wait(lambda: {label for _, label in RUNS} == {"every", "due"})
        await asyncio.sleep(0.3)
        assert sorted(label for _, label in RUNS) == ["due", "every"], "the missed ticks coalesced into one"
        assert second.get("due") is None and second.get("every") is not None
    finally:
        second.stop()
    await db.close()


async def test_a_failing_job_does_not_stop_the_others(database_url):
    RUNS.clear()
    db = await _db(database_url)
    s = _scheduler(db, "s")
    s.start()
    now = datetime.now(UTC)
    s.add(explode, "date", job_id="bad", run_date=now + timedelta(seconds=0.2))
    s.add(record, "date", job_id="good", args=("good",), run_date=now + timedelta(seconds=0.4))
    try:
        await _wait(lambda: RUNS == [("s", "good")])
    finally:
        s.stop()
    await db.close()


def test_only_module_level_functions_can_be_stored(tmp_path):
    async def local(ctx: object) -> None: ...

    db = Database(open_engine(f"sqlite:///{tmp_path}/x.db"))
    s = Scheduler(db.engine, JobClaims(db, "x"), None)
    try:
        s.add(local, "date", job_id="x")
    except ValueError as exc:
        assert "module-level" in str(exc)
    else:
        raise AssertionError("a local function was accepted")


async def test_a_scheduler_stopped_before_it_started_stays_stopped_and_a_started_one_restarts(database_url):
    db = await _db(database_url)
    s = _scheduler(db, "x")
    assert not s.running
    s.stop()  # the bot stopped before polling began, where its scheduler would have started
    s.start()
    assert not s.running
    again = _scheduler(db, "y")
    again.start()
    again.stop()
    again.start()  # stopped after it ran: it starts again, as APScheduler does
    try:
        assert again.running
    finally:
        again.stop()
    await db.close()
