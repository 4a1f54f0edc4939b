"""Seconds of speech heard per user and group per day (the voice quota), and durations worded for people."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from i18n import Translator


class AudioLedger(Protocol):
    """Where the seconds come from (storage.usage.UsageLedger: answered "stt" usage rows)."""

    async def audio_seconds(self, kind: str, subject: int, day: str) -> float: ...


@dataclass(frozen=True, slots=True)
class VoiceLimits:
    """Seconds of speech the bot transcribes a day for one user and for one group (0 = no limit)."""

    user: int = 1800
    group: int = 7200


@dataclass(frozen=True, slots=True)
class VoiceOverQuota:
    """A voice message does not fit in what is left of the user's (scope "user") or group's ("chat") day."""

    scope: str
    used: float  # seconds heard today before this message
    limit: int
    resets_at: datetime


class VoiceUse:
    """Checks the daily voice quota in the quota time zone of the model quotas (router.quotas.UsageGuard)."""

    def __init__(self, ledger: AudioLedger, limits: VoiceLimits = VoiceLimits(), *, tz: str = "UTC",
                 now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.ledger, self.limits, self.tz, self.now = ledger, limits, ZoneInfo(tz), now

    def day(self, at: datetime | None = None) -> str:
        """The quota day of `at` (default now)."""
        return (at or self.now()).astimezone(self.tz).date().isoformat()

    def resets_at(self) -> datetime:
        """The next midnight in the quota time zone."""
        local = self.now().astimezone(self.tz)
        return datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), tzinfo=self.tz)

    def limit(self, kind: str) -> int:
        """The daily seconds of a user (kind "user") or a group ("chat"); 0 = no limit."""
        return self.limits.user if kind == "user" else self.limits.group

    async def used(self, kind: str, subject: int) -> tuple[float, int]:
        """(seconds heard today, the daily limit; 0 = none) of a user or a chat."""
        return await self.ledger.audio_seconds(kind, subject, self.day()), self.limit(kind)

    async def check(self, user_id: int, chat_id: int, chat_type: str, seconds: float) -> VoiceOverQuota | None:
        """Why a voice message of `seconds` may not be transcribed now (the user's or the group's day would go over
        its limit), or None. A private chat has no group limit."""
        subjects = [("user", user_id)] + ([("chat", chat_id)] if chat_type != "private" else [])
        for kind, subject in subjects:
            limit = self.limit(kind)
            if not subject or not limit:
                continue  # no limit costs no query
            used = await self.ledger.audio_seconds(kind, subject, self.day())
            if used >= limit or used + seconds > limit:
                return VoiceOverQuota(kind, used, limit, self.resets_at())
        return None


def span(tr: Translator, seconds: float) -> str:
    """"2 хвилини 5 секунд", "1 hour 30 minutes": whole seconds in hours, minutes and seconds, zero parts left out."""
    hours, rest = divmod(max(0, round(seconds)), 3600)
    minutes, secs = divmod(rest, 60)
    parts = [tr("span_hours", n=hours)] if hours else []
    parts += [tr("span_minutes", n=minutes)] if minutes else []
    parts += [tr("span_seconds", n=secs)] if secs or not parts else []
    return " ".join(parts)
