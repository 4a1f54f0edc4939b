"""`python -m router explain` under load: which pool member would serve now and why, and each limited provider's
slots, mode shares and keep_alive. The wording is checked on the functions with a given moment (slots in flight,
an open circuit, an admin's switch, a quota), and the command end to end against FakeLLM and a bot database."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from ops.control import DISABLED as BOT_DISABLED
from router.breaker import BreakerPolicy, CircuitBreakers
from router.capacity import Capacity, SlotPolicy
from router.errors import ProviderUnavailable
from router.explain import DISABLED, Now, pool_lines, slot_lines, target_lines
from router.loaded import Loaded
from router.testing import FakeLLM
from router.types import Target
from storage.admin_settings import AdminSettings
from storage.store import open_store
from tests.router.test_rules import run_cli, write

A, B, C, D = (Target(p, "qwen3:8b") for p in ("a", "b", "c", "d"))
AT = datetime(2027, 1, 5, 12, 0, tzinfo=UTC)


def moment(**kw: object) -> Now:
    capacity = Capacity({"a": SlotPolicy(2, shares={"vision": 0.5}), "b": SlotPolicy(4, origin="/api/ps"),
                         "c": SlotPolicy(2, origin="default"), "d": SlotPolicy(1)})
    kw.setdefault("local", {"a", "b", "c", "d"})
    return Now(capacity=capacity, **kw)  # type: ignore[arg-type]


def test_the_least_busy_member_serves_and_the_others_say_why_not() -> None:
    now = moment()
    now.capacity.in_flight.update({"a": 1, "b": 1, "c": 2})  # a: half busy, b: a quarter, c: full
    assert pool_lines([A, B, C], now, "chat", local_only=False) == [
        "     a:qwen3:8b  next: busier or listed later (1/2 in flight, closed)",
        "  →  b:qwen3:8b  serves now: least busy (1/4 in flight, closed)",
        "     c:qwen3:8b  full for chat (2/2 in flight, closed)",
    ]


def test_a_tie_goes_to_the_first_listed_and_skipped_members_say_why() -> None:
    breakers = CircuitBreakers(BreakerPolicy(failures=1))
    breakers.failed(C, "pass", ProviderUnavailable("down"))
    now = moment(breakers=breakers, off={"b"}, over={"d": "daily token quota used (10/10)"})
    lines = pool_lines([A, B, C, D], now, "chat", local_only=False)
    assert lines == [
        "  →  a:qwen3:8b  serves now: least busy (0/2 in flight, closed)",
        "     b:qwen3:8b  skipped: switched off by an admin",
        "     c:qwen3:8b  skipped: circuit open (it failed lately)",
        "     d:qwen3:8b  skipped: over quota: daily token quota used (10/10)",
    ]
    two = pool_lines([A, Target("e", "m")], moment(local={"a", "e"}), "chat", local_only=False)
    assert two[0].endswith("serves now: least busy, listed first of the equally busy (0/2 in flight, closed)")


def test_a_mode_over_its_share_and_full_slots_are_said() -> None:
    now = moment()
    now.capacity.in_flight["a"] = 1
    now.capacity._modes["a", "vision"] = 1  # one photo on a: vision's share (half of 2) is used up
    assert pool_lines([A], now, "vision", local_only=False) == [
        "     a:qwen3:8b  full for vision (1/2 in flight, closed)",
        "     no member can start now: a request waits for a slot (queue_timeout), then the next target is tried"]
    assert pool_lines([A], now, "chat", local_only=False)[0].startswith("  →  a:qwen3:8b  serves now")


def test_cloud_members_of_a_local_only_request_and_single_targets() -> None:
    now = moment(local={"a"}, quota={"groq": "90/100 tokens left today"})
    lines = target_lines([Target("pool", "gpu"), Target("groq", "llama")], {"gpu": (A, B)}, now, "chat",
                         local_only=True)
    assert lines[0] == "  1. pool:gpu  the least busy usable member serves:"
    assert lines[2] == "     b:qwen3:8b  skipped: not local, and the request is local-only"
    assert lines[3] == ("  2. groq:llama  closed; quota: 90/100 tokens left today  "
                        "(skipped: not local, and the request is local-only)")


def test_slots_name_their_origin_waiting_timeouts_shares_and_keep_alive() -> None:
    now = moment(loaded={"b": [Loaded("qwen3:8b", 4 * 8192, AT + timedelta(minutes=25), 4)],
                         "c": "/api/ps: HTTP 404", "a": []})
    now.capacity.waiting["c"] = 3
    lines = slot_lines(["a", "b", "c", "groq"], now, AT)
    assert lines == [
        "  a: 0/2 in flight, 0 waiting; size 2 (max_concurrency in router.yaml)",
        "    queue_timeout 0.5 s, max_queue unlimited, max_wait 120 s",
        "    shares: vision 50 % = 1; other modes up to 2",
        "    loaded: none (keep_alive ran out)",
        "  b: 0/4 in flight, 0 waiting; size 4 (its /api/ps shows it)",
        "    queue_timeout 0.5 s, max_queue unlimited, max_wait 120 s",
        "    shares: none (every mode may take all 4)",
        "    loaded: qwen3:8b, keep_alive until 2027-01-05 12:25:00 UTC (in 25 min), context 32768, parallel 4",
        "  c: 0/2 in flight, 3 waiting; size 2 (the default: router.yaml sets no max_concurrency and the server "
        "does not tell)",
        "    queue_timeout 0.5 s, max_queue unlimited, max_wait 120 s",
        "    shares: none (every mode may take all 2)",
        "    loaded models: unknown (/api/ps: HTTP 404)",
    ]  # groq has no slot limit: no lines


def test_explain_reads_the_switches_where_the_bot_keeps_them() -> None:
    assert DISABLED == BOT_DISABLED


POOLED = """\
providers:
  a: {kind: ollama, base_url: "${A_URL}", num_ctx: 4096, shares: {vision: 0.5}}
  b: {kind: ollama, base_url: "${B_URL}", max_concurrency: 3, queue_timeout: 0.2, max_queue: 5}
  cloud: {kind: openai, base_url: "${B_URL}/v1", api_key_env: CLOUD_KEY, max_concurrency: 8}
