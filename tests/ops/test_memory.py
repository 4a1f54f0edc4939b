"""The summariser's background life: one fold per conversation at a time, a failure waits before the next try,
tiny models are never asked, and a switched-off memory does nothing."""
from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

from agents.memory import Who
from ops.memory import RETRY_AFTER, Memory, MemorySettings
from router.config import build_router, load_router_config
from router.testing import FakeLLM
from router.types import ChatMessage, ChatRequest, Target
from storage.db import Database, migrate, open_engine
from storage.records import Scope
from storage.store import Answer, Inbound, Store
from storage.summaries import SummaryStore

SCOPE, OTHER = Scope("main", 1001), Scope("main", 2002)
SHIPPED = Path(__file__).resolve().parents[2] / "config" / "router.yaml"
SUMMARISER = "You keep the memory of a long chat"
LONG = "Довгий текст без чисел про сад і погоду. " * 40


async def setup(tmp_path: Path, llm: FakeLLM, use: str = "[ollama:qwen3:8b]", *, ollama: str = "",
                extra: str = "", exchanges: int = 4, scopes: tuple[Scope, ...] = (SCOPE,),
                **settings: int) -> tuple[Store, Memory, list[float]]:
    tmp_path.mkdir(exist_ok=True)
    (tmp_path / "router.yaml").write_text(f"""
providers:
  ollama: {{kind: ollama, base_url: "{llm.url}", local: true, timeouts: {{connect: 1, first_token: 3, total: 10}}
           {ollama}}}
  tiny: {{kind: ollama, base_url: "{llm.url}", local: true, tiny: true}}
  {extra}
rules:
  - {{when: {{mode: summary}}, use: {use}}}
  - use: [ollama:qwen3:8b]
""")
    env = {"BACKUP_KEY": "k"}
    router = build_router(load_router_config(tmp_path / "router.yaml", env), env, data_dir=tmp_path)
    db = Database(open_engine(f"sqlite:///{tmp_path}/m.db"))
    await db.call(migrate, db.engine)
    store = Store(db)
    for scope in scopes:
        for i in range(exchanges):
            inbound = Inbound(scope=scope, user_id=1001, text=f"{LONG} #{i}#", agent="helion", conversation=1,
                              tg_message_id=i + 1)
            iid = await store.record_inbound(inbound)
            assert iid is not None
            await store.record_answer(inbound, iid, Answer(text=f"echo {LONG}", agent="helion"))
    clock = [0.0]
    memory = Memory(SummaryStore(db), router, MemorySettings(**settings), clock=lambda: clock[0])
    return store, memory, clock


async def answered(store: Store, memory: Memory, scope: Scope = SCOPE, history_tokens: int = 3000) -> None:
    turns = await store.history(scope, 1, limit=40)
    memory.after_answer(scope, 1, turns, await memory.show(scope, 1), history_tokens=history_tokens,
                        language="Ukrainian", who=Who(agent="helion", chat_id=scope.chat_id, user_id=1001))


async def test_one_fold_at_a_time_and_a_failure_waits_before_the_next_try(tmp_path: Path, llm: FakeLLM) -> None:
    store, memory, clock = await setup(tmp_path, llm)
    llm.fail("500")
    await answered(store, memory)
    await answered(store, memory)  # the first fold is still running: no second one
    await memory.settled()
    assert len(llm.chat_requests()) == 1 and await memory.show(SCOPE, 1) is None
    await answered(store, memory)  # within RETRY_AFTER of the failure: not yet
    assert not memory._running
    clock[0] += RETRY_AFTER + 1
    llm.reply("- the user writes about a garden")
    await answered(store, memory)
    await memory.settled()
    summary = await memory.show(SCOPE, 1)
    assert summary is not None and summary.text == "- the user writes about a garden" and summary.turns >= 2
    await store.close()


async def test_tiny_models_never_summarise_and_a_switched_off_memory_does_nothing(tmp_path: Path,
                                                                                   llm: FakeLLM) -> None:
    store, memory, _ = await setup(tmp_path, llm, use="[tiny:qwen3:8b]")
    await answered(store, memory)
    await memory.settled()
    assert not llm.chat_requests() and await memory.show(SCOPE, 1) is None
    await store.close()
    store, memory, _ = await setup(tmp_path / "off", llm, enabled=False)
    await answered(store, memory)
    assert not memory._running and await memory.show(SCOPE, 1) is None
    await store.close()


async def until(done: Callable[[], bool], what: str) -> None:
    """Poll until `done()`; fail (only on a broken path) when it never comes."""
    for _ in range(500):
        if done():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"never happened: {what}")


def summaries_asked(llm: FakeLLM) -> list[str]:
    return [r.json["messages"][1]["content"] for r in llm.chat_requests()
            if r.json["messages"][0]["content"].startswith(SUMMARISER)]


async def test_a_first_fold_starts_at_the_history_window_and_takes_a_few_rounds_at_most(tmp_path: Path,
                                                                                        llm: FakeLLM) -> None:
    # 30 exchanges and no summary yet (an upgrade, or /forget in a group): the model saw only the newest 40 messages.
    store, memory, _ = await setup(tmp_path, llm, exchanges=30)
    llm.responder = lambda messages: "- notes"
    await answered(store, memory)
    await memory.settled()
    asked = summaries_asked(llm)
    assert 1 <= len(asked) <= 3  # a few rounds, not one per 3000 tokens of a whole conversation
    assert "#10#" in asked[0] and not any(f"#{i}#" in a for a in asked for i in range(10))
    summary = await memory.show(SCOPE, 1)
    assert summary is not None and summary.text == "- notes"
    await store.close()


