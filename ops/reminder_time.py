"""When a reminder is due: `/remind WHEN TEXT` parsed against a clock and the user's zone, and zone names.

Hand-written on purpose: dateparser was rejected as too heavy (a large regex/language database at import)
and too ambiguous for a command ("18.30" must be a time, "31.12 18:00" a date and a time, and a word of
the reminder's text must never be read as a date). The forms we accept are listed in `parse`.
Local times are built in the user's zone and turned into UTC, so DST changes are handled by zoneinfo:
a time that does not exist (the spring gap) is the same instant one hour later on the clock, a time that
happens twice (the autumn fold) is its first occurrence; relative times are exact elapsed durations.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

MAX_AHEAD = timedelta(days=366)
# Error keys (the bot words them as `rem_err_<key>`): not a time we understand, no such date or time,
# already past, more than a year ahead, no text after the time.
BAD_WHEN, BAD_DATE, PAST, TOO_FAR, NO_TEXT = "when", "date", "past", "far", "empty"

_UNITS = {  # unit word → seconds; Ukrainian forms in every case a number takes
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds", "с", "сек", "секунд", "секунди", "секунду",
                     "секунда"), 1),
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes", "хв", "хвилин", "хвилини", "хвилину",
                     "хвилина"), 60),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours", "г", "год", "годин", "години", "годину", "година"), 3600),
    **dict.fromkeys(("d", "day", "days", "д", "дн", "день", "дні", "днів", "доби", "діб"), 86400),
    **dict.fromkeys(("w", "week", "weeks", "тиж", "тиждень", "тижні", "тижнів"), 604800),
}
_RELATIVE = re.compile(r"(?:in|через|за)\s+", re.IGNORECASE)
_PIECE = re.compile(r"\s*(\d{1,6})\s*([^\W\d_]+)\.?", re.IGNORECASE)
_DAY_WORDS = {"today": 0, "сьогодні": 0, "tomorrow": 1, "завтра": 1, "післязавтра": 2}
_ABSOLUTE = re.compile(r"""
    (?: (?P<word>today|tomorrow|сьогодні|завтра|післязавтра) \s+            # a named day,
      | (?: (?P<y1>\d{4})-(?P<m1>\d{1,2})-(?P<d1>\d{1,2})                   # or 2026-12-31,
          | (?P<d2>\d{1,2})\.(?P<m2>\d{1,2})(?:\.(?P<y2>\d{4}|\d{2}))? ) \s+  # or 31.12[.2026]
    )?
    (?: (?:at|о|об|на) \s+ )?
    (?P<h>\d{1,2})[:.](?P<mi>\d{2}) (?=[\s,;]|$)                            # then the time: 18:30 or 18.30
""", re.IGNORECASE | re.VERBOSE)
_TEXT_START = re.compile(r"^[\s,;:—–-]+")


@dataclass(frozen=True, slots=True)
class When:
    """A parsed `/remind`: the UTC instant it is due, the same instant on the user's clock, and the text."""

    due: datetime
    local: datetime
    text: str


def parse(args: str, now: datetime, zone: ZoneInfo) -> When | str:
    """`WHEN TEXT` → When, or an error key.

    WHEN is one of: `18:30` / `18.30` (today, or tomorrow once past), `in 2h`, `in 1h30m`, `in 45s`,
    `через 2 год`, `через 30 хв`, `за 10 с`, `tomorrow 9:00` / `завтра о 9:00`, `31.12 18:00` (this year's,
    next year's once the day has gone by), `31.12.2026 18:00`, `2026-12-31 18:00`.
    """
    s = args.strip()
    now = now.astimezone(UTC)
    if m := _RELATIVE.match(s):
        return _relative(s, m.end(), now, zone)
    if m := _ABSOLUTE.match(s):
        return _absolute(m, s[m.end():], now, zone)
    return BAD_WHEN


def _relative(s: str, pos: int, now: datetime, zone: ZoneInfo) -> When | str:
    seconds, found = 0, False
    while (m := _PIECE.match(s, pos)) and m.group(2).lower() in _UNITS:
        seconds += int(m.group(1)) * _UNITS[m.group(2).lower()]
        pos, found = m.end(), True
    if not found or (pos < len(s) and not s[pos].isspace() and s[pos] not in ",;:"):
        return BAD_WHEN
    if seconds <= 0:
        return PAST
    if seconds > MAX_AHEAD.total_seconds():
        return TOO_FAR
    return _when(now + timedelta(seconds=seconds), s[pos:], now, zone)


