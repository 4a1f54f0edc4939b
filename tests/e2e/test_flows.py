"""Buttons and multi-step flows as people meet them: a flow past its time-out is no flow; forged buttons are refused."""
from __future__ import annotations

import asyncio

from sqlalchemy import select

from bot.flows.states import TIMEOUTS, Broadcast, KbAdd, Ocr
from storage.models import AuditEntry
from tests.e2e.test_broadcast import buttons, seed
from tests.e2e.test_knowledge import KB_YAML, NOTES, add_file
from tests.e2e.test_photos import VISION_YAML, jpeg, vision_requests
from tests.harness import TOKEN, running_bot

OWNER, MEMBER = 42, 1001
TIMED_OUT = 0.3  # seconds a step waits in these tests


async def audit(bot) -> list[tuple[int, str, bool]]:
    rows = await bot.services.store.db.run(lambda c: c.execute(select(AuditEntry).order_by(AuditEntry.id)).all())
    return [(e.user_id, e.action, e.allowed) for e in rows]


async def test_a_kb_add_past_its_time_out_takes_no_file(tmp_path, tg, llm, monkeypatch):
    monkeypatch.setenv("KB_EMBED_DIM", "64")  # the fake's bge-m3 gives 64-dim vectors
    monkeypatch.setitem(TIMEOUTS, KbAdd.file, TIMED_OUT)
    async with running_bot(tmp_path, tg=tg, llm=llm, router_yaml=KB_YAML) as bot:
        bot.say("/kb add")
        await bot.replies(1001)
        await asyncio.sleep(TIMED_OUT + 0.2)
        tg.send_document(TOKEN, chat_id=1001, user_id=1001, content=NOTES.encode(), file_name="late.txt")
        assert "/kb add" in (await bot.replies(1001, 2))[1], "not stored: the user is told how, as with no /kb add"
        monkeypatch.setitem(TIMEOUTS, KbAdd.file, 600.0)
        assert (await add_file(bot, 1001, NOTES.encode(), "on-time.txt")).startswith("✅")
        assert [d.file_name for d in await bot.services.kb.documents(["chat:main:1001:0"])] == ["on-time.txt"]


async def test_an_ocr_past_its_time_out_reads_the_photo_as_a_photo(tmp_path, tg, llm, monkeypatch):
    monkeypatch.setitem(TIMEOUTS, Ocr.photo, TIMED_OUT)
    async with running_bot(tmp_path, tg=tg, llm=llm, router_yaml=VISION_YAML) as bot:
        bot.say("/ocr")
        await bot.replies(1001)
        await asyncio.sleep(TIMED_OUT + 0.2)
        tg.send_photo(TOKEN, chat_id=1001, user_id=1001, image=jpeg(), caption="Що на фото?")
        assert "[images: 1]" in (await bot.replies(1001, 2))[1]
        [request] = vision_requests(llm)
        assert "JSON" not in request.json["messages"][0]["content"], "asked about as a photo, not read as a document"


async def test_a_broadcast_preview_past_its_time_out_sends_nothing(tmp_path, tg, llm, monkeypatch):
    monkeypatch.setitem(TIMEOUTS, Broadcast.confirm, TIMED_OUT)
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch, owner_ids=[OWNER]) as bot:
        await seed(bot, [2001, 2002])
        bot.say("/admin broadcast users Привіт", user_id=OWNER, chat_id=OWNER)
        await bot.replies(OWNER)
        preview = tg.messages(OWNER)[-1]
        await asyncio.sleep(TIMED_OUT + 0.2)
        tg.press_button(TOKEN, chat_id=OWNER, user_id=OWNER, message_id=preview["message_id"],
                        data=buttons(tg, OWNER)["✅ Надіслати 2"])
        await tg.wait_for(lambda: tg.calls_of("answerCallbackQuery"))
        assert "вже неактуальна" in tg.calls_of("answerCallbackQuery")[0].params["text"]
        await asyncio.sleep(0.3)
        assert tg.sent_texts(2001) == [] and tg.sent_texts(2002) == []


async def test_forged_button_payloads_are_refused_and_audited(tmp_path, tg, llm, monkeypatch):
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch, owner_ids=[OWNER]) as bot:
        forged = "adm:users:role:abc:king"  # no admin button parses it
        tg.press_button(TOKEN, chat_id=MEMBER, user_id=MEMBER, message_id=1, data=forged)
        await tg.wait_for(lambda: tg.calls_of("answerCallbackQuery"))
        [refused] = tg.calls_of("answerCallbackQuery")
        assert "лише для адміністраторів" in refused.params["text"] and refused.params.get("show_alert")
        assert await audit(bot) == [(MEMBER, forged, False)]

        stale = "adm:providers:toggle:0:zzzzzz"  # an admin's own forged or stale button: audited, changes nothing
        tg.press_button(TOKEN, chat_id=OWNER, user_id=OWNER, message_id=1, data=stale)
        await tg.wait_for(lambda: any(m.get("text", "").startswith("Панель адміністратора")
                                      for m in tg.messages(OWNER)))
        assert (OWNER, stale, True) in await audit(bot)
        assert not bot.services.router.overrides.disabled, "no target was switched off"

        tg.press_button(TOKEN, chat_id=MEMBER, user_id=MEMBER, message_id=1, data="rem:del:abc")
        await tg.wait_for(lambda: len(tg.calls_of("answerCallbackQuery")) == 3)
        assert "Цього нагадування вже немає" in tg.calls_of("answerCallbackQuery")[2].params["text"]

        tg.press_button(TOKEN, chat_id=MEMBER, user_id=MEMBER, message_id=1, data="forget:maybe:1001")
        await tg.wait_for(lambda: len(tg.calls_of("answerCallbackQuery")) == 4)  # the spinner stops, nothing else
        assert not tg.calls_of("answerCallbackQuery")[3].params.get("text")
        assert len(await audit(bot)) == 2