pools:
  gpu: [a:qwen3:8b, b:qwen3:8b]
rules:
  - use: [pool:gpu, cloud:gpt-4o-mini]
"""


async def test_cli_explain_names_the_member_that_serves_and_each_providers_slots(tmp_path: Path) -> None:
    store = await open_store(f"sqlite:///{tmp_path / 'dagi.db'}")
    await AdminSettings(store.db).put(DISABLED, ["a"])  # /admin model off a
    await store.close()
    config = write(tmp_path, POOLED)
    async with FakeLLM() as a, FakeLLM() as b:
        a.load("qwen3:8b", context_length=4 * 4096, keep_alive=1500)  # OLLAMA_NUM_PARALLEL=4 on an older Ollama
        env = {"A_URL": a.url, "B_URL": b.url, "CLOUD_KEY": "k", "DATABASE_URL": f"sqlite:///{tmp_path / 'dagi.db'}"}
        code, out, err = await run_cli(tmp_path, "explain", "--config", str(config), env=env)
        assert code == 0, err
        assert "  1. pool:gpu  the least busy usable member serves:" in out
        assert "     a:qwen3:8b  skipped: switched off by an admin" in out
        assert "  →  b:qwen3:8b  serves now: least busy (0/3 in flight, closed)" in out
        assert "  2. cloud:gpt-4o-mini  closed; quota: no limits; slots: 0/8 in flight" in out
        assert "  a: 0/4 in flight, 0 waiting; size 4 (its /api/ps shows it)" in out
        assert "    shares: vision 50 % = 2; other modes up to 4" in out
        assert "    loaded: qwen3:8b, keep_alive until " in out and "context 16384, parallel 4" in out
        assert "  b: 0/3 in flight, 0 waiting; size 3 (max_concurrency in router.yaml)" in out
        assert "    queue_timeout 0.2 s, max_queue 5, max_wait 120 s" in out
        assert "    loaded: none (keep_alive ran out)" in out
        assert {r.path for r in a.requests + b.requests} == {"/api/ps"}  # no model was called

        code, out, err = await run_cli(tmp_path, "explain", "--config", str(config), "--local-only", env=env)
        assert "(skipped: not local, and the request is local-only)" in out and "local_only=true" in out
