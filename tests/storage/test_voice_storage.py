"""Voice in storage: the 0008 migration, a chat's voice switch, voice notes turned into text, seconds of speech."""
from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from sqlalchemy import insert, select, text

from storage.db import Database, alembic_config, head_revisions, migrate, open_engine, stored_revisions
from storage.models import Chat, Usage
from storage.records import Answer, Inbound, Scope, UsageRow
from storage.store import open_store
from storage.usage import UsageLedger

DAY = "2026-11-30"
AT = datetime(2026, 11, 30, 10, tzinfo=UTC)
HERE = Scope("main", 7)
VOICE_FILE = "AwACAgIAAxkBAAIBQ2VvaWNlLW5vdGU"  # a Telegram file id, as the bot stores it


def _upgrade(engine, revision: str) -> None:
    with engine.begin() as conn:
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def _row(**kw: object) -> UsageRow:
    fields: dict[str, object] = dict(at=AT, day=DAY, provider="whisper", model="base", outcome="ok", chat_id=7,
                                     user_id=7, agent="helion", mode="stt")
    return UsageRow(**{**fields, **kw})


async def test_a_fresh_database_has_the_voice_columns_and_old_style_inserts_get_the_defaults(database_url: str) -> None:
    engine = open_engine(database_url)
    migrate(engine)
    with engine.begin() as conn:
        assert stored_revisions(conn) == head_revisions()  # 0008 or a later one
        # Written without the new columns (as code of the previous release does): the database fills them in.
        conn.execute(text("INSERT INTO chats (bot, chat_id, thread_id, chat_type, conversation, updated_at) "
                          "VALUES ('main', 5, 0, 'private', 1, '2026-11-30')"))
        conn.execute(text("INSERT INTO usage (created_at, day, bot, chat_id, user_id, agent, mode, provider, model, "
                          "tokens_in, tokens_out, cost, latency_ms, outcome) VALUES ('2026-11-30', '2026-11-30', "
                          "'main', 5, 5, '', 'chat', 'ollama', 'qwen', 1, 1, 0, 1, 'ok')"))
        assert conn.execute(select(Chat.voice)).scalar_one() is False
        assert conn.execute(select(Usage.audio_seconds)).scalar_one() == 0.0
    engine.dispose()


async def test_a_database_at_0007_keeps_its_rows_with_voice_off_and_no_seconds(database_url: str) -> None:
    url = database_url
    engine = open_engine(url)
    _upgrade(engine, "0007")  # as the previous release left it
    with engine.begin() as conn:
        conn.execute(insert(Chat).values(bot="main", chat_id=7, thread_id=0, agent="helion", conversation=3,
                                         web_search=False, kb_files=True, updated_at=AT))
        conn.execute(insert(Usage).values(created_at=AT, day=DAY, provider="groq", model="llama", outcome="ok",
                                          user_id=7, chat_id=7, tokens_in=10, tokens_out=5))
    engine.dispose()

    store = await open_store(url)  # migrates on open
    state = await store.chat_state(HERE)
    assert (state.agent, state.conversation, state.web_search, state.kb_files, state.voice) == (
        "helion", 3, False, True, False)
    ledger = UsageLedger(store.db)
    assert await ledger.audio_seconds("user", 7, DAY) == 0.0
    await ledger.record(_row(audio_seconds=4.5))
    assert await ledger.audio_seconds("user", 7, DAY) == 4.5
    assert (await store.set_chat_flags(HERE, voice=True)).voice is True
    await store.close()


async def test_the_migration_goes_down_to_0007_and_up_again(database_url: str) -> None:
    engine = open_engine(database_url)
    migrate(engine)
    with engine.begin() as conn:
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0007")
        assert stored_revisions(conn) == frozenset({"0007"})
        assert "voice" not in {c["name"] for c in conn.dialect.get_columns(conn, "chats")}
    migrate(engine)
    with engine.connect() as conn:
        assert stored_revisions(conn) == head_revisions()  # 0008 or a later one
    engine.dispose()


