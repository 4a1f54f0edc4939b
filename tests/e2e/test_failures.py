"""Failures end to end: model fallback, outages, cut streams, Telegram errors, long and formatted answers, secrets."""
from __future__ import annotations

import asyncio
import json
import logging
import time

import pytest
from sqlalchemy import select

from bot.delivery.render import utf16_len
from router.testing import FakeLLM
from storage.models import Message
from tests.harness import TOKEN, running_bot

OLLAMA_PATH, OPENAI_PATH = "/api/chat", "/v1/chat/completions"


async def eventually(check, timeout: float = 5.0):
    """Await `check()` until it returns something truthy; return that."""
    deadline = time.monotonic() + timeout
    while not (result := await check()):
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)
    return result


async def user_rows(bot) -> list:
    query = select(Message).where(Message.role == "user").order_by(Message.id)
    return await bot.services.store.db.run(lambda conn: conn.execute(query).all())


async def test_refused_primary_falls_back_to_the_openai_backup(tmp_path, tg, llm, monkeypatch):
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch,
                           ollama_url=FakeLLM.refusing_url()) as bot:
        llm.reply("Відповідає резервна модель.")
        bot.say("Привіт")
        assert await bot.replies(1001) == ["Відповідає резервна модель."]
        paths = [r.path for r in llm.chat_requests()]
        assert paths == [OPENAI_PATH]
        assert llm.chat_requests()[0].json["model"] == "gpt-4o-mini"


@pytest.mark.parametrize("mode", ["500", "429", "hang"])
async def test_failing_primary_falls_back_to_the_backup(tmp_path, tg, llm, monkeypatch, mode):
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch) as bot:
        llm.fail(mode)
        llm.reply("Відповідь з резерву.")
        bot.say("Привіт")
        assert await bot.replies(1001) == ["Відповідь з резерву."]
        assert [r.path for r in llm.chat_requests()] == [OLLAMA_PATH, OPENAI_PATH]


async def test_all_models_down_tells_the_user_and_marks_the_message_failed(tmp_path, tg, llm, monkeypatch):
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch, ollama_url=FakeLLM.refusing_url(),
                           backup_url=FakeLLM.refusing_url()) as bot:
        bot.say("Чи працює модель?")
        [notice] = await bot.replies(1001)
        assert notice.startswith("Вибачте, модель зараз недоступна")
        rows = await eventually(lambda: _failed_rows(bot))
        assert [(r.text, r.status) for r in rows] == [("Чи працює модель?", "failed")]
        assert rows[0].error


async def _failed_rows(bot) -> list:
    rows = await user_rows(bot)
    return rows if rows and all(r.status == "failed" for r in rows) else []


async def test_cut_stream_shows_the_partial_answer_and_a_note(tmp_path, tg, llm, monkeypatch):
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch) as bot:
        llm.reply("Перше друге третє четверте п'яте шосте")
        llm.fail("cut", after_tokens=3)
        bot.say("Розкажи")
        [text] = await bot.replies(1001)
        assert text.startswith("Перше друге третє")
        assert "четверте" not in text
        assert "Відповідь обірвалася" in text
        assert len(llm.chat_requests()) == 1, "a started answer is not restarted on another model"


async def test_sendmessage_429_is_retried_and_delivered_once(tmp_path, tg, llm, monkeypatch):
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch) as bot:
        tg.fail_next("sendMessage", "429", retry_after=1)
        llm.reply("Відповідь після паузи.")
        bot.say("Привіт")
        await bot.replies(1001)
        bot.say("Ще раз")  # answered only after the first answer is fully done
        assert await bot.replies(1001, 2) == ["Відповідь після паузи.", "echo: Ще раз"]
        first = [c for c in tg.calls_of("sendMessage", chat_id=1001) if c.params["text"] == "Відповідь після паузи."]
        assert [c.ok for c in first] == [False, True]
        assert first[1].at - first[0].at >= 0.9, "retry_after is honoured"
        assert [m["text"] for m in tg.messages(1001)] == ["Відповідь після паузи.", "echo: Ще раз"]


async def test_rejected_entities_are_resent_as_plain_text(tmp_path, tg, llm, monkeypatch):
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch) as bot:
        tg.fail_next("sendMessage", "bad_entities")
        llm.reply("Це **дуже важливо** знати.")
        bot.say("Привіт")
        await bot.replies(1001)
        calls = tg.calls_of("sendMessage", chat_id=1001)
        assert not calls[0].ok and calls[0].params.get("entities")
        [delivered] = tg.messages(1001)
        assert delivered["text"] == "Це дуже важливо знати."
        assert "entities" not in delivered