def _absolute(m: re.Match[str], rest: str, now: datetime, zone: ZoneInfo) -> When | str:
    hour, minute = int(m["h"]), int(m["mi"])
    if hour > 23 or minute > 59:
        return BAD_DATE
    today = now.astimezone(zone).date()
    try:
        if m["word"]:
            day = today + timedelta(days=_DAY_WORDS[m["word"].lower()])
        elif m["y1"]:
            day = date(int(m["y1"]), int(m["m1"]), int(m["d1"]))
        elif m["d2"] and m["y2"]:
            day = date(int(m["y2"]) + (2000 if len(m["y2"]) == 2 else 0), int(m["m2"]), int(m["d2"]))
        elif m["d2"]:  # no year: this year's, or next year's once the day has gone by ("05.01" said in December)
            day = date(today.year, int(m["m2"]), int(m["d2"]))
            day = day if day >= today else date(today.year + 1, day.month, day.day)
        else:  # a bare time: today's, or tomorrow's once past
            day = today
            if _instant(day, hour, minute, zone) <= now:
                day += timedelta(days=1)
    except ValueError:
        return BAD_DATE
    return _when(_instant(day, hour, minute, zone), rest, now, zone)


def _instant(day: date, hour: int, minute: int, zone: ZoneInfo) -> datetime:
    """A wall-clock time in the zone as UTC (fold=0: the first of a doubled hour; a skipped hour moves on)."""
    return datetime.combine(day, time(hour, minute), tzinfo=zone).astimezone(UTC)


def _when(due: datetime, rest: str, now: datetime, zone: ZoneInfo) -> When | str:
    if due <= now:
        return PAST
    if due - now > MAX_AHEAD:
        return TOO_FAR
    text = _TEXT_START.sub("", rest).strip()
    if not text:
        return NO_TEXT
    return When(due, due.astimezone(zone), text)


_NOT_ZONES = {"localtime", "Factory"}  # files in the zone database that are not places


@lru_cache(maxsize=1)
def _zones() -> dict[str, str]:
    """Lowercase IANA names and unique city names ("warsaw", "new york") → the IANA name."""
    names = sorted(available_timezones() - _NOT_ZONES)
    out = {n.lower(): n for n in names}
    cities: dict[str, list[str]] = {}
    for n in names:
        if "/" in n and not n.startswith(("Etc/", "SystemV/")):
            cities.setdefault(n.rsplit("/", 1)[1].replace("_", " ").lower(), []).append(n)
    for city, found in cities.items():
        out.setdefault(city, found[0] if len(found) == 1 else min(found, key=len))
    return out


_ALIASES = {  # what people type here that is not an IANA name
    "kyiv": "Europe/Kyiv", "kiev": "Europe/Kyiv", "europe/kiev": "Europe/Kyiv", "київ": "Europe/Kyiv",
    "києв": "Europe/Kyiv", "ukraine": "Europe/Kyiv", "україна": "Europe/Kyiv", "львів": "Europe/Kyiv",
    "одеса": "Europe/Kyiv", "харків": "Europe/Kyiv", "дніпро": "Europe/Kyiv", "варшава": "Europe/Warsaw",
    "берлін": "Europe/Berlin", "лондон": "Europe/London", "прага": "Europe/Prague", "париж": "Europe/Paris",
    "нью-йорк": "America/New_York", "new york": "America/New_York", "utc": "UTC", "gmt": "UTC",
}


def resolve_zone(name: str) -> str | None:
    """An IANA zone name for what the user typed (any case, a few aliases), or None when unknown."""
    key = " ".join(name.strip().lower().replace("_", " ").split())
    key_iana = key.replace(" ", "_")
    found = _ALIASES.get(key) or _zones().get(key_iana) or _zones().get(key)
    return found if found and _loads(found) else None


def _loads(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ValueError, OSError, KeyError):
        return False
    return True


def zone_or(name: str | None, default: str) -> ZoneInfo:
    """The stored zone, or the default when unset or no longer known."""
    for candidate in (name, default, "UTC"):
        if candidate and _loads(candidate):
            return ZoneInfo(candidate)
    return ZoneInfo("UTC")
