"""Conversation summaries in the database, on SQLite and Postgres: saved only while still true, scoped to one
conversation, cleared by /reset, deleted with every user whose words went in, pruned with old history."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from storage.db import Database, migrate, open_engine
from storage.models import Message, utcnow
from storage.retention import RetentionStore
from storage.store import Answer, Inbound, Scope, Store
from storage.summaries import SummaryStore

ME, OTHER, GROUP = 1001, 2002, -100777


@pytest.fixture
async def stores(database_url: str):
    db = Database(open_engine(database_url))
    await db.call(migrate, db.engine)
    yield Store(db), SummaryStore(db)
    await db.close()


async def talk(store: Store, scope: Scope, user: int, *texts: str, conversation: int = 1) -> None:
    for i, text in enumerate(texts):
        tg = len(await store.history(scope, conversation, limit=1000)) + 1 + i * 1000 + user
        inbound = Inbound(scope=scope, user_id=user, text=text, agent="helion", conversation=conversation,
                          tg_message_id=tg, chat_type="private" if scope.chat_id > 0 else "supergroup")
        iid = await store.record_inbound(inbound)
        assert iid is not None
        await store.record_answer(inbound, iid, Answer(text=f"echo: {text}", agent="helion"))


async def test_a_summary_rolls_forward_and_only_from_where_it_was(stores) -> None:
    store, summaries = stores
    scope = Scope("main", ME)
    await talk(store, scope, ME, "Мене звати Оксана", "Код воріт 4471", "Що далі?")
    said = await summaries.unsummarised(scope, 1, 0, 100)
    assert [m.role for m in said] == ["user", "assistant"] * 3 and said[0].text == "Мене звати Оксана"
    assert said[0].key == said[1].key < said[2].key and said[0].user_id == ME and said[1].user_id is None
    assert await summaries.get(scope, 1) is None

    assert await summaries.save(scope, 1, text="- Оксана", expected=0, folded=said[:2])
    first = await summaries.get(scope, 1)
    assert first is not None and first.text == "- Оксана" and first.turns == 2 and first.covered == said[0].key
    assert [m.text for m in await summaries.unsummarised(scope, 1, first.covered, 100)][0] == "Код воріт 4471"
    # A second writer that read the old state (another replica) cannot overwrite the newer summary.
    assert not await summaries.save(scope, 1, text="- stale", expected=0, folded=said[:4])
    assert await summaries.save(scope, 1, text="- Оксана\n- 4471", expected=first.covered, folded=said[2:4])
    fresh = SummaryStore(store.db)  # read from the database, not this process's cache
    again = await fresh.get(scope, 1)
    assert again is not None and again.text == "- Оксана\n- 4471" and again.turns == 4
    assert await fresh.get(Scope("main", OTHER), 1) is None and await fresh.get(Scope("main", ME, 5), 1) is None


async def test_a_reset_or_a_forgotten_message_meanwhile_means_nothing_is_saved(stores) -> None:
    store, summaries = stores
    scope = Scope("main", ME)
    await talk(store, scope, ME, "Таємниця 1", "Таємниця 2")
    said = await summaries.unsummarised(scope, 1, 0, 100)
    await store.reset(scope)  # /reset while the model was writing the summary
    assert not await summaries.save(scope, 1, text="- old", expected=0, folded=said)
    assert await SummaryStore(store.db).get(scope, 1) is None

    group = Scope("main", GROUP)
    await talk(store, group, OTHER, "Петро: план на травень")
    await talk(store, group, ME, "Оксана: код 4471")
    said = await summaries.unsummarised(group, 1, 0, 100)
    await RetentionStore(store.db).erase_user(ME, today="2000-01-01", keep_roles=())  # /forget meanwhile
    assert not await summaries.save(group, 1, text="- код 4471", expected=0, folded=said)


async def test_reset_clears_forget_deletes_every_summary_holding_the_users_words(stores) -> None:
    store, summaries = stores
    mine, group, other = Scope("main", ME), Scope("main", GROUP), Scope("main", OTHER)
    await talk(store, mine, ME, "моє")
    await talk(store, group, OTHER, "Петро пише")
    await talk(store, group, ME, "Оксана пише")
    await talk(store, other, OTHER, "Петрове")
    for scope in (mine, group, other):
        said = await summaries.unsummarised(scope, 1, 0, 100)
        assert await summaries.save(scope, 1, text=f"- {scope.chat_id}", expected=0, folded=said)

    assert await summaries.clear(Scope("main", ME, 9)) == 0  # another topic's /reset leaves this one
    erased = await RetentionStore(store.db).erase_user(ME, today="2000-01-01", keep_roles=())
    assert {ME, GROUP} <= erased.chat_ids
    fresh = SummaryStore(store.db)
    assert await fresh.get(mine, 1) is None and await fresh.get(group, 1) is None  # the group's held her words
    assert await fresh.get(other, 1) is not None
    assert await summaries.clear(other) == 1 and await summaries.get(other, 1) is None


async def test_retention_prunes_summaries_left_untouched(stores) -> None:
    store, summaries = stores
    scope = Scope("main", ME)
    await talk(store, scope, ME, "стара розмова")
    said = await summaries.unsummarised(scope, 1, 0, 100)
    assert await summaries.save(scope, 1, text="- old", expected=0, folded=said)
    assert await summaries.prune(utcnow() - timedelta(days=1)) == 0
    assert await summaries.prune(utcnow() + timedelta(seconds=1)) == 1
    assert await summaries.get(scope, 1) is None


async def test_retention_drops_a_summary_once_its_oldest_message_passes_the_cutoff(stores) -> None:
    store, summaries = stores
    scope, fresh_scope = Scope("main", ME), Scope("main", OTHER)
    await talk(store, scope, ME, "Код воріт 4471", "Що далі?", "І ще")
    await talk(store, fresh_scope, OTHER, "свіже")
    said = await summaries.unsummarised(scope, 1, 0, 100)
    old = [m.id for m in said[:2]]  # the first exchange was written 100 days ago
    await store.db.run(lambda c: c.execute(update(Message).where(Message.id.in_(old))
                                           .values(created_at=utcnow() - timedelta(days=100))))
    said = await summaries.unsummarised(scope, 1, 0, 100)
    assert await summaries.save(scope, 1, text="- 4471", expected=0, folded=said[:2])
    assert await summaries.save(scope, 1, text="- 4471\n- далі", expected=said[0].key, folded=said[2:4])
    mine = await summaries.unsummarised(fresh_scope, 1, 0, 100)
    assert await summaries.save(fresh_scope, 1, text="- свіже", expected=0, folded=mine)
    # Updated a moment ago, yet it holds a fact from a message retention deletes (90 days): it goes too.
    assert await summaries.prune(utcnow() - timedelta(days=90)) == 1
    assert await SummaryStore(store.db).get(scope, 1) is None
    assert await SummaryStore(store.db).get(fresh_scope, 1) is not None


async def test_a_question_answered_late_is_not_folded_past(stores) -> None:
    store, summaries = stores
    group = Scope("main", GROUP)
    await talk(store, group, ME, "перше")
    late = Inbound(scope=group, user_id=OTHER, text="Петрове пізнє", agent="helion", conversation=1,
                   tg_message_id=500, chat_type="supergroup")
    late_id = await store.record_inbound(late)  # its replica died: it waits for the lease
    assert late_id is not None
    await talk(store, group, ME, "друге", "третє")
    said = await summaries.unsummarised(group, 1, 0, 100)
    assert [m.text for m in said] == ["перше", "echo: перше"]  # nothing past the waiting question
    assert await summaries.save(group, 1, text="- перше", expected=0, folded=said)
    await store.record_answer(late, late_id, Answer(text="echo: пізнє", agent="helion"))
    summary = await summaries.get(group, 1)
    assert summary is not None
    rest = [m.text for m in await summaries.unsummarised(group, 1, summary.covered, 100)]
    assert rest[:2] == ["Петрове пізнє", "echo: пізнє"] and "третє" in rest  # still ahead of the summary
