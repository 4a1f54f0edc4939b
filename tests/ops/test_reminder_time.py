"""`/remind WHEN TEXT` parsing against a frozen clock: the forms people type, DST in Kyiv, and wrong input."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from ops.reminder_time import BAD_DATE, BAD_WHEN, NO_TEXT, PAST, TOO_FAR, When, parse, resolve_zone

KYIV = ZoneInfo("Europe/Kyiv")
UTC = UTC
NOW = datetime(2026, 6, 10, 15, 0, tzinfo=UTC)  # 18:00 in Kyiv (UTC+3)


def local(args: str, now: datetime = NOW, zone: ZoneInfo = KYIV) -> tuple[str, str]:
    """The wall-clock time the reminder is due at, and its text."""
    when = parse(args, now, zone)
    assert isinstance(when, When), f"{args!r} → {when}"
    assert when.local == when.due.astimezone(zone) and when.due.tzinfo is not None
    return when.local.strftime("%Y-%m-%d %H:%M:%S"), when.text


@pytest.mark.parametrize("args, expected", [
    ("18:30 call the supplier", "2026-06-10 18:30:00"),  # later today
    ("18.30 call the supplier", "2026-06-10 18:30:00"),
    ("17:59 call the supplier", "2026-06-11 17:59:00"),  # already past today → tomorrow
    ("18:00 call the supplier", "2026-06-11 18:00:00"),  # exactly now counts as past
    ("9:05 call the supplier", "2026-06-11 09:05:00"),
    ("tomorrow 9:00 call the supplier", "2026-06-11 09:00:00"),
    ("Завтра о 9:00 call the supplier", "2026-06-11 09:00:00"),
    ("післязавтра 7.15 call the supplier", "2026-06-12 07:15:00"),
    ("31.12 18:00 call the supplier", "2026-12-31 18:00:00"),
    ("31.12.2026 18:00 call the supplier", "2026-12-31 18:00:00"),
    ("2026-12-31 18:00 call the supplier", "2026-12-31 18:00:00"),
    ("05.01 10:00 call the supplier", "2027-01-05 10:00:00"),  # a day gone by this year → next year's
    ("12.06 18:00 call the supplier", "2026-06-12 18:00:00"),  # a date, then a time
])
def test_clock_times_and_dates_in_the_users_zone(args, expected):
    assert local(args) == (expected, "call the supplier")


@pytest.mark.parametrize("args, delta", [
    ("in 2h call the supplier", timedelta(hours=2)),
    ("in 90m call the supplier", timedelta(minutes=90)),
    ("in 1h30m call the supplier", timedelta(hours=1, minutes=30)),
    ("in 1 hour 30 minutes, call the supplier", timedelta(hours=1, minutes=30)),
    ("in 45s call the supplier", timedelta(seconds=45)),
    ("через 2 год call the supplier", timedelta(hours=2)),
    ("через 30 хв call the supplier", timedelta(minutes=30)),
    ("через 10 с call the supplier", timedelta(seconds=10)),
    ("за 3 дні call the supplier", timedelta(days=3)),
])
def test_relative_times_are_exact_durations(args, delta):
    when = parse(args, NOW, KYIV)
    assert isinstance(when, When) and when.due == NOW + delta and when.text == "call the supplier"


def test_the_rest_is_the_text_even_when_it_starts_with_a_number():
    assert local("через 5 хв 3 рази подзвонити") == ("2026-06-10 18:05:00", "3 рази подзвонити")
    assert local("18:30 12.05 invoice")[1] == "12.05 invoice"


def test_spring_forward_in_kyiv():
    before = datetime(2026, 3, 28, 20, 0, tzinfo=UTC)  # 22:00 on 28.03 (UTC+2); clocks jump 03:00 → 04:00
    assert local("tomorrow 9:00 x", before) == ("2026-03-29 09:00:00", "x")
    assert parse("tomorrow 9:00 x", before, KYIV).due == datetime(2026, 3, 29, 6, 0, tzinfo=UTC)  # now UTC+3
    # 03:30 does not exist that night: it is the same instant as 04:30 on the new clock.
    assert local("завтра 3:30 x", before) == ("2026-03-29 04:30:00", "x")
    # Two hours of elapsed time cross the jump: the clock moves three.
    night = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # 02:30 (UTC+2)
    assert local("in 2h x", night) == ("2026-03-29 05:30:00", "x")


def test_fall_back_in_kyiv():
    before = datetime(2026, 10, 24, 18, 0, tzinfo=UTC)  # 21:00 on 24.10 (UTC+3); 04:00 → 03:00 on 25.10
    assert parse("tomorrow 9:00 x", before, KYIV).due == datetime(2026, 10, 25, 7, 0, tzinfo=UTC)  # UTC+2
    # 03:30 happens twice that night: the first one (still UTC+3).
    assert parse("завтра 3:30 x", before, KYIV).due == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    night = datetime(2026, 10, 24, 23, 30, tzinfo=UTC)  # 02:30 (UTC+3)
    assert local("in 2h x", night) == ("2026-10-25 03:30:00", "x")  # the clock moves one hour


def test_another_zone_reads_the_same_words_on_its_own_clock():
    warsaw = ZoneInfo("Europe/Warsaw")  # 17:00 there
    assert local("17:30 x", zone=warsaw) == ("2026-06-10 17:30:00", "x")
    assert parse("17:30 x", NOW, warsaw).due == datetime(2026, 6, 10, 15, 30, tzinfo=UTC)


@pytest.mark.parametrize("args, error", [
    ("call the supplier", BAD_WHEN),
    ("tomorrow call the supplier", BAD_WHEN),  # a day without a time
    ("in call the supplier", BAD_WHEN),
    ("in 2 parrots call the supplier", BAD_WHEN),
    ("in 2hcall the supplier", BAD_WHEN),
    ("25:00 call the supplier", BAD_DATE),
    ("18:61 call the supplier", BAD_DATE),
    ("31.02 18:00 call the supplier", BAD_DATE),
    ("2026-13-01 18:00 call the supplier", BAD_DATE),
    ("today 9:00 call the supplier", PAST),
    ("01.06.2026 9:00 call the supplier", PAST),
    ("in 0m call the supplier", PAST),
    ("18:30", NO_TEXT),
    ("in 2h   ", NO_TEXT),
    ("in 367 days call the supplier", TOO_FAR),
    ("31.12.2027 18:00 call the supplier", TOO_FAR),
    ("in 999999 weeks call the supplier", TOO_FAR),
])
def test_wrong_input_gets_an_error_key(args, error):
    assert parse(args, NOW, KYIV) == error


def test_a_year_ahead_is_the_limit():
    assert isinstance(parse("in 366 days x", NOW, KYIV), When)
    assert isinstance(parse("09.06.2027 18:00 x", NOW, KYIV), When)


@pytest.mark.parametrize("typed, zone", [
    ("Europe/Warsaw", "Europe/Warsaw"), ("europe/warsaw", "Europe/Warsaw"), ("Kyiv", "Europe/Kyiv"),
    ("Київ", "Europe/Kyiv"), ("Europe/Kiev", "Europe/Kyiv"), ("warsaw", "Europe/Warsaw"),
    ("New York", "America/New_York"), ("america/new_york", "America/New_York"), ("utc", "UTC"),
])
def test_zone_names_any_case_and_aliases(typed, zone):
    assert resolve_zone(typed) == zone


@pytest.mark.parametrize("typed", ["Mars/Olympus", "../../etc/passwd", "localtime", "", "+3"])
def test_unknown_zones_are_refused(typed):
    assert resolve_zone(typed) is None
