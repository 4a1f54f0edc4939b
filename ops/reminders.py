"""Reminders: create, list, delete, the job that fires one, and re-creating jobs a wiped job table lost.

A reminder is a row (the truth) plus an APScheduler date job `reminder:<id>` (the alarm clock). The job
may run twice (a re-created job, two replicas): the row is switched from pending to sending in one UPDATE
before anything is sent, so only one run ever sends it. A run that dies while sending (a replica killed, a
crash) leaves the row `sending`; after the lease (PENDING_LEASE) the sweep makes it pending and fires it again.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from i18n import translator
from ops.reminder_time import When, parse, zone_or
from ops.services import Ops
from storage.reminders import ReminderRow, ReminderStore

log = logging.getLogger(__name__)
MAX_TEXT = 1000
MAX_PENDING = 50
LATE = timedelta(seconds=60)  # later than this, the bot was down: the reminder says so
JOBS_TOPIC = "jobs"  # on the replica bus (ops.shared_state): a job was added, schedulers wake up to see it
SWEEP_EVERY = 60  # seconds at most: jobs for reminders stored on a replica without a scheduler are made this soon
SWEEP_WINDOW = timedelta(minutes=10)
TOO_LONG, TOO_MANY = "long", "limit"  # error keys besides the parser's


@dataclass(frozen=True, slots=True)
class Created:
    """A stored reminder: its id, when it is due, the zone it was read in, and whether a job was made."""

    id: int
    when: When
    tz: str
    scheduled: bool


def store(ops: Ops) -> ReminderStore:
    """The reminder rows of this deployment (one store per Ops)."""
    if ops.reminder_store is None:
        ops.reminder_store = ReminderStore(ops.store.db)
    return ops.reminder_store


async def user_zone(ops: Ops, user_id: int) -> str:
    """The user's zone name, or the deployment's default."""
    person = await ops.people.get(user_id)
    return zone_or(person.tz if person else None, ops.settings.timezone).key


async def create(ops: Ops, *, bot: str, chat_id: int, thread_id: int, user_id: int, args: str,
                 language: str) -> Created | str:
    """Parse `WHEN TEXT`, store the reminder and schedule it; an error key when the input is wrong."""
    tz = await user_zone(ops, user_id)
    when = parse(args, ops.now(), zone_or(tz, ops.settings.timezone))
    if isinstance(when, str):
        return when
    if len(when.text) > MAX_TEXT:
        return TOO_LONG
    rid = await store(ops).add(bot=bot, chat_id=chat_id, thread_id=thread_id, user_id=user_id, text=when.text,
                               due_at=when.due, tz=tz, language=language, limit=MAX_PENDING, now=ops.now())
    if rid is None:
        return TOO_MANY
    scheduled = _schedule(ops, rid, when.due)
    if scheduled and ops.publisher is not None:  # the other replicas' schedulers look at the job table now
        await ops.publisher.publish(JOBS_TOPIC, {})
    return Created(rid, when, tz, scheduled)


def _schedule(ops: Ops, rid: int, due: datetime) -> bool:
    """Make the reminder's job; False without a scheduler here (a scheduling replica's sweep makes it)."""
    if ops.scheduler is None:
        return False
    try:
        ops.scheduler.add(fire_reminder, "date", job_id=f"reminder:{rid}", args=(rid,), run_date=due)
    except Exception:
        log.exception("could not schedule reminder %s", rid)
        return False
    return True


async def pending(ops: Ops, user_id: int, chat_id: int | None) -> list[ReminderRow]:
    """A user's pending reminders in one chat (None: everywhere), soonest first."""
    return await store(ops).pending(user_id, chat_id)


async def delete(ops: Ops, reminder_id: int, user_id: int) -> str:
    """"deleted", "not_yours" (someone else's) or "gone" (already sent, deleted or never existed)."""
    row = await store(ops).get(reminder_id)
    if row is None or row.status != "pending":
        return "gone"
    if row.user_id != user_id:
        log.warning("user %s tried to delete reminder %s of user %s", user_id, reminder_id, row.user_id)
        return "not_yours"
    if not await store(ops).delete(reminder_id, user_id):
        return "gone"
    if ops.scheduler is not None:  # without one here the job still fires, finds the row deleted and sends nothing
        ops.scheduler.remove(f"reminder:{reminder_id}")
    return "deleted"