async def test_a_chats_voice_switch_is_kept_across_a_restart_with_its_other_settings(database_url: str) -> None:
    url = database_url
    store = await open_store(url)
    assert (await store.chat_state(HERE)).voice is False  # off by default
    await store.set_agent(HERE, "helion")
    await store.set_chat_flags(HERE, voice=True, web_search=False)
    group = Scope("main", -500, 12)
    await store.set_chat_flags(group, "supergroup", voice=True)  # a forum topic never seen before: inserted
    await store.close()

    again = await open_store(url)  # a new process: nothing cached
    state = await again.chat_state(HERE)
    assert (state.agent, state.voice, state.web_search, state.handoff) == ("helion", True, False, True)
    assert (await again.chat_state(group)).voice is True
    assert (await again.chat_state(Scope("main", -500))).voice is False  # another topic of that group
    await again.set_chat_flags(HERE, handoff=False)  # changing another setting leaves voice as it was
    await again.close()
    third = await open_store(url)
    assert ((await third.chat_state(HERE)).voice, (await third.chat_state(HERE)).handoff) == (True, False)
    await third.close()


async def test_a_transcribed_voice_note_is_recovered_and_remembered_as_plain_text(database_url: str) -> None:
    url = database_url
    store = await open_store(url)
    note = Inbound(HERE, 7, "", "helion", 1, tg_message_id=50, attachments=(VOICE_FILE,), mode="voice")
    photo = Inbound(HERE, 7, "що тут?", "helion", 1, tg_message_id=51, attachments=("photo-id",))
    note_id, photo_id = await store.record_inbound(note), await store.record_inbound(photo)
    assert note_id is not None and photo_id is not None

    [first, _] = await store.pending()  # a crash before it was heard: the file id is there to hear it again
    assert (first.inbound.mode, first.inbound.attachments) == ("voice", (VOICE_FILE,))

    await store.transcribed(note_id, "Яка погода завтра?")
    await store.close()
    again = await open_store(url)  # a crash after it was heard: the text is answered, the note not heard twice
    [heard, other] = await again.pending()
    assert heard.id == note_id and heard.inbound.text == "Яка погода завтра?"
    assert (heard.inbound.mode, heard.inbound.attachments) == ("chat", ())
    assert (other.inbound.mode, other.inbound.attachments) == ("chat", ("photo-id",))  # only that row changed

    await again.record_answer(heard.inbound, note_id, Answer("Сонячно.", "helion"))
    await again.close()
    third = await open_store(url)
    turns = await third.history(HERE, 1)
    assert [(t.role, t.text, t.attachments) for t in turns] == [
        ("user", "Яка погода завтра?", ()), ("assistant", "Сонячно.", ())]  # never taken for a photo
    await third.close()


async def test_seconds_heard_per_user_chat_and_day_and_the_days_totals(database_url: str) -> None:
    db = Database(open_engine(database_url))
    await db.call(migrate, db.engine)
    ledger = UsageLedger(db)
    await ledger.record(_row(audio_seconds=10.5, chat_id=-5))  # user 7 in the group
    await ledger.record(_row(audio_seconds=4.0))  # user 7 in private
    await ledger.record(_row(audio_seconds=20.0, chat_id=-5, user_id=8))
    await ledger.record(_row(audio_seconds=30.0, outcome="timeout"))  # not heard: costs nothing
    await ledger.record(_row(audio_seconds=12.0, mode="tts", provider="piper", model="joe"))  # spoken, not heard
    await ledger.record(_row(audio_seconds=7.0, day="2026-12-01"))  # the next day

    assert await ledger.audio_seconds("user", 7, DAY) == 14.5
    assert await ledger.audio_seconds("user", 8, DAY) == 20.0
    assert await ledger.audio_seconds("chat", -5, DAY) == 30.5
    assert await ledger.audio_seconds("chat", 7, DAY) == 4.0
    assert await ledger.audio_seconds("user", 7, "2026-12-01") == 7.0
    assert await ledger.audio_seconds("user", 9, DAY) == 0.0
    assert await ledger.audio_totals(DAY) == (34.5, 12.0)
    assert await ledger.audio_totals("2026-11-01") == (0.0, 0.0)
    rows = await db.run(lambda c: c.execute(select(Usage.mode, Usage.audio_seconds).order_by(Usage.id)).all())
    assert [tuple(r) for r in rows][:2] == [("stt", 10.5), ("stt", 4.0)]

    # Hearing and speaking are no chat requests: the user's token and request quota and /usage lines ignore them.
    assert (await ledger.totals("user", 7, DAY)).requests == 0 and (await ledger.totals("chat", -5, DAY)).requests == 0
    assert await ledger.by_agent(7, DAY) == []
    await ledger.record(_row(mode="chat", provider="ollama", model="qwen", tokens_in=3, tokens_out=2))
    assert (await ledger.totals("user", 7, DAY)).requests == 1
    assert [a.requests for a in await ledger.by_agent(7, DAY)] == [1]
    await db.close()

