"""Stats of one day in the quota time zone: people, messages per agent, tokens and cost, local share, latency."""
from __future__ import annotations

from datetime import UTC, date, datetime
from types import SimpleNamespace

from sqlalchemy import insert

from ops.access import AccessControl
from ops.services import Ops, OpsSettings
from ops.stats import compute, percentile, render
from storage.models import Chat, Message, User
from storage.people import PeopleStore
from storage.records import UsageRow
from storage.store import Store, open_store
from storage.usage import UsageLedger

NOW = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)  # 12:00 in Kyiv (UTC+2 in winter)
DAY = "2026-11-30"
PROVIDERS = {"ollama": SimpleNamespace(local=True), "groq": SimpleNamespace(local=False)}


async def make_ops(url: str, *, now: datetime = NOW, **settings: object) -> Ops:
    """Ops over a fresh store at `url`, its clock frozen at `now`; the router knows ollama (local) and groq."""
    store = await open_store(url)
    people = PeopleStore(store.db)
    ops = Ops(OpsSettings(**settings), store, UsageLedger(store.db),
              SimpleNamespace(providers=PROVIDERS), SimpleNamespace(agents={}), people,
              AccessControl(people))
    ops.now = lambda: now
    return ops


async def add_message(store: Store, at: datetime, *, user_id: int | None, chat_id: int, agent: str = "helion",
                      role: str = "user", status: str = "done", reply_to: int | None = None, bot: str = "main",
                      text: str = "…") -> int:
    values = dict(bot=bot, chat_id=chat_id, thread_id=0, conversation=1, user_id=user_id, role=role, agent=agent,
                  text=text, status=status, reply_to=reply_to, created_at=at)
    return await store.db.run(lambda c: c.execute(insert(Message).returning(Message.id), values).scalar())


def call(provider: str, model: str, outcome: str = "ok", *, latency: float = 0.0, day: str = DAY, tin: int = 0,
         tout: int = 0, cost: float = 0.0, mode: str = "chat", user_id: int = 1, audio: float = 0.0) -> UsageRow:
    return UsageRow(at=NOW, day=day, provider=provider, model=model, outcome=outcome, user_id=user_id, chat_id=user_id,
                    mode=mode, tokens_in=tin, tokens_out=tout, cost=cost, latency_ms=latency, agent="helion",
                    audio_seconds=audio)


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


async def test_a_days_people_and_messages_per_agent_follow_the_quota_zone(database_url):
    ops = await make_ops(database_url)
    store = ops.store
    await store.db.run(lambda c: c.execute(insert(User), [dict(id=i, created_at=NOW) for i in (1, 2, 3, 4)]))
    await store.db.run(lambda c: c.execute(insert(Chat), [dict(bot="main", chat_id=-700, thread_id=0, updated_at=NOW)]))
    q = await add_message(store, utc(29, 22, 30), user_id=1, chat_id=1)  # 00:30 on the 30th in Kyiv: counts
    await add_message(store, utc(29, 22, 31), user_id=None, chat_id=1, role="assistant", reply_to=q)  # an answer
    await add_message(store, utc(30, 9), user_id=2, chat_id=2, agent="daarwizz")
    await add_message(store, utc(30, 9, 5), user_id=2, chat_id=2, agent="daarwizz")
    await add_message(store, utc(30, 9, 6), user_id=4, chat_id=-500)  # a group
    await add_message(store, utc(29, 21, 30), user_id=3, chat_id=3)  # 23:30 on the 29th in Kyiv: the week only
    await add_message(store, utc(24, 12), user_id=3, chat_id=3, agent="greenfood")  # the 7th day back: in the week
    await add_message(store, utc(23, 12), user_id=3, chat_id=3, agent="greenfood")  # 8 days back: out
    await add_message(store, utc(30, 23), user_id=3, chat_id=3)  # the 1st of December in Kyiv: out

    stats = await compute(ops)
    assert stats.day == date(2026, 11, 30)
    assert (stats.users_total, stats.users_active) == (4, 3)
    assert (stats.chats_total, stats.chats_active) == (5, 3)  # 1, 2, 3, -500 from messages and -700 from chats
    assert stats.agents == (("helion", 2, 3), ("daarwizz", 2, 2), ("greenfood", 0, 1))
    assert (stats.messages_day, stats.messages_week) == (4, 6)
    text = render(stats, "uk", {"helion": "⚡ Helion"})
    assert "✉️ Повідомлення: 4 за день, 6 за 7 днів" in text
    assert "  • ⚡ Helion: 2 / 3" in text and "  • daarwizz: 2 / 2" in text
    assert "Викликів моделей не було" in text
    await store.close()


