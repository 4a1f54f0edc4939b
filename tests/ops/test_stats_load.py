"""/admin stats under load: requests passed on because a provider's slots were full (how many, why) and the wait for
a slot (p50/p95), from the usage rows the router writes; on SQLite and Postgres."""
from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from ops.stats import compute, render
from router.config import build_router, load_router_config
from router.testing import FakeLLM
from router.types import ChatMessage, ChatRequest
from storage.models import Usage
from storage.records import UsageRow
from tests.ops.test_stats import DAY, NOW, call, make_ops

TIMEOUTS = "timeouts: {connect: 1, first_token: 20, total: 30}"


def waited(provider: str, ms: float | None, outcome: str = "ok", *, error: str | None = None, mode: str = "chat",
           day: str = DAY) -> UsageRow:
    return UsageRow(at=NOW, day=day, provider=provider, model="m", outcome=outcome, user_id=1, mode=mode,
                    queue_ms=ms, latency_ms=ms or 0.0, error=error)


async def test_overflow_by_reason_and_the_wait_for_a_slot_of_a_day(database_url):
    ops = await make_ops(database_url)
    for ms in (0, 0, 0, 0, 0, 20, 40, 100, 300, 900):  # calls that got a slot: most at once
        await ops.ledger.record(waited("ollama", ms))
    await ops.ledger.record(waited("ollama", 0, mode="embed"))  # an embedding waits for the same slots
    await ops.ledger.record(waited("groq", None))  # a cloud API counts no slots: no wait to speak of
    for _ in range(3):
        await ops.ledger.record(waited("ollama", 500, "busy", error="busy: every slot stayed busy for 0.5 s"))
    await ops.ledger.record(waited("ollama", 0, "busy", error="queue_full: its waiting line is full"))
    await ops.ledger.record(waited("whisper", None, "busy", mode="stt"))  # a speech model's own slots were full
    await ops.ledger.record(waited("ollama", 99_999, day="2026-11-29"))  # another day
    await ops.ledger.record(waited("ollama", 9_999, "busy", error="busy: …", day="2026-11-29"))

    stats = await compute(ops)
    assert stats.overflows == (("busy", 4), ("queue_full", 1)) and stats.overflowed == 5
    # 0 ×6, 20, 40, 100, 300, 900: the overflowed requests' waits are not among them
    assert (stats.queue_p50_ms, round(stats.queue_p95_ms or 0, 6)) == (0.0, 600.0)
    assert (stats.answered, stats.errors) == (11, 0)  # a request passed on is no failed call
    assert {m.target: (m.answered, m.errors) for m in stats.models} == {"ollama:m": (10, 0), "groq:m": (1, 0)}
    assert [(m.target, m.errors) for m in stats.speech] == []  # whisper's passed-on request made no call

    en = render(stats, "en")
    assert "⏳ Wait for a free model slot: p50 0 ms, p95 600 ms" in en
    assert "↪️ Passed on to the next model, slots full: 5 requests (no slot freed in time: 4, waiting line full: 1)" \
        in en
    assert "🧠 Model calls: 11 answered, 0 failed (0.0 %)" in en
    uk = render(stats, "uk")
    assert "⏳ Очікування вільного слота моделі: p50 0 мс, p95 600 мс" in uk
    assert ("↪️ Передано наступній моделі, слоти зайняті: 5 запитів "
            "(слот не звільнився вчасно: 4, черга переповнена: 1)") in uk
    await ops.store.close()


async def test_a_day_without_slots_or_overflow_shows_neither_line(database_url):
    ops = await make_ops(database_url)
    await ops.ledger.record(call("groq", "llama", latency=100))
    stats = await compute(ops)
    assert (stats.overflows, stats.queue_p50_ms, stats.queue_p95_ms) == ((), None, None)
    text = render(stats, "en")
    assert "⏳" not in text and "↪️" not in text
    await ops.store.close()


async def test_a_passed_over_provider_was_not_called_for_its_requests_per_minute(database_url):
    ops = await make_ops(database_url)
    await ops.ledger.record(waited("groq", 0))
    for _ in range(3):
        await ops.ledger.record(waited("groq", 200, "busy", error="busy: every slot stayed busy for 0.2 s"))
    assert await ops.ledger.provider_calls_since("groq", NOW - timedelta(minutes=1)) == 1
    await ops.store.close()


async def test_a_burst_through_the_router_leaves_rows_the_stats_count(database_url, tmp_path: Path):
    ops = await make_ops(database_url)
    path = tmp_path / "router.yaml"
    path.write_text(f"""
providers:
  ollama: {{kind: ollama, base_url: "${{LOCAL_URL}}", max_concurrency: 1, queue_timeout: 0.05, {TIMEOUTS}}}
  cloud: {{kind: openai, base_url: "${{CLOUD_URL}}", api_key_env: CLOUD_KEY, {TIMEOUTS}}}
routes:
  chat: [ollama:qwen3:8b, cloud:gpt-4o-mini]
""", encoding="utf-8")
    async with FakeLLM() as local, FakeLLM() as cloud:
        env = {"LOCAL_URL": local.url, "CLOUD_URL": cloud.openai_url, "CLOUD_KEY": "sk-test"}
        router = build_router(load_router_config(path, env), env, data_dir=tmp_path, ledger=ops.ledger,
                              now=lambda: NOW)
        local.pause()  # the first request holds the one local slot for as long as the test needs

        async def ask(text: str) -> str:
            request = ChatRequest(messages=(ChatMessage("user", text),), user_id=7, chat_id=7, agent="helion")
            return "".join([d.provider async for d in router.stream(request) if d.text][:1])

        tasks = [asyncio.create_task(ask(f"q{i}")) for i in range(3)]
        async with asyncio.timeout(10):
            while not (len(local.chat_requests()) == 1 and sum(t.done() for t in tasks) == 2):
                await asyncio.sleep(0.005)
        local.resume()
        assert sorted(await asyncio.gather(*tasks)) == ["cloud", "cloud", "ollama"]
        await router.aclose()

    rows = await ops.store.db.run(lambda c: c.execute(
        select(Usage.provider, Usage.outcome, Usage.queue_ms, Usage.error, Usage.user_id, Usage.agent)
        .order_by(Usage.id)).all())
    by = sorted((r.provider, r.outcome, r.queue_ms is None, r.error or "", r.user_id, r.agent) for r in rows)
    assert by == [
        ("cloud", "ok", True, "", 7, "helion"),
        ("cloud", "ok", True, "", 7, "helion"),
        ("ollama", "busy", False, "busy: every slot stayed busy for 0.05 s", 7, "helion"),
        ("ollama", "busy", False, "busy: every slot stayed busy for 0.05 s", 7, "helion"),
        ("ollama", "ok", False, "", 7, "helion"),
    ]
    assert all(r.queue_ms > 0 for r in rows if r.outcome == "busy")  # each waited its queue_timeout first
    assert [r.queue_ms for r in rows if r.outcome == "ok" and r.provider == "ollama"] == [0.0]  # a slot was free

    stats = await compute(ops)
    assert stats.overflows == (("busy", 2),) and (stats.queue_p50_ms, stats.queue_p95_ms) == (0.0, 0.0)
    assert (stats.answered, stats.errors, stats.local_answered) == (3, 0, 1)
    await ops.store.close()
