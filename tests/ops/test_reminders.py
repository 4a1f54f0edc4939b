"""Reminders on the ops side: stored with their job, fired once, late ones noted, owners delete, jobs re-created."""
from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select, text

from ops import reminders
from ops.access import AccessControl
from ops.notify import Sent
from ops.reminders import Created, fire_reminder, reconcile
from ops.scheduler import Scheduler
from ops.services import Ops, OpsSettings
from storage.claims import JobClaims
from storage.models import Reminder
from storage.people import PeopleStore
from storage.store import open_store
from storage.usage import UsageLedger

# Ahead of the real clock, so the running scheduler never reaches a job these tests make (they fire by hand).
NOW = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(days=30)
CHAT, USER, OTHER = -500, 42, 43


class Outbox:
    """A Notifier that records what was sent and answers with a chosen status."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, int, str, int]] = []
        self.status = "delivered"

    @property
    def bots(self) -> list[str]:
        return ["main"]

    async def send(self, bot: str, chat_id: int, text: str, *, thread_id: int = 0) -> Sent:
        self.sent.append((bot, chat_id, text, thread_id))
        return Sent(self.status, 1 if self.status == "delivered" else None)

    async def edit(self, bot: str, chat_id: int, message_id: int, text: str) -> Sent:
        return Sent("delivered", message_id)


@pytest.fixture
async def ops(database_url: str):
    store = await open_store(database_url)
    people = PeopleStore(store.db)
    ops = Ops(OpsSettings(timezone="Europe/Kyiv"), store, UsageLedger(store.db),
              SimpleNamespace(), SimpleNamespace(agents={}), people, AccessControl(people),
              notifier=Outbox())
    ops.now = lambda: NOW
    ops.scheduler = Scheduler(store.db.engine, JobClaims(store.db, "test"), ops)
    ops.scheduler.start()
    yield ops
    ops.scheduler.stop()
    await store.close()


async def remind(ops: Ops, args: str, *, user: int = USER, language: str = "uk", thread: int = 0) -> Created:
    made = await reminders.create(ops, bot="main", chat_id=CHAT, thread_id=thread, user_id=user, args=args,
                                  language=language)
    assert isinstance(made, Created), made
    return made


async def status(ops: Ops, rid: int) -> str:
    return await ops.store.db.run(lambda c: c.execute(select(Reminder.status).where(Reminder.id == rid)).scalar_one())


async def test_a_reminder_is_stored_with_its_job_and_fired_once_where_it_was_set(ops):
    made = await remind(ops, "in 2h call the supplier", thread=7)
    job = ops.scheduler.get(f"reminder:{made.id}")
    assert job is not None and job.next_run_time == NOW + timedelta(hours=2)
    assert made.scheduled and made.tz == "Europe/Kyiv"
    await fire_reminder(ops, made.id)
    await fire_reminder(ops, made.id)  # a duplicate run (re-created job, another replica) sends nothing
    assert ops.notifier.sent == [("main", CHAT, "⏰ Нагадування: call the supplier", 7)]
    assert await status(ops, made.id) == "sent"


async def test_a_late_reminder_says_so_once_and_in_its_owners_language(ops):
    made = await remind(ops, "in 10m call the supplier", language="en")
    due_local = (NOW + timedelta(minutes=10)).astimezone(made.when.local.tzinfo).strftime("%H:%M")
    ops.now = lambda: NOW + timedelta(minutes=10, seconds=61)  # the bot was down past the due time
    await fire_reminder(ops, made.id)
    await fire_reminder(ops, made.id)
    [(_, _, sent, _)] = ops.notifier.sent
    assert sent.startswith("⏰ Reminder: call the supplier\n")
    assert "late" in sent and due_local in sent


async def test_on_time_means_no_late_note(ops):
    made = await remind(ops, "in 10m call the supplier")
    ops.now = lambda: NOW + timedelta(minutes=10, seconds=30)
    await fire_reminder(ops, made.id)
    assert ops.notifier.sent[0][2] == "⏰ Нагадування: call the supplier"


@pytest.mark.parametrize("outcome", ["blocked", "failed"])
async def test_an_undeliverable_reminder_is_marked_failed_and_not_retried(ops, outcome):
    made = await remind(ops, "in 1h call the supplier")
    ops.notifier.status = outcome
    await fire_reminder(ops, made.id)
    await fire_reminder(ops, made.id)
    assert len(ops.notifier.sent) == 1 and await status(ops, made.id) == "failed"


async def test_only_the_owner_deletes_and_a_deleted_reminder_never_fires(ops):
    made = await remind(ops, "in 1h call the supplier")
    assert await reminders.delete(ops, made.id, OTHER) == "not_yours"
    assert await status(ops, made.id) == "pending" and ops.scheduler.get(f"reminder:{made.id}") is not None
    assert await reminders.delete(ops, made.id, USER) == "deleted"
    assert ops.scheduler.get(f"reminder:{made.id}") is None
    assert await reminders.delete(ops, made.id, USER) == "gone"
    await fire_reminder(ops, made.id)  # a job another replica still had
    assert ops.notifier.sent == [] and await status(ops, made.id) == "deleted"


async def test_limits_on_text_and_pending_reminders(ops):
    assert await reminders.create(ops, bot="main", chat_id=CHAT, thread_id=0, user_id=USER,
                                  args="in 1h " + "x" * 1001, language="uk") == reminders.TOO_LONG
    await remind(ops, "in 1h " + "x" * 1000)
    for i in range(reminders.MAX_PENDING - 1):
        await remind(ops, f"in {i + 2}h reminder {i}")
    assert await reminders.create(ops, bot="main", chat_id=CHAT, thread_id=0, user_id=USER, args="in 1h one more",
                                  language="uk") == reminders.TOO_MANY
    await remind(ops, "in 1h someone else's", user=OTHER)  # the limit is per user
    rows = await reminders.pending(ops, USER, None)
    assert len(rows) == reminders.MAX_PENDING and rows == sorted(rows, key=lambda r: r.due_at)


async def test_the_users_zone_reads_the_clock_and_existing_reminders_keep_their_moment(ops):
    before = await remind(ops, "23:00 in Kyiv")
    await ops.people.set_tz(USER, "Europe/Warsaw")
    after = await remind(ops, "23:00 in Warsaw")
    assert after.tz == "Europe/Warsaw" and after.when.due - before.when.due == timedelta(hours=1)
    [first, _] = await reminders.pending(ops, USER, CHAT)
    assert first.due_at == before.when.due and first.tz == "Europe/Kyiv"


async def test_reconcile_recreates_the_jobs_a_wiped_job_table_lost(ops):
    keep = await remind(ops, "in 1h call the supplier")
    sent = await remind(ops, "in 2h already sent")
    gone = await remind(ops, "in 3h deleted")
    await fire_reminder(ops, sent.id)
    await reminders.delete(ops, gone.id, USER)
    await ops.store.db.run(lambda c: c.execute(text("DELETE FROM apscheduler_jobs")))
    assert ops.scheduler.get(f"reminder:{keep.id}") is None
    assert await reconcile(ops) == 1
    job = ops.scheduler.get(f"reminder:{keep.id}")
    assert job is not None and job.next_run_time == keep.when.due
    assert ops.scheduler.get(f"reminder:{sent.id}") is None and ops.scheduler.get(f"reminder:{gone.id}") is None
    assert await reconcile(ops) == 0, "a job that exists is left alone"


async def test_reconcile_runs_an_overdue_reminder_now(ops):
    made = await remind(ops, "in 1m call the supplier")
    ops.scheduler.remove(f"reminder:{made.id}")
    ops.now = lambda: NOW + timedelta(hours=1)
    assert await reconcile(ops) == 1
    assert ops.scheduler.get(f"reminder:{made.id}").next_run_time == NOW + timedelta(hours=1)


async def test_without_a_scheduler_the_reminder_is_saved_and_a_scheduling_replica_picks_it_up(ops):
    scheduler, ops.scheduler = ops.scheduler, None
    made = await remind(ops, "in 1h call the supplier")
    assert not made.scheduled and await status(ops, made.id) == "pending"
    assert await reconcile(ops) == 0
    ops.scheduler = scheduler
    await reminders.sweep(ops)  # the periodic sweep on the scheduling replica
    assert ops.scheduler.get(f"reminder:{made.id}").next_run_time == made.when.due


async def test_a_reminder_whose_sender_died_is_sent_again_after_the_lease_and_only_once(ops):
    made = await remind(ops, "in 1h call the supplier")
    assert await reminders.store(ops).claim(made.id, NOW + timedelta(hours=1)) is not None  # a run that then died
    assert await status(ops, made.id) == "sending"
    ops.now = lambda: NOW + timedelta(hours=1, seconds=30)  # within the lease its sender may still be at it
    await reminders.sweep(ops)
    assert await status(ops, made.id) == "sending" and ops.notifier.sent == []
    ops.now = lambda: NOW + timedelta(hours=1, seconds=61)
    await reminders.sweep(ops)
    job = ops.scheduler.get(f"reminder:{made.id}")
    assert job is not None and job.next_run_time == NOW + timedelta(hours=1, seconds=61)
    await fire_reminder(ops, made.id)
    await reminders.sweep(ops)
    await fire_reminder(ops, made.id)
    [(_, chat, sent, _)] = ops.notifier.sent
    assert chat == CHAT and sent.startswith("⏰ Нагадування: call the supplier\n")  # with the late note
    assert await status(ops, made.id) == "sent"


async def test_the_sweep_runs_within_a_third_of_the_lease(ops):
    ops.settings = OpsSettings(timezone="Europe/Kyiv", pending_lease=3.0)
    await reminders.start(ops)
    job = ops.scheduler.get("system:reminders")
    assert job is not None and job.trigger.interval == timedelta(seconds=1)


async def test_a_send_that_outlasts_the_lease_keeps_its_claim_and_is_sent_once(ops):
    ops.settings = OpsSettings(timezone="Europe/Kyiv", pending_lease=0.3)  # renewed every 0.1 s
    made = await remind(ops, "in 1h call the supplier")
    clock = [NOW + timedelta(hours=1)]
    ops.now = lambda: clock[0]
    telegram_waits = asyncio.Event()  # a 429 asked the sender to wait
    send = ops.notifier.send

    async def slow_send(*args, **kwargs):
        await telegram_waits.wait()
        return await send(*args, **kwargs)

    ops.notifier.send = slow_send
    firing = asyncio.create_task(fire_reminder(ops, made.id))
    while await status(ops, made.id) != "sending":
        await asyncio.sleep(0.01)
    clock[0] += timedelta(seconds=10)  # far past the lease since the claim
    await asyncio.sleep(0.35)  # the sender renewed meanwhile
    await reminders.sweep(ops)
    assert await status(ops, made.id) == "sending", "a live sender's reminder is not taken back"
    telegram_waits.set()
    await firing
    assert len(ops.notifier.sent) == 1 and await status(ops, made.id) == "sent"