async def test_tokens_cost_errors_local_share_and_latency_of_a_day(database_url):
    ops = await make_ops(database_url)
    for latency in (100, 200, 300):
        await ops.ledger.record(call("ollama", "qwen3:8b", latency=latency, tin=10, tout=20))
    await ops.ledger.record(call("ollama", "qwen3:8b", "cut", latency=400, tin=5, tout=1))
    await ops.ledger.record(call("ollama", "qwen3:8b", latency=250, mode="vision"))  # a photo: a model answer too
    await ops.ledger.record(call("ollama", "qwen3:8b", "unavailable", latency=3))
    await ops.ledger.record(call("groq", "llama", latency=1000, tin=1000, tout=500, cost=0.002))
    await ops.ledger.record(call("groq", "llama", "timeout", latency=3000))
    await ops.ledger.record(call("groq", "llama", "cancelled", latency=50, tin=7))  # the reader left: not counted
    await ops.ledger.record(call("gone", "old", latency=500, tin=1, tout=1))  # a provider no longer configured
    for _ in range(2):
        await ops.ledger.record(call("ollama", "bge-m3", latency=9999, tin=30, mode="embed", cost=0.0001))
    await ops.ledger.record(call("ollama", "qwen3:8b", latency=77777, tin=99, day="2026-11-29"))  # another day

    stats = await compute(ops)
    assert (stats.answered, stats.errors, stats.local_answered) == (7, 2, 5)
    # of 100 200 250 300 400 500 1000: embeddings left out
    assert (stats.p50_ms, round(stats.p95_ms or 0, 6)) == (300.0, 850.0)
    by_target = {m.target: m for m in stats.models}
    assert set(by_target) == {"ollama:qwen3:8b", "groq:llama", "gone:old"}
    qwen, groq = by_target["ollama:qwen3:8b"], by_target["groq:llama"]
    assert (qwen.tokens_in, qwen.tokens_out, qwen.answered, qwen.errors, qwen.local) == (35, 61, 5, 1, True)
    assert (groq.tokens_in, groq.tokens_out, groq.cost, groq.answered, groq.errors) == (1000, 500, 0.002, 1, 1)
    assert by_target["gone:old"].local is False
    [embed] = stats.embeddings
    assert (embed.target, embed.answered, embed.tokens_in) == ("ollama:bge-m3", 2, 60)
    assert round(stats.cost, 6) == 0.0022

    uk = render(stats, "uk")
    assert "🧠 Виклики моделей: 7 відповідей, 2 помилки (22.2 %)" in uk
    assert "  • ollama:qwen3:8b 🏠: 5 відповідей, 1 помилка, токени 35 → 61, $0" in uk
    assert "  • groq:llama: 1 відповідь, 1 помилка, токени 1 000 → 500, $0.0020" in uk
    assert "🏠 Локально: 71.4 % відповідей" in uk
    assert "p50 300 мс, p95 850 мс" in uk
    assert "💰 Вартість: $0.0022" in uk
    assert "🔢 Ембединги ollama:bge-m3: 2 виклики, 0 помилок, 60 токенів" in uk
    en = render(stats, "en")
    assert "🧠 Model calls: 7 answered, 2 failed (22.2 %)" in en and "Served locally: 71.4 % of answers" in en
    await ops.store.close()


async def test_seconds_heard_and_spoken_apart_from_the_answers(database_url):
    ops = await make_ops(database_url)
    await ops.ledger.record(call("ollama", "qwen3:8b", latency=100, tin=10, tout=20))
    await ops.ledger.record(call("ollama", "whisper-base", latency=3100, mode="stt", audio=50.0))
    await ops.ledger.record(call("groq", "whisper-large-v3", latency=900, mode="stt", audio=15.4, user_id=2))
    await ops.ledger.record(call("groq", "whisper-large-v3", "timeout", latency=30000, mode="stt"))
    await ops.ledger.record(call("ollama", "piper-joe", latency=400, mode="tts", audio=12.0))
    await ops.ledger.record(call("ollama", "whisper-base", mode="stt", audio=600.0, day="2026-11-29"))  # another day

    stats = await compute(ops)
    assert (stats.heard, stats.spoken) == (65.4, 12.0)
    # The chat answer alone is a model answer: no transcription's time in the latency, no failed one in the errors.
    assert (stats.answered, stats.errors, stats.p50_ms, stats.p95_ms) == (1, 0, 100.0, 100.0)
    assert {(m.target, m.answered, m.errors, m.local) for m in stats.speech} == {
        ("ollama:whisper-base", 1, 0, True), ("groq:whisper-large-v3", 1, 1, False), ("ollama:piper-joe", 1, 0, True)}
    uk = render(stats, "uk")
    assert "🎙 Голос: розпізнано — 1 хвилина 5 секунд, озвучено — 12 секунд" in uk
    assert "  • groq:whisper-large-v3: 2 виклики, 1 помилка" in uk
    assert "  • ollama:whisper-base 🏠: 1 виклик, 0 помилок" in uk
    assert "🧠 Виклики моделей: 1 відповідь, 0 помилок" in uk
    assert "🎙 Voice: 1 minute 5 seconds heard, 12 seconds spoken" in render(stats, "en")
    assert "🎙" not in render(await compute(ops, date(2026, 11, 28)), "uk")  # a day without voice has no such line
    await ops.store.close()


async def test_a_given_day_is_shown_not_today(database_url):
    ops = await make_ops(database_url)
    await ops.ledger.record(call("ollama", "qwen3:8b", latency=10, day="2026-11-02"))
    old = await compute(ops, date(2026, 11, 2))
    assert (old.day, old.answered, old.p50_ms) == (date(2026, 11, 2), 1, 10.0)
    assert (await compute(ops)).answered == 0
    await ops.store.close()


def test_percentiles_interpolate_between_ranks():
    assert percentile([], 0.5) is None
    assert percentile([42.0], 0.95) == 42.0
    assert percentile([float(v) for v in range(1, 101)], 0.95) == 95.05
    assert percentile([4.0, 1.0, 3.0, 2.0], 0.5) == 2.5
