"""/admin stats' chart: 14 quota days of messages and local share, tokens and cost per provider, drawn as a PNG."""
from __future__ import annotations

from datetime import date, timedelta
from io import BytesIO

import pytest
from PIL import Image

from ops.chart import ChartData, assemble, chart_data
from ops.chart_render import caption, render_png
from storage.stats import DayUsage
from tests.ops.test_stats import add_message, call, make_ops, utc

FIRST = date(2026, 11, 22)
DAYS = [FIRST + timedelta(days=n) for n in range(14)]
BARS, LOCAL, CLOUD = (0x4C, 0x78, 0xA8), (0x54, 0xA2, 0x4B), (0xF5, 0x85, 0x18)  # ops/chart_render.py's colours


def _synthetic(*, empty_day: int | None = 5) -> ChartData:
    """Two weeks, ollama (local) and groq (cloud); `empty_day` has no message and no call at all."""
    usage = []
    for n, day in enumerate(DAYS):
        if n == empty_day:
            continue
        usage += [DayUsage(day.isoformat(), "ollama", 1000 * (n + 1), 0.0, 3),
                  DayUsage(day.isoformat(), "groq", 500, 0.01, 1)]
    messages = [0 if n == empty_day else 20 + n for n in range(14)]
    return assemble("Europe/Kyiv", DAYS, messages, usage, lambda p: p == "ollama")


def _pixels(image: Image.Image, colour: tuple[int, int, int]) -> int:
    """How many pixels of the picture have exactly this colour."""
    return dict((c, n) for n, c in image.convert("RGB").getcolors(1_000_000) or []).get(colour, 0)


def _image(png: bytes) -> Image.Image:
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert 10_000 < len(png) < 500_000, len(png)
    image = Image.open(BytesIO(png))
    image.load()
    return image


def test_local_share_per_day_and_totals_per_provider() -> None:
    data = _synthetic()
    assert [d.day for d in data.days] == DAYS
    assert data.days[0].local_share == 75.0  # 3 local answers of 4
    assert (data.days[5].messages, data.days[5].answered, data.days[5].local_share) == (0, 0, None)
    assert (data.messages, data.answered, data.local) == (sum(20 + n for n in range(14)) - 25, 13 * 4, 13 * 3)
    ollama, groq = data.providers  # most tokens first
    assert (ollama.provider, ollama.local, ollama.tokens) == ("ollama", True, 1000 * (105 - 6))
    assert (groq.provider, groq.local, groq.tokens, round(groq.cost, 2)) == ("groq", False, 13 * 500, 0.13)
    assert round(data.cost, 2) == 0.13


def test_a_provider_no_longer_configured_and_days_outside_the_span() -> None:
    usage = [DayUsage(DAYS[0].isoformat(), "gone", 10, 0.5, 2), DayUsage(DAYS[0].isoformat(), "ollama", 10, 0.0, 2),
             DayUsage("2026-11-01", "ollama", 99, 0.0, 7)]  # outside the days: counts for no day
    data = assemble("UTC", DAYS[:1], [4], usage, lambda p: p == "ollama")
    assert data.days[0].local_share == 50.0
    assert [(p.provider, p.local) for p in data.providers] == [("ollama", True), ("gone", False)]


@pytest.mark.parametrize("lang", ["uk", "en"])
def test_the_chart_is_a_png_of_both_panels_even_with_an_empty_day(lang: str) -> None:
    image = _image(render_png(_synthetic(), lang))
    assert image.format == "PNG" and image.size == (1000, 800)
    assert _pixels(image, BARS) > 50_000, "the message bars"
    assert _pixels(image, LOCAL) > 20_000 and _pixels(image, CLOUD) > 1_000, "a local and a cloud provider's bar"


def test_two_weeks_without_anything_still_draw() -> None:
    data = assemble("Europe/Kyiv", DAYS, [0] * 14, [], lambda p: False)
    image = _image(render_png(data, "uk"))
    assert image.size == (1000, 800)
    assert _pixels(image, BARS) < 500 and _pixels(image, CLOUD) == 0  # the legend's swatch only; no provider bars


