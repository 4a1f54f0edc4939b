"""The summariser's background life: one fold per conversation at a time, a failure waits before the next try,
tiny models are never asked, and a switched-off memory does nothing."""
from __future__ import annotations

from pathlib import Path

from agents.memory import Who
from ops.memory import RETRY_AFTER, Memory, MemorySettings
from router.config import build_router, load_router_config
from router.testing import FakeLLM
from storage.db import Database, migrate, open_engine
from storage.records import Scope
from storage.store import Answer, Inbound, Store
from storage.summaries import SummaryStore

SCOPE = Scope("main", 1001)
LONG = "Довгий текст без чисел про сад і погоду. " * 40


async def setup(tmp_path: Path, llm: FakeLLM, use: str = "[ollama:qwen3:8b]",
                **settings: bool) -> tuple[Store, Memory, list[float]]:
    tmp_path.mkdir(exist_ok=True)
    (tmp_path / "router.yaml").write_text(f"""
providers:
  ollama: {{kind: ollama, base_url: "{llm.url}", local: true, timeouts: {{connect: 1, first_token: 3, total: 10}}}}
  tiny: {{kind: ollama, base_url: "{llm.url}", local: true, tiny: true}}
rules:
  - {{when: {{mode: summary}}, use: {use}}}
  - use: [ollama:qwen3:8b]
""")
    router = build_router(load_router_config(tmp_path / "router.yaml", {}), {}, data_dir=tmp_path)
    db = Database(open_engine(f"sqlite:///{tmp_path}/m.db"))
    await db.call(migrate, db.engine)
    store = Store(db)
    for i in range(4):
        inbound = Inbound(scope=SCOPE, user_id=1001, text=f"{LONG} {i}", agent="helion", conversation=1,
                          tg_message_id=i + 1)
        iid = await store.record_inbound(inbound)
        assert iid is not None
        await store.record_answer(inbound, iid, Answer(text=f"echo {LONG}", agent="helion"))
    clock = [0.0]
    memory = Memory(SummaryStore(db), router, MemorySettings(**settings), clock=lambda: clock[0])
    return store, memory, clock


async def answered(store: Store, memory: Memory) -> None:
    turns = await store.history(SCOPE, 1)
    memory.after_answer(SCOPE, 1, turns, await memory.recall(SCOPE, 1), history_tokens=3000, language="Ukrainian",
                        who=Who(agent="helion", chat_id=1001, user_id=1001))


async def test_one_fold_at_a_time_and_a_failure_waits_before_the_next_try(tmp_path: Path, llm: FakeLLM) -> None:
    store, memory, clock = await setup(tmp_path, llm)
    llm.fail("500")
    await answered(store, memory)
    await answered(store, memory)  # the first fold is still running: no second one
    await memory.settled()
    assert len(llm.chat_requests()) == 1 and await memory.recall(SCOPE, 1) is None
    await answered(store, memory)  # within RETRY_AFTER of the failure: not yet
    assert not memory._running
    clock[0] += RETRY_AFTER + 1
    llm.reply("- the user writes about a garden")
    await answered(store, memory)
    await memory.settled()
    summary = await memory.recall(SCOPE, 1)
    assert summary is not None and summary.text == "- the user writes about a garden" and summary.turns >= 2
    await store.close()


async def test_tiny_models_never_summarise_and_a_switched_off_memory_does_nothing(tmp_path: Path,
                                                                                   llm: FakeLLM) -> None:
    store, memory, _ = await setup(tmp_path, llm, use="[tiny:qwen3:8b]")
    await answered(store, memory)
    await memory.settled()
    assert not llm.chat_requests() and await memory.recall(SCOPE, 1) is None
    await store.close()
    store, memory, _ = await setup(tmp_path / "off", llm, enabled=False)
    await answered(store, memory)
    assert not memory._running and await memory.recall(SCOPE, 1) is None
    await store.close()
