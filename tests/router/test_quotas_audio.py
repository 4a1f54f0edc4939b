"""Speech calls leave usage rows with their seconds: heard for mode "stt", spoken for mode "tts"."""
from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from router.quotas import UsageGuard
from router.types import Audio, SpeechRequest, Target, TranscribeRequest, Usage
from storage.models import Usage as UsageModel

NOW = datetime(2026, 11, 24, 21, 30, tzinfo=UTC)  # 23:30 in Kyiv: the quota day is the 24th


async def test_the_seconds_of_speech_reach_the_usage_row_and_the_days_sums(ledger) -> None:
    guard = UsageGuard(ledger, tz="Europe/Kyiv", now=lambda: NOW)
    heard = TranscribeRequest(Audio(b"OggS", seconds=6.2), agent="helion", user_id=7, chat_id=-5, bot="main",
                              chat="supergroup")
    spoken = SpeechRequest("Сонячно.", agent="helion", user_id=7, chat_id=-5, bot="main", chat="supergroup")
    whisper, piper = Target("whisper", "base"), Target("piper", "joe")
    for request, target, seconds in ((heard, whisper, 6.2), (spoken, piper, 1.5)):
        guard.started(target)
        await guard.finished(request, target, outcome="ok", usage=Usage(audio_seconds=seconds),
                             latency_ms=800.0)
    guard.started(whisper)
    await guard.finished(heard, whisper, outcome="error", usage=None, latency_ms=3.0, error="corrupt")

    rows = await ledger.db.run(lambda c: c.execute(
        select(UsageModel.mode, UsageModel.provider, UsageModel.audio_seconds, UsageModel.day, UsageModel.chat_id)
        .order_by(UsageModel.id)).all())
    assert [tuple(r) for r in rows] == [("stt", "whisper", 6.2, "2026-11-24", -5),
                                        ("tts", "piper", 1.5, "2026-11-24", -5),
                                        ("stt", "whisper", 0.0, "2026-11-24", -5)]
    assert await ledger.audio_seconds("user", 7, guard.day()) == 6.2
    assert await ledger.audio_totals(guard.day()) == (6.2, 1.5)
