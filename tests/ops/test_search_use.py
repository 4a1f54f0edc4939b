"""Web-search quotas and usage rows: defaults and overrides per user and group, rows from any thread, /forget."""
from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy import select

from ops.search_use import ASKER, Asker, SearchLimits, SearchUse
from storage.db import Database, migrate, open_engine
from storage.models import WebUse
from storage.retention import RetentionStore
from storage.web_usage import WebLine, WebUsage, WebUseRow

NOW = datetime(2026, 11, 30, 21, 30, tzinfo=UTC)  # 23:30 in Kyiv: the quota day is 2026-11-30
ME, GROUP = 7, -500


async def _use(url: str, **limits: int) -> SearchUse:
    db = Database(open_engine(url))
    await db.call(migrate, db.engine)
    return SearchUse(WebUsage(db), SearchLimits(**limits), tz="Europe/Kyiv", now=lambda: NOW)


async def _rows(use: SearchUse) -> list:
    await use.flush()
    return await use.usage.db.run(lambda c: c.execute(select(WebUse).order_by(WebUse.id)).all())


async def test_a_user_and_a_group_each_have_a_daily_quota_with_overrides(database_url: str) -> None:
    use = await _use(database_url, user=2, group=3)
    assert use.day() == "2026-11-30" and use.resets_at().isoformat() == "2026-12-01T00:00:00+02:00"
    me = Asker("main", GROUP, ME, "helion")
    for _ in range(2):
        assert await use.check(ME, GROUP, group=True) is None
        await use.question(me, "command")
    over = await use.check(ME, GROUP, group=True)
    assert over is not None and (over.scope, over.used, over.limit) == ("user", 2, 2)
    assert await use.check(8, GROUP, group=True) is None  # another member: the group has one left
    await use.question(Asker("main", GROUP, 8), "auto")
    over = await use.check(8, GROUP, group=True)
    assert over is not None and (over.scope, over.used, over.limit) == ("chat", 3, 3)

    await use.usage.set_override("user", ME, 0)  # 0 = no limit for this user
    await use.usage.set_override("chat", GROUP, 10)
    assert await use.check(ME, GROUP, group=True) is None and await use.used("user", ME) == (2, 0)
    await use.usage.set_override("chat", GROUP, None)  # back to the default
    assert (await use.check(ME, GROUP, group=True)).scope == "chat"
    assert await use.check(ME, ME, group=False) is None  # a private chat has no group quota
    use.usage.db.engine.dispose()


async def test_rows_come_from_the_loop_or_a_worker_thread_under_the_runs_asker(database_url: str) -> None:
    use = await _use(database_url)
    token = ASKER.set(Asker("main", ME, ME, "daarwizz"))
    try:
        use.on_use("search", "searxng", True, 10.0)
        await asyncio.to_thread(use.on_use, "read", "example.org", True, 20.0)  # CrewAI's tools run in threads
        use.on_use("read", "10.0.0.1", False, 1.0)
    finally:
        ASKER.reset(token)
    await asyncio.sleep(0.05)  # the thread's row is handed to the loop
    rows = await _rows(use)
    assert sorted((r.kind, r.backend, r.ok, r.user_id, r.agent) for r in rows) == [
        ("read", "10.0.0.1", False, ME, "daarwizz"), ("read", "example.org", True, ME, "daarwizz"),
        ("search", "searxng", True, ME, "daarwizz")]
    assert (await use.usage.of_user(ME, "2026-11-30")).reads == 1, "a refused page is no page read"
    assert sorted(await use.usage.of_day("2026-11-30"), key=lambda w: w.backend) == [
        WebLine("read", "10.0.0.1", 0, 1), WebLine("read", "example.org", 1, 0), WebLine("search", "searxng", 1, 0)]
    use.usage.db.engine.dispose()


async def test_forget_anonymises_web_rows_but_keeps_todays_questions_counted(database_url: str) -> None:
    use = await _use(database_url, user=1)
    for day, kind, backend in (("2026-11-29", "question", "command"), ("2026-11-29", "read", "example.org"),
                               ("2026-11-30", "question", "command"), ("2026-11-30", "read", "example.org")):
        await use.usage.record(WebUseRow(at=NOW, day=day, kind=kind, backend=backend, chat_id=ME, user_id=ME))
    store = RetentionStore(use.usage.db)
    assert (await store.holdings(ME)).usage_rows == 4
    erased = await store.erase_user(ME, today="2026-11-30", keep_roles=())
    assert erased.usage_rows == 4
    rows = await _rows(use)
    assert [(r.day, r.kind, r.user_id, r.chat_id) for r in rows] == [
        ("2026-11-29", "question", 0, 0), ("2026-11-29", "read", 0, 0), ("2026-11-30", "question", ME, ME),
        ("2026-11-30", "read", 0, 0)]
    assert (await use.check(ME, ME, group=False)) is not None, "forgetting does not reset today's searches"
    use.usage.db.engine.dispose()