def test_the_picture_speaks_the_admins_language() -> None:
    """Read back with tesseract (installed for local OCR): titles and day labels come from the catalogs."""
    pytesseract = pytest.importorskip("pytesseract")
    data = _synthetic()
    uk = pytesseract.image_to_string(Image.open(BytesIO(render_png(data, "uk"))), lang="ukr")
    en = pytesseract.image_to_string(Image.open(BytesIO(render_png(data, "en"))), lang="eng")
    assert "Повідомлення за день і частка локальних відповідей" in uk and "22.11" in uk and "05.12" in uk
    assert "Tokens and cost per provider over 14 days" in en and "5 Dec" in en


def test_the_caption_words_the_totals_with_plural_forms() -> None:
    one = assemble("UTC", DAYS[:1], [1], [DayUsage(DAYS[0].isoformat(), "ollama", 5, 0.0, 1)], lambda p: True)
    assert caption(one, "uk") == ("📈 22.11 – 22.11: 1 повідомлення, 1 відповідь моделі, з них локально 100.0 %; "
                                  "вартість $0")
    assert caption(one, "en") == "📈 22 Nov – 22 Nov: 1 message, 1 model answer, 100.0 % of them local; cost $0"
    data = _synthetic()
    assert caption(data, "uk") == ("📈 22.11 – 05.12: 346 повідомлень, 52 відповіді моделей, з них локально 75.0 %; "
                                   "вартість $0.1300")


async def test_fourteen_quota_days_from_the_database(database_url: str) -> None:
    """Messages counted on their day in Kyiv (UTC+2), usage rows by their `day`; a day without either is zeros."""
    ops = await make_ops(database_url)  # today: 2026-11-30 in Kyiv
    for at in (utc(16, 21, 30),  # 23:30 on the 16th in Kyiv: before the two weeks
               utc(16, 22, 30),  # 00:30 on the 17th: the first day
               utc(29, 21, 59), utc(29, 22, 0), utc(30, 9, 0)):  # the 29th, then the 30th twice
        await add_message(ops.store, at, user_id=1, chat_id=1)
    await add_message(ops.store, utc(30, 9, 1), user_id=None, chat_id=1, role="assistant")  # an answer: not counted
    for row in (call("ollama", "qwen3:8b", tin=10, tout=20), call("ollama", "qwen3:8b", "cut", tin=5, tout=5),
                call("groq", "llama", tin=100, tout=50, cost=0.02),
                call("groq", "llama", "timeout", tin=100, cost=0.01),  # tokens and cost, but not an answer
                call("ollama", "bge-m3", mode="embed", tin=300),  # tokens, but not an answer
                call("groq", "llama", "cancelled", tin=999, cost=1.0),  # left out, as in the text stats
                call("groq", "llama", tin=1, day="2026-11-17"), call("groq", "llama", tin=7, day="2026-11-16")):
        await ops.ledger.record(row)

    data = await chart_data(ops)

    assert (data.days[0].day, data.days[-1].day, data.tz) == (date(2026, 11, 17), date(2026, 11, 30), "Europe/Kyiv")
    assert [d.messages for d in data.days] == [1] + [0] * 11 + [1, 2]
    assert (data.days[-1].answered, data.days[-1].local) == (3, 2)
    assert data.days[-1].local_share == pytest.approx(200 / 3)
    assert (data.days[0].answered, data.days[0].local_share) == (1, 0.0)
    assert data.days[5].local_share is None
    assert [(p.provider, p.local, p.tokens, round(p.cost, 4)) for p in data.providers] == [
        ("ollama", True, 340, 0.0), ("groq", False, 251, 0.03)]
    earlier = await chart_data(ops, date(2026, 11, 29), days=2)
    assert [(d.day, d.messages) for d in earlier.days] == [(date(2026, 11, 28), 0), (date(2026, 11, 29), 1)]
    await ops.store.close()
