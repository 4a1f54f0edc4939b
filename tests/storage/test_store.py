"""The store: exactly-once inbound, history, answers, recovery — inline and on the DB thread, SQLite and Postgres."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import delete, select

from storage.db import Database, migrate, open_engine
from storage.models import Message
from storage.store import Answer, Inbound, Scope, Store, open_store


@pytest.fixture(params=["sqlite-inline", "sqlite-thread", "postgres"])
async def store(request: pytest.FixtureRequest, tmp_path: Path):
    """A migrated store; "sqlite-thread" runs SQLite's statements the way a network database (Postgres) does."""
    if request.param == "postgres":
        db = Database(open_engine(request.getfixturevalue("postgres_url")))
    else:
        db = Database(open_engine(f"sqlite:///{tmp_path}/s.db"), inline=request.param == "sqlite-inline")
    await db.call(migrate, db.engine)
    s = Store(db)
    yield s
    await s.close()


def _msg(scope: Scope, text: str, tg_id: int, conversation: int = 1) -> Inbound:
    return Inbound(scope=scope, user_id=7, text=text, agent="helion", conversation=conversation, tg_message_id=tg_id)


async def test_redelivered_message_is_stored_once(store: Store) -> None:
    scope = Scope("main", 7)
    first = await store.record_inbound(_msg(scope, "привіт", 100))
    assert first is not None
    assert await store.record_inbound(_msg(scope, "привіт", 100)) is None
    assert [p.id for p in await store.pending(["main"])] == [first]


async def test_answered_turns_form_the_history_and_pending_empties(store: Store) -> None:
    scope = Scope("main", 7, 3)
    inbound = _msg(scope, "що таке EcoMiner?", 1)
    iid = await store.record_inbound(inbound)
    assert await store.history(scope, 1) == []  # a pending message is not history yet
    await store.record_answer(inbound, iid, Answer("когенераційна установка", "helion", "ollama", "qwen3:8b", 5, 3))
    failed = _msg(scope, "а ще?", 2)
    await store.record_failure(await store.record_inbound(failed), "model down")
    turns = await store.history(scope, 1)
    expected = [("user", "що таке EcoMiner?"), ("assistant", "когенераційна установка")]
    assert [(t.role, t.text) for t in turns] == expected
    assert await store.pending() == []
    assert await store.history(Scope("main", 7, 4), 1) == []  # another topic sees nothing


async def test_state_and_history_survive_reopening(database_url: str) -> None:
    # Async URLs are accepted and mapped to a sync driver; a Postgres URL without a driver gets psycopg.
    url = database_url.replace("sqlite:", "sqlite+aiosqlite:", 1).replace("postgresql+psycopg:", "postgresql:", 1)
    store = await open_store(url)
    scope = Scope("helion", -100, 0)
    await store.set_agent(scope, "greenfood", "supergroup")
    inbound = _msg(scope, "партія 12", 5)
    await store.record_answer(inbound, await store.record_inbound(inbound), Answer("готово", "greenfood"))
    assert await store.reset(scope) == 2
    await store.close()
    again = await open_store(url)
    state = await again.chat_state(scope)
    assert (state.agent, state.conversation) == ("greenfood", 2)
    assert [t.text for t in await again.history(scope, 1)] == ["партія 12", "готово"]
    assert await again.history(scope, 2) == []
    await again.close()


async def test_history_after_a_restart_pairs_each_answer_with_its_question(database_url: str) -> None:
    url = database_url
    store = await open_store(url)
    scope = Scope("main", 7)
    q1, q2 = _msg(scope, "Q1", 1), _msg(scope, "Q2", 2)
    id1, id2 = await store.record_inbound(q1), await store.record_inbound(q2)  # both arrived before any answer
    await store.record_answer(q1, id1, Answer("A1", "helion"))
    await store.record_answer(q2, id2, Answer("A2", "helion"))
    live = [t.text for t in await store.history(scope, 1)]
    await store.close()
    again = await open_store(url)
    assert [t.text for t in await again.history(scope, 1)] == live == ["Q1", "A1", "Q2", "A2"]
    await again.close()


async def test_an_in_memory_database_works_for_quick_trials() -> None:
    store = await open_store("sqlite://")
    scope = Scope("main", 1)
    await store.set_agent(scope, "helion", "private")
    assert (await store.chat_state(scope)).agent == "helion"
    await store.close()


async def test_chat_settings_survive_a_restart_and_keep_the_agent(database_url: str) -> None:
    url = database_url
    store = await open_store(url)
    scope = Scope("main", -5, 2)
    await store.set_agent(scope, "helion", "supergroup")
    await store.set_chat_flags(scope, "supergroup", handoff=False, local_only=True)
    await store.reset(scope, "supergroup")
    await store.close()
    again = await open_store(url)
    state = await again.chat_state(scope)
    assert (state.agent, state.conversation, state.handoff, state.local_only) == ("helion", 2, False, True)
    fresh = await again.chat_state(Scope("main", -5, 3))
    assert (fresh.handoff, fresh.local_only) == (True, False), "another topic keeps the defaults"
    await again.close()


async def test_a_photo_left_unanswered_by_a_crash_keeps_its_images_and_mode(store: Store) -> None:
    scope = Scope("main", 7)
    photo = Inbound(scope=scope, user_id=7, text="", agent="greenfood", conversation=1, tg_message_id=5,
                    attachments=("file-a", "file-b"), mode="ocr")
    iid = await store.record_inbound(photo)
    [pending] = await store.pending(["main"])
    assert pending.inbound.attachments == ("file-a", "file-b") and pending.inbound.mode == "ocr"
    await store.record_answer(photo, iid, Answer("🧾 Чек", "greenfood", "ollama", "llava:7b", 5, 3))
    store._turns.clear()  # as after a restart: history read back from the database
    [asked, _] = await store.history(scope, 1)
    assert asked.attachments == ("file-a", "file-b")  # a follow-up can still see the photo


async def test_an_answer_to_a_message_deleted_meanwhile_is_not_stored(store: Store) -> None:
    scope = Scope("main", 7)
    inbound = _msg(scope, "мій діагноз", 1)
    iid = await store.record_inbound(inbound)
    await store.history(scope, 1)  # the history is cached, as in a running bot
    # /forget deletes the user's messages while the answer is still streaming
    await store.db.run(lambda c: c.execute(delete(Message).where(Message.id == iid)))
    store.drop_cached([7])
    await store.record_answer(inbound, iid, Answer("відповідь про діагноз", "helion"))
    rows = await store.db.run(lambda c: c.execute(select(Message.text)).all())
    assert rows == [] and await store.history(scope, 1) == []


async def test_a_nul_character_from_a_user_or_a_model_is_stored_without_it(store: Store) -> None:
    # Postgres text cannot hold NUL (the insert failed there, and the answer was never marked done).
    scope = Scope("main", 7)
    inbound = _msg(scope, "при\x00віт", 1)
    iid = await store.record_inbound(inbound)
    assert iid is not None
    await store.record_answer(inbound, iid, Answer("від\x00повідь", "helion", error="cut\x00"))
    failed = await store.record_inbound(_msg(scope, "ще", 2))
    assert failed is not None
    await store.record_failure(failed, "model said \x00")
    rows = await store.db.run(lambda c: c.execute(select(Message.text, Message.status, Message.error)
                                                  .order_by(Message.id)).all())
    assert [tuple(r) for r in rows] == [("привіт", "done", None), ("відповідь", "done", "cut"),
                                        ("ще", "failed", "model said ")]