async def test_a_queued_fold_whose_summary_was_pruned_meanwhile_starts_at_the_window_not_the_first_message(
        tmp_path: Path, llm: FakeLLM) -> None:
    store, memory, _ = await setup(tmp_path, llm, exchanges=30)
    llm.responder = lambda messages: "- notes"
    await answered(store, memory)
    await memory.settled()
    for i in range(30, 40):  # the chat goes on: a fold is due again
        inbound = Inbound(scope=SCOPE, user_id=1001, text=f"{LONG} #{i}#", agent="helion", conversation=1,
                          tg_message_id=i + 1)
        iid = await store.record_inbound(inbound)
        assert iid is not None
        await store.record_answer(inbound, iid, Answer(text=f"echo {LONG}", agent="helion"))
    first = len(summaries_asked(llm))
    async with memory._turn:  # another chat's fold holds the process's turn
        await answered(store, memory)
        # Meanwhile retention (or a group member's /forget) deletes the summary the fold was queued for.
        assert await memory.prune(datetime.now(UTC) + timedelta(days=1)) == 1
    await memory.settled()
    asked = summaries_asked(llm)[first:]
    assert asked and not any(f"#{i}#" in a for a in asked for i in range(10)), "the oldest exchanges came back"
    await store.close()


async def test_one_fold_at_a_time_per_process_the_others_wait_their_turn(tmp_path: Path, llm: FakeLLM) -> None:
    store, memory, _ = await setup(tmp_path, llm, scopes=(SCOPE, OTHER))
    llm.responder = lambda messages: "- notes"
    llm.pause()
    await answered(store, memory, SCOPE)
    await answered(store, memory, OTHER)
    await llm.wait_requests(1)
    for _ in range(20):  # time for a second fold to reach the model, were it allowed to
        await asyncio.sleep(0.01)
    assert len(memory._running) == 2 and len(llm.chat_requests()) == 1
    llm.resume()
    await memory.settled()
    assert llm.slots.max_in_flight == 1
    assert await memory.show(SCOPE, 1) is not None and await memory.show(OTHER, 1) is not None
    await store.close()


async def test_an_answer_finds_a_slot_while_summaries_hold_their_share(tmp_path: Path, llm: FakeLLM) -> None:
    # ONE local server for answers and summaries, two slots; the shipped share for summaries. Even with two folds
    # allowed at once, summaries never hold every slot: the answer starts at once, it never queues behind them.
    shares = yaml.safe_load(SHIPPED.read_text())["providers"]["ollama"]["shares"]
    assert 0 < shares["summary"] <= 0.5
    llm.parallel = 2
    store, memory, _ = await setup(tmp_path, llm, ollama=f", max_concurrency: 2, shares: {shares}",
                                   scopes=(SCOPE, OTHER), folds=2)
    llm.responder = lambda messages: "- notes" if messages[0]["content"].startswith(SUMMARISER) else "answer"
    capacity = memory.router.capacity
    llm.pause()  # the model holds every call it takes
    await answered(store, memory, SCOPE)
    await answered(store, memory, OTHER)
    await until(lambda: len(llm.chat_requests()) + capacity.waiting["ollama"] == 2, "both summaries asked for")

    async def answer() -> str:
        request = ChatRequest(messages=(ChatMessage("user", "Як справи?"),), chat_id=1001, user_id=1001)
        return "".join([d.text async for d in memory.router.stream(request)])
    reply = asyncio.create_task(answer())
    await until(lambda: len(llm.chat_requests()) - len(summaries_asked(llm)) == 1, "the answer reaches the model")
    assert len(summaries_asked(llm)) == 1 and llm.slots.waited == 0  # one summary held; the answer never queued
    llm.resume()
    assert await reply == "answer"
    await memory.settled()
    assert await memory.show(SCOPE, 1) is not None and await memory.show(OTHER, 1) is not None
    await store.close()


async def test_a_busy_local_model_never_sends_a_summary_to_the_cloud_fallback(tmp_path: Path, llm: FakeLLM) -> None:
    backup = f"backup: {{kind: openai, base_url: \"{llm.openai_url}\", api_key_env: BACKUP_KEY}}"
    store, memory, _ = await setup(tmp_path, llm, "[ollama:qwen3:8b, backup:gpt-4o-mini]", extra=backup,
                                   ollama=", max_concurrency: 1, queue_timeout: 0")
    llm.responder = lambda messages: "- notes"
    capacity = memory.router.capacity
    held = capacity.take([Target("ollama", "qwen3:8b")], "chat")  # an answer holds the only local slot
    assert held is not None
    await answered(store, memory)
    await until(lambda: capacity.waiting["ollama"] == 1 or not memory._running, "the summary waits or ends")
    capacity.release(held)
    await memory.settled()
    assert not [r for r in llm.requests if r.path == "/v1/chat/completions"]  # it waited for the local slot
    assert len(summaries_asked(llm)) == 1 and await memory.show(SCOPE, 1) is not None
    await store.close()


async def test_a_persona_without_room_for_a_summary_gets_none_and_causes_no_folds(tmp_path: Path,
                                                                                    llm: FakeLLM) -> None:
    store, memory, _ = await setup(tmp_path, llm)
    for tokens in (0, 800):  # a stateless persona; one whose budget a summary would fill
        await answered(store, memory, history_tokens=tokens)
        assert not memory._running
    await answered(store, memory)
    await memory.settled()
    assert len(llm.chat_requests()) == 1 and await memory.show(SCOPE, 1) is not None
    assert await memory.recall(SCOPE, 1, 0) is None and await memory.recall(SCOPE, 1, 800) is None
    assert await memory.recall(SCOPE, 1, 3000) is not None
    await store.close()
