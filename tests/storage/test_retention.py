"""Retention, /forget and the day's close delete what they say and keep what they say (frozen clock)."""
from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, insert, select

from ops.forget import forget_user, holdings
from ops.report import close_day
from ops.retention import retention
from storage.models import Message, QuotaOverride, Reminder, Usage, UsageDaily, User
from storage.records import Answer, Inbound, Scope, UsageRow
from tests.ops.test_stats import NOW, add_message, call, make_ops

ME, OTHER, GROUP = 7, 8, -500
TODAY = "2026-11-30"


async def rows(ops, stmt) -> list:
    return await ops.store.db.run(lambda c: c.execute(stmt).all())


async def add_reminder(ops, *, user_id: int, status: str, created: datetime, sent: datetime | None = None) -> int:
    values = dict(bot="main", chat_id=user_id, thread_id=0, user_id=user_id, text="полити квіти", due_at=created,
                  tz="Europe/Kyiv", status=status, created_at=created, sent_at=sent)
    return await ops.store.db.run(lambda c: c.execute(insert(Reminder).returning(Reminder.id), values).scalar())


async def test_retention_deletes_old_history_keeps_recent_and_pending(database_url):
    ops = await make_ops(database_url, history_days=30)
    old, recent = NOW - timedelta(days=31), NOW - timedelta(days=29)
    q = await add_message(ops.store, old, user_id=ME, chat_id=ME, text="старе питання")
    await add_message(ops.store, old, user_id=None, chat_id=ME, role="assistant", reply_to=q, text="стара відповідь")
    stuck = await add_message(ops.store, old, user_id=ME, chat_id=ME, status="pending", text="чекає відповіді")
    await add_message(ops.store, old, user_id=ME, chat_id=ME, status="failed", text="не вдалося")
    kept = await add_message(ops.store, recent, user_id=ME, chat_id=ME, text="свіже питання")
    scope = Scope("main", ME)
    assert [t.text for t in await ops.store.history(scope, 1)] == ["старе питання", "стара відповідь", "свіже питання"]
    old_sent = await add_reminder(ops, user_id=ME, status="sent", created=NOW - timedelta(days=40),
                                  sent=NOW - timedelta(days=35))
    old_pending = await add_reminder(ops, user_id=ME, status="pending", created=NOW - timedelta(days=40))
    late_sent = await add_reminder(ops, user_id=ME, status="sent", created=NOW - timedelta(days=40),
                                   sent=NOW - timedelta(days=2))  # set long ago, fired recently: kept a while
    await ops.ledger.record(call("ollama", "qwen3:8b", day="2026-10-01", user_id=ME))

    pruned = await retention(ops)

    assert (pruned.messages, pruned.reminders) == (3, 1)
    assert {r.id for r in await rows(ops, select(Message.id))} == {stuck, kept}
    assert [t.text for t in await ops.store.history(scope, 1)] == ["свіже питання"], "the cache forgot them too"
    assert {r.id for r in await rows(ops, select(Reminder.id))} == {old_pending, late_sent}
    assert old_sent not in {r.id for r in await rows(ops, select(Reminder.id))}
    assert len(await rows(ops, select(Usage.id))) == 1, "usage rows hold no text and stay"
    await ops.store.close()


async def test_history_days_zero_keeps_every_message(database_url):
    ops = await make_ops(database_url, history_days=0)
    await add_message(ops.store, NOW - timedelta(days=3000), user_id=ME, chat_id=ME)
    assert (await retention(ops)).messages == 0
    assert len(await rows(ops, select(Message.id))) == 1
    await ops.store.close()


class FakeScheduler:
    """Records which jobs were removed."""

    def __init__(self) -> None:
        self.removed: list[str] = []

    def remove(self, job_id: str) -> bool:
        self.removed.append(job_id)
        return True


async def _seed_user(ops) -> dict[str, int]:
    """ME talks privately to two bots and in a group beside OTHER; OTHER has a private chat too."""
    at = NOW - timedelta(hours=1)
    ids = {}
    ids["mine_group"] = await add_message(ops.store, at, user_id=ME, chat_id=GROUP)
    ids["answer_to_me"] = await add_message(ops.store, at, user_id=None, chat_id=GROUP, role="assistant",
                                            reply_to=ids["mine_group"])
    ids["other_group"] = await add_message(ops.store, at, user_id=OTHER, chat_id=GROUP)
    ids["answer_to_other"] = await add_message(ops.store, at, user_id=None, chat_id=GROUP, role="assistant",
                                               reply_to=ids["other_group"])
    ids["private_main"] = await add_message(ops.store, at, user_id=ME, chat_id=ME)
    ids["private_helion"] = await add_message(ops.store, at, user_id=None, chat_id=ME, bot="helion", role="assistant")
    ids["other_private"] = await add_message(ops.store, at, user_id=OTHER, chat_id=OTHER)
    for uid in (ME, OTHER):
        await ops.ledger.record(call("ollama", "qwen3:8b", user_id=uid, tin=10))
        await ops.ledger.record(call("ollama", "qwen3:8b", user_id=uid, tin=10, day="2026-11-20"))
    await ops.ledger.record(UsageRow(at=NOW, day=TODAY, provider="groq", model="llama", outcome="ok", user_id=ME,
                                     chat_id=GROUP, tokens_in=3))
    await ops.store.save_user(ME, "olena", "Olena", "uk")
    await ops.store.save_user(OTHER, "petro", "Petro", "uk")
    await ops.ledger.set_override("user", ME, tokens=5, requests=5)
    ids["reminder"] = await add_reminder(ops, user_id=ME, status="pending", created=at)
    return ids


