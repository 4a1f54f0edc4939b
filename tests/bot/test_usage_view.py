"""/usage's voice line and the voice over-quota notice, as the user reads them."""
from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.views.usage import usage_report, voice_quota_notice
from ops.voice_use import VoiceLimits, VoiceOverQuota, VoiceUse
from router.quotas import DailyQuota, UsageGuard
from storage.db import Database, migrate, open_engine
from storage.records import UsageRow
from storage.usage import UsageLedger

NOW = datetime(2026, 11, 30, 21, 30, tzinfo=UTC)  # 23:30 in Kyiv: the quota day is 2026-11-30, it resets in 30 min
ME = 7


@pytest.fixture
async def ledger(tmp_path: Path) -> AsyncIterator[UsageLedger]:
    db = Database(open_engine(f"sqlite:///{tmp_path}/u.db"))
    await db.call(migrate, db.engine)
    yield UsageLedger(db)
    await db.close()


def _row(mode: str, seconds: float = 0.0, **kw: object) -> UsageRow:
    fields: dict[str, object] = dict(at=NOW, day="2026-11-30", provider="ollama", model="m", outcome="ok", mode=mode,
                                     user_id=ME, chat_id=ME, agent="helion", audio_seconds=seconds)
    return UsageRow(**{**fields, **kw})


async def test_usage_shows_the_seconds_heard_today_against_the_limit(ledger: UsageLedger) -> None:
    guard = UsageGuard(ledger, user=DailyQuota(requests=50), tz="Europe/Kyiv", now=lambda: NOW)
    voice = VoiceUse(ledger, VoiceLimits(user=1800), tz="Europe/Kyiv", now=lambda: NOW)
    await ledger.record(_row("stt", 100.0))
    await ledger.record(_row("stt", 25.0, chat_id=-500))  # heard in a group: still this user's
    await ledger.record(_row("tts", 40.0))  # spoken to the user: not heard
    await ledger.record(_row("chat", tokens_in=10, tokens_out=5))
    names = {"helion": "⚡ Helion"}

    uk = await usage_report(guard, ledger, ME, "uk", names, voice=voice)
    assert "🎙 Голосові сьогодні: 2 хвилини 5 секунд (ліміт — 30 хвилин на день)" in uk
    assert "⚡ Helion — 1 запит" in uk  # hearing and speaking are no requests of the chat quota
    en = await usage_report(guard, ledger, ME, "en", names, voice=voice)
    assert "🎙 Voice messages today: 2 minutes 5 seconds (limit: 30 minutes a day)" in en
    assert "🎙" not in await usage_report(guard, ledger, ME, "uk", names)  # a bot without voice says nothing of it

    unlimited = VoiceUse(ledger, VoiceLimits(user=0), tz="Europe/Kyiv", now=lambda: NOW)
    assert "🎙 Голосові сьогодні: 2 хвилини 5 секунд (ліміт — без обмежень)" in await usage_report(
        guard, ledger, ME, "uk", names, voice=unlimited)
    fresh = await usage_report(guard, ledger, 99, "uk", names, voice=voice)
    assert "🎙 Голосові сьогодні: 0 секунд (ліміт — 30 хвилин на день)" in fresh


async def test_the_over_quota_notice_says_how_much_what_limit_and_when_it_resets(ledger: UsageLedger) -> None:
    voice = VoiceUse(ledger, VoiceLimits(user=1800, group=7200), tz="Europe/Kyiv", now=lambda: NOW)
    await ledger.record(_row("stt", 1790.0))
    over = await voice.check(ME, ME, "private", 30.0)
    assert over is not None
    uk = voice_quota_notice(over, "uk", voice)
    assert uk.startswith("🎙 Ваш денний ліміт голосових — 30 хвилин; сьогодні вже 29 хвилин 50 секунд")
    assert "оновиться о 00:00 (Europe/Kyiv), через 30 хвилин" in uk
    en = voice_quota_notice(over, "en", voice)
    assert "Your daily voice limit is 30 minutes; 29 minutes 50 seconds used today" in en
    assert "resets at 00:00 (Europe/Kyiv), in 30 minutes" in en

    group = voice_quota_notice(VoiceOverQuota("chat", 7199.0, 7200, voice.resets_at()), "uk", voice)
    assert "ліміт голосових у цій групі — 2 години; сьогодні вже 1 година 59 хвилин 59 секунд" in group
