"""The daily voice quota: seconds heard per user and per group, in the quota time zone; durations in words."""
from __future__ import annotations

from datetime import UTC, datetime

from i18n import translator
from ops.voice_use import VoiceLimits, VoiceUse, span
from storage.db import Database, migrate, open_engine
from storage.records import UsageRow
from storage.usage import UsageLedger

NOW = datetime(2026, 11, 30, 21, 30, tzinfo=UTC)  # 23:30 in Kyiv: the quota day is 2026-11-30
DAY = "2026-11-30"
ME, FRIEND, GROUP = 7, 8, -500


async def _use(url: str, **limits: int) -> VoiceUse:
    db = Database(open_engine(url))
    await db.call(migrate, db.engine)
    return VoiceUse(UsageLedger(db), VoiceLimits(**limits), tz="Europe/Kyiv", now=lambda: NOW)


async def _heard(use: VoiceUse, seconds: float, *, user_id: int = ME, chat_id: int = ME, day: str = DAY) -> None:
    assert isinstance(use.ledger, UsageLedger)
    await use.ledger.record(UsageRow(at=NOW, day=day, provider="whisper", model="base", outcome="ok", mode="stt",
                                     user_id=user_id, chat_id=chat_id, audio_seconds=seconds))


async def test_a_user_is_refused_only_when_this_message_would_go_over_the_day(database_url: str) -> None:
    use = await _use(database_url, user=60, group=0)
    await _heard(use, 50.0)
    await _heard(use, 40.0, day="2026-11-29")  # yesterday (in Kyiv) no longer counts
    assert await use.check(ME, ME, "private", 10.0) is None  # exactly up to the limit: still fits
    over = await use.check(ME, ME, "private", 10.5)
    assert over is not None and (over.scope, over.used, over.limit) == ("user", 50.0, 60)
    assert over.resets_at.isoformat() == "2026-12-01T00:00:00+02:00"
    assert await use.check(FRIEND, FRIEND, "private", 59.0) is None  # someone else's day is their own
    await _heard(use, 10.0)
    assert (await use.check(ME, ME, "private", 0.0)) is not None  # a used-up day refuses even a clip of unknown length
    assert await use.used("user", ME) == (60.0, 60)


async def test_the_group_limit_counts_everyone_in_the_group_and_only_in_groups(database_url: str) -> None:
    use = await _use(database_url, user=600, group=100)
    await _heard(use, 90.0, user_id=FRIEND, chat_id=GROUP)
    over = await use.check(ME, GROUP, "supergroup", 15.0)  # this user has heard nothing today; the group has
    assert over is not None and (over.scope, over.used, over.limit) == ("chat", 90.0, 100)
    assert await use.check(ME, GROUP, "group", 10.0) is None
    assert await use.check(ME, ME, "private", 500.0) is None  # in private only the user's own limit applies
    assert await use.used("chat", GROUP) == (90.0, 100)


async def test_no_limit_refuses_nothing(database_url: str) -> None:
    use = await _use(database_url, user=0, group=0)
    await _heard(use, 99_999.0, chat_id=GROUP)
    assert await use.check(ME, GROUP, "supergroup", 3600.0) is None
    assert await use.used("user", ME) == (99_999.0, 0)


def test_durations_are_worded_with_real_plurals() -> None:
    uk, en = translator("uk"), translator("en")
    assert span(uk, 125) == "2 хвилини 5 секунд"
    assert span(uk, 1800) == "30 хвилин"
    assert span(uk, 3661) == "1 година 1 хвилина 1 секунда"
    assert span(uk, 7200 + 22 * 60 + 21) == "2 години 22 хвилини 21 секунда"
    assert span(uk, 0.4) == "0 секунд"
    assert span(uk, 4.6) == "5 секунд"
    assert span(en, 3600) == "1 hour"
    assert span(en, 61) == "1 minute 1 second"
    assert span(en, 0) == "0 seconds"