async def test_refused_drafts_fall_back_to_editing_a_message(tmp_path, tg, llm, monkeypatch):
    answer = " ".join(f"word{i}" for i in range(40))
    llm.reply(answer)
    llm.token_delay = 0.05
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch) as bot:
        tg.fail_next("sendMessageDraft", "not_found")
        bot.say("Розкажи довго")
        await tg.wait_for(lambda: [m.get("text") for m in tg.messages(1001)] == [answer])
        drafts = tg.calls_of("sendMessageDraft", chat_id=1001)
        assert [c.ok for c in drafts] == [False], "drafts are not tried again once refused"
        assert tg.calls_of("editMessageText", chat_id=1001), "the preview is streamed by edits"
        bot.say("Ще")  # streamed by edits too: its preview may show first, then the whole answer replaces it
        await tg.wait_for(lambda: [m.get("text") for m in tg.messages(1001)] == [answer, "echo: Ще"])
        assert len(tg.calls_of("sendMessageDraft", chat_id=1001)) == 1


async def test_long_answer_is_split_at_paragraphs(tmp_path, tg, llm, monkeypatch):
    paragraphs = [f"Абзац {i:02d}. " + " ".join(f"слово{i}x{j}" for j in range(36)) for i in range(30)]
    assert all(280 <= len(p) <= 400 for p in paragraphs)
    llm.reply("\n\n".join(paragraphs))
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch) as bot:
        bot.say("Розкажи все")
        await tg.wait_for(lambda: paragraphs[-1] in "".join(tg.sent_texts(1001)))
        texts = tg.sent_texts(1001)
        assert len(texts) >= 3
        assert all(utf16_len(t) <= 4096 for t in texts)
        chunks = [c.strip() for t in texts for c in t.split("\n\n")]
        assert chunks == paragraphs, "every paragraph whole, in order, none repeated"
        assert [m["text"] for m in tg.messages(1001)] == texts


async def test_markdown_arrives_as_entities(tmp_path, tg, llm, monkeypatch):
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch) as bot:
        llm.reply("Це **жирний** текст і `код` тут.")
        bot.say("Покажи форматування")
        [text] = await bot.replies(1001)
        assert text == "Це жирний текст і код тут."
        [message] = tg.messages(1001)
        entities = {(e["type"], e["offset"], e["length"]) for e in message["entities"]}
        assert ("bold", text.index("жирний"), len("жирний")) in entities
        assert ("code", text.index("код"), len("код")) in entities


async def test_bot_token_never_reaches_the_model_or_the_logs(tmp_path, tg, llm, monkeypatch, caplog):
    caplog.set_level(logging.DEBUG)
    secret = TOKEN.split(":", 1)[1]
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch, log_level="DEBUG") as bot:
        bot.say(f"Мій токен {TOKEN[:6]}… ні, не скажу")
        await bot.replies(1001)
        llm.fail("500", count=2)  # every model fails: warnings with error details
        bot.say("Друге питання")
        await bot.replies(1001, 2)
        tg.fail_next("sendMessage", "error", count=2)  # Telegram fails the answer and the notice: tracebacks
        bot.say("Третє питання")
        await tg.wait_for(lambda: len([c for c in tg.calls_of("sendMessage", chat_id=1001) if not c.ok]) == 2)
        bot.say("Четверте питання")
        texts = await bot.replies(1001, 3)
        assert texts[-1] == "echo: Четверте питання"

    assert len(llm.chat_requests()) >= 4
    for request in llm.requests:
        dump = json.dumps({"path": request.path, "json": request.json, "headers": request.headers}, ensure_ascii=False)
        assert TOKEN not in dump and secret not in dump, f"bot token sent to the model in {request.path}"
    assert any(r.levelno >= logging.WARNING for r in caplog.records), "the failures above should have been logged"
    assert any(r.exc_text or r.exc_info for r in caplog.records), "a traceback should have been logged"
    logged = caplog.text + "\n".join(f"{r.getMessage()}\n{r.exc_text or ''}" for r in caplog.records)
    assert TOKEN not in logged and secret not in logged


async def test_a_long_run_of_emoji_is_delivered_whole(tmp_path, tg, llm, monkeypatch):
    answer = "🌻" * 5000
    llm.reply(answer)
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch) as bot:
        bot.say("Квіти")
        await tg.wait_for(lambda: "".join(tg.sent_texts(1001)).count("🌻") >= 5000, timeout=15)
        texts = [m["text"] for m in tg.messages(1001)]
        assert "".join(texts) == answer, "every emoji once, in as few messages as fit"
        assert len(texts) == 3 and all(utf16_len(t) <= 4096 for t in texts)