async def test_forget_deletes_everything_of_the_user_and_nothing_of_others(database_url):
    ops = await make_ops(database_url)
    ops.scheduler = FakeScheduler()
    ids = await _seed_user(ops)
    scope = Scope("main", ME)
    inbound = Inbound(scope=scope, user_id=ME, text="кешоване", agent="helion", conversation=1)
    await ops.store.history(scope, 1)  # cached now
    await ops.store.record_answer(inbound, ids["private_main"], Answer("так", "helion", "ollama", "qwen3:8b", 1, 1))

    before = await holdings(ops, ME)
    assert (before.messages, before.documents, before.reminders, before.usage_rows) == (5, 0, 1, 3)
    done = await forget_user(ops, ME)

    assert (done.messages, done.reminders, done.usage_rows, done.profile_kept) == (5, 1, 3, False)
    left = {r.id for r in await rows(ops, select(Message.id))}
    assert left == {ids["other_group"], ids["answer_to_other"], ids["other_private"]}
    assert await ops.store.history(scope, 1) == [], "no cached turn of theirs comes back"
    assert ops.scheduler.removed == [f"reminder:{ids['reminder']}"]
    assert await rows(ops, select(Reminder.id)) == []
    usage = await rows(ops, select(Usage.user_id, Usage.chat_id, Usage.day).order_by(Usage.id))
    assert ME not in {u.user_id for u in usage} | {u.chat_id for u in usage}
    assert sorted((u.user_id, u.chat_id) for u in usage) == [(0, GROUP), (0, 0), (0, 0), (OTHER, OTHER), (OTHER, OTHER)]
    daily = await rows(ops, select(UsageDaily.kind, UsageDaily.day).where(UsageDaily.subject == str(ME)))
    assert sorted(daily) == [("chat", TODAY), ("user", TODAY)], "today's sums stay: the quota is not reset"
    assert (await ops.ledger.totals("user", ME, TODAY)).requests == 2  # the private and the group call
    assert await rows(ops, select(User.id)) == [(OTHER,)]
    assert await rows(ops, select(QuotaOverride.id)) == []
    assert (await holdings(ops, ME)).messages == 0
    await ops.store.close()


async def test_forget_keeps_only_the_id_and_role_of_an_admin(database_url):
    ops = await make_ops(database_url)
    await _seed_user(ops)
    await ops.people.set_role(ME, "admin")
    done = await forget_user(ops, ME)
    assert done.profile_kept
    [me] = await rows(ops, select(User).where(User.id == ME))
    assert (me.role, me.username, me.first_name, me.language) == ("admin", None, None, None)
    assert len(await rows(ops, select(QuotaOverride.id))) == 1, "an admin's quota override stays with the role"
    await ops.store.close()


async def test_close_day_logs_the_day_and_prunes_old_daily_sums(database_url, caplog):
    ops = await make_ops(database_url, now=datetime(2026, 11, 29, 22, 0, 5, tzinfo=UTC))  # 00:00:05 in Kyiv
    for day in ("2026-10-10", "2026-10-21", "2026-11-29"):
        await ops.ledger.record(call("ollama", "qwen3:8b", day=day, tin=4))
    limit_before = await ops.ledger.provider_tokens("ollama", "2026-11-29")
    with caplog.at_level(logging.INFO, logger="ops.report"):
        await close_day(ops)
    assert "day 2026-11-29 closed" in caplog.text and "1 model answers" in caplog.text
    days = {r.day for r in await rows(ops, select(UsageDaily.day))}
    assert days == {"2026-10-21", "2026-11-29"}, "sums older than 40 days go; the ones quotas may read stay"
    assert await ops.ledger.provider_tokens("ollama", "2026-11-29") == limit_before
    assert (await rows(ops, select(func.count()).select_from(Usage)))[0][0] == 3, "usage rows are the truth and stay"
    await ops.store.close()
