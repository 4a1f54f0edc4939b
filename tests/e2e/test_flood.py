"""Flood control end to end: a burst is cut at the limit, told once, never stored or sent to a model."""
from __future__ import annotations

import asyncio

from storage.store import Scope
from tests.harness import running_bot

GROUP = -100555
NOTICE = "Забагато повідомлень поспіль"


def notices(texts: list[str]) -> list[str]:
    return [x for x in texts if x.startswith(NOTICE)]


async def test_a_burst_is_cut_at_the_limit_and_told_once(tmp_path, tg, llm, monkeypatch):
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch,
                           flood_user_messages=3, flood_window=1.5) as bot:
        ids = [bot.say(f"питання {i}") for i in range(1, 7)]
        bot.say("я інший користувач", chat_id=2002, user_id=2002)
        texts = await bot.replies(1001, 4)
        assert await bot.replies(2002) == ["echo: я інший користувач"]  # another user is not affected

        assert [x for x in texts if x.startswith("echo:")] == ["echo: питання 1", "echo: питання 2", "echo: питання 3"]
        [notice] = notices(texts)
        assert "Зачекайте, будь ласка, 1 с" in notice or "Зачекайте, будь ласка, 2 с" in notice
        sent = tg.calls_of("sendMessage", chat_id=1001)
        [notice_call] = [c for c in sent if str(c.params["text"]).startswith(NOTICE)]
        assert notice_call.params["reply_parameters"]["message_id"] == ids[3]  # a reply to the first extra one
        asked = [r.json["messages"][-1]["content"] for r in llm.chat_requests()]
        assert sorted(asked) == sorted(["я інший користувач", "питання 1", "питання 2", "питання 3"])

        # The extras were never stored: nothing is pending for crash recovery, history holds the three.
        assert await bot.services.store.pending() == []
        state = await bot.services.store.chat_state(Scope("main", 1001, 0))
        history = await bot.services.store.history(Scope("main", 1001, 0), state.conversation)
        assert [x.text for x in history if x.role == "user"] == ["питання 1", "питання 2", "питання 3"]

        await asyncio.sleep(1.6)  # the window passes
        bot.say("я знову тут")
        texts = await bot.replies(1001, 5)
        assert texts[-1] == "echo: я знову тут"
        assert len(notices(texts)) == 1
        assert len(llm.chat_requests()) == 5


async def test_a_group_is_limited_as_a_whole_with_one_notice(tmp_path, tg, llm, monkeypatch):
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch,
                           flood_group_messages=2, flood_window=30) as bot:
        for user in (11, 12, 13, 14):
            bot.say(f"@dagi_bot питання від {user}", chat_id=GROUP, user_id=user, chat_type="supergroup")
        bot.say("а в приватному чаті можна?", chat_id=13, user_id=13)
        texts = await bot.replies(GROUP, 3)
        assert await bot.replies(13) == ["echo: а в приватному чаті можна?"]
        await asyncio.sleep(0.3)  # room for a wrong extra answer or notice to show up
        texts = tg.sent_texts(GROUP)
        assert sorted(x for x in texts if x.startswith("echo:")) == ["echo: питання від 11", "echo: питання від 12"]
        assert len(notices(texts)) == 1
        assert len(texts) == 3
        assert len(llm.chat_requests()) == 3


async def test_english_speakers_get_the_notice_in_english(tmp_path, tg, llm, monkeypatch):
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch,
                           flood_user_messages=1, flood_window=30) as bot:
        bot.say("first", language_code="en")
        bot.say("second", language_code="en")
        texts = await bot.replies(1001, 2)
        assert "echo: first" in texts
        [notice] = [x for x in texts if not x.startswith("echo:")]
        assert notice.startswith("Too many messages in a row. Please wait 30 seconds,")  # a real plural, once "30 s"


async def test_with_redis_the_limit_outlives_one_replica_and_is_told_once(tmp_path, tg, llm, monkeypatch, redis_url):
    limits = dict(flood_user_messages=2, flood_window=30, redis_url=redis_url)
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch, **limits) as bot:
        bot.say("питання 1")
        bot.say("питання 2")
        await bot.replies(1001, 2)
    # Another replica (here: the next process) on the same Redis goes on counting where the first one stopped.
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch, **limits) as bot:
        bot.say("питання 3")
        bot.say("питання 4")
        bot.say("я інший користувач", chat_id=2002, user_id=2002)
        assert await bot.replies(2002) == ["echo: я інший користувач"]
        await bot.replies(1001, 3)
        await asyncio.sleep(0.3)  # room for a wrong extra answer or notice to show up
        texts = tg.sent_texts(1001)
        assert [x for x in texts if x.startswith("echo:")] == ["echo: питання 1", "echo: питання 2"]
        assert len(notices(texts)) == 1 and len(texts) == 3
        assert len(llm.chat_requests()) == 3