def when_text(lang: str, due: datetime, zone_name: str, now: datetime) -> str:
    """"сьогодні о 18:30", "завтра о 09:00", "31.12 о 18:30", "05.01.2027 о 10:00" on the zone's clock."""
    zone = zone_or(zone_name, "UTC")
    local, today = due.astimezone(zone), now.astimezone(zone).date()
    clock = local.strftime("%H:%M")
    days = (local.date() - today).days
    if days in (0, 1, -1):
        return translator(lang)(("rem_at_yesterday", "rem_at_today", "rem_at_tomorrow")[days + 1], time=clock)
    day = local.strftime("%d.%m" if local.year == today.year else "%d.%m.%Y")
    return translator(lang)("rem_at_date", date=day, time=clock)


async def fire_reminder(ops: Ops, reminder_id: int) -> None:
    """The job: send the reminder where it was set, once; late ones say they are late."""
    if ops.notifier is None:  # not wired yet: it stays pending, reconcile re-creates the job
        log.error("reminder %s cannot be sent: no notifier in ops", reminder_id)
        return
    now = ops.now()
    row = await store(ops).claim(reminder_id, now)
    if row is None:
        log.info("reminder %s is no longer pending; nothing to send", reminder_id)
        return
    tr = translator(row.language)  # the owner's Telegram language code, stored with the reminder
    text = tr("rem_fire", text=row.text)
    if now - row.due_at > LATE:
        text += "\n" + tr("rem_late", when=when_text(row.language, row.due_at, row.tz, now))
    # Renewed while the send lasts (Telegram's 429s may hold it for minutes): only a run that died is taken back.
    renewing = asyncio.create_task(_renew(ops, reminder_id))
    try:
        sent = await ops.notifier.send(row.bot, row.chat_id, text, thread_id=row.thread_id)
    except Exception:
        log.exception("reminder %s could not be sent", reminder_id)
        sent = None
    finally:
        renewing.cancel()
    if sent is None or sent.status != "delivered":
        await store(ops).set_status(reminder_id, "failed")
        log.warning("reminder %s not delivered: %s", reminder_id, sent.error if sent else "error")
    else:
        await store(ops).set_status(reminder_id, "sent")


async def _renew(ops: Ops, reminder_id: int) -> None:
    """Until cancelled: keep a reminder being sent this run's, every third of the lease."""
    while True:
        await asyncio.sleep(ops.settings.pending_lease / 3)
        try:
            await store(ops).renew(reminder_id, ops.now())
        except Exception:  # the next renewal tries again; a lapse only risks a second send
            log.warning("could not renew reminder %s", reminder_id, exc_info=True)


async def reconcile(ops: Ops, *, since: timedelta | None = None) -> int:
    """Re-create the jobs of pending reminders that have none (a wiped job table, a replica without a
    scheduler); returns how many were made. Overdue ones run at once, with the late note."""
    if ops.scheduler is None:
        return 0
    now = ops.now()
    rows = await store(ops).all_pending(created_after=now - since if since else None)
    made = 0
    for row in rows:
        if ops.scheduler.get(f"reminder:{row.id}") is None:
            # An overdue one runs now: a fresh run time, so a claim left by a run that died cannot block it.
            made += _schedule(ops, row.id, max(row.due_at, now))
    if made:
        log.info("re-created %d reminder job(s)", made)
    return made


async def take_back(ops: Ops) -> int:
    """Fire again, now, the reminders whose sending run died more than a lease ago; returns how many."""
    if ops.scheduler is None:
        return 0
    now = ops.now()
    ids = await store(ops).take_back(now - timedelta(seconds=ops.settings.pending_lease))
    for rid in ids:
        log.warning("reminder %s was being sent by a run that died; sending it again", rid)
        _schedule(ops, rid, now)
    return len(ids)


async def sweep(ops: Ops) -> None:
    """The periodic job: reminders whose sender died, and jobs for reminders stored lately on a replica without
    a scheduler."""
    await take_back(ops)
    await reconcile(ops, since=SWEEP_WINDOW)


async def start(ops: Ops) -> None:
    """At start on a scheduling replica: re-create missing jobs, and sweep every minute or a third of the lease."""
    if ops.scheduler is None:
        return
    await reconcile(ops)
    every = min(SWEEP_EVERY, ops.settings.pending_lease / 3)
    ops.scheduler.add(sweep, "interval", job_id="system:reminders", seconds=every)
