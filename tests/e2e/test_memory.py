"""Long dialogs end to end (real aiogram, FakeLLM over HTTP): what falls out of the history window is summarised in the
background, reaches later requests as data, stays in its own chat, and goes with /reset and /forget."""
from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from router.testing import FakeLLM
from storage.models import ConversationSummary, Usage
from tests.harness import TOKEN, running_bot, system_of

ME, OTHER, GROUP = 1001, 2002, -100777
SUMMARISER = "You keep the memory of a long chat"
FILLER = "Ще трохи про погоду і про сад, нічого особливого. "  # no digits: the fake summariser drops it
SPLIT = re.compile(r"<<<\n(.*?)\n>>>", re.S)


def fake_model(messages: list[dict[str, Any]]) -> str:
    """A summariser that keeps the old notes and each user line with a number in it; otherwise an echo."""
    last = messages[-1]["content"]
    if not messages[0]["content"].startswith(SUMMARISER):
        return f"echo: {last}"
    previous, said = SPLIT.findall(last)
    notes = [] if previous == "(none yet)" else previous.splitlines()
    notes += [f"- {line[:80]}" for line in said.splitlines()
              if not line.startswith("Assistant:") and any(c.isdigit() for c in line)]
    return "\n".join(notes) or "- nothing to keep"


@pytest.fixture(autouse=True)
def _fake_model(llm: FakeLLM) -> None:
    llm.responder = fake_model


def summariser_calls(llm: FakeLLM) -> list:
    return [r for r in llm.chat_requests() if system_of(r).startswith(SUMMARISER)]


def answer_calls(llm: FakeLLM) -> list:
    return [r for r in llm.chat_requests() if not system_of(r).startswith(SUMMARISER)]


def long(fact: str = "") -> str:
    return f"{fact} {FILLER * 30}".strip()  # ~1500 characters: three of them pass a persona's history budget


async def said(bot, text: str, chat_id: int = ME, user_id: int = ME, **kw) -> str:
    n = len(bot.tg.sent_texts(chat_id))
    bot.say(text, chat_id=chat_id, user_id=user_id, **kw)
    return (await bot.replies(chat_id, n + 1))[-1]


async def settled(bot) -> None:
    await bot.services.conversations.memory.settled()


async def summaries(bot) -> dict[int, str]:
    rows = await bot.services.store.db.run(
        lambda c: c.execute(select(ConversationSummary.chat_id, ConversationSummary.text)).all())
    return {r.chat_id: r.text for r in rows}


async def test_a_fact_from_turn_3_of_60_reaches_the_request_at_turn_60(tmp_path, tg, llm, monkeypatch):
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch, flood_user_messages=0) as bot:
        for turn in range(1, 61):
            text = ("Запам'ятай: код моєї хвіртки 4471." if turn == 3
                    else "Який код хвіртки?" if turn == 60 else f"Розкажи ще щось коротке. {FILLER}")
            assert (await said(bot, text)).startswith("echo: ")
            await settled(bot)  # deterministic rounds; the reply itself never waits (next test)

        request = answer_calls(llm)[-1]
        system, rest = system_of(request), [m["content"] for m in request.json["messages"][1:]]
        assert rest[-1] == "Який код хвіртки?"
        assert not any("4471" in m for m in rest)  # turn 3 left the window long ago…
        rules = bot.services.personas.default.system_prompt.strip()
        assert system.startswith(rules) and system.index("4471") > system.index("A summary of the earlier part")
        assert len(rest) <= 40 and "DATA" in system
        assert 1 < len(summariser_calls(llm)) < 20  # rolling: one fold per several answers, not one per answer
        rows = await bot.services.store.db.run(lambda c: c.execute(
            select(Usage.provider, Usage.user_id, Usage.outcome).where(Usage.mode == "summary")).all())
        assert rows and {(r.provider, r.user_id, r.outcome) for r in rows} == {("ollama", ME, "ok")}
        memory = await said(bot, "/memory")
        assert memory.startswith("🧠 Що я пам'ятаю") and "4471" in memory and "/reset" in memory


async def test_the_reply_never_waits_for_the_summariser(tmp_path, tg, llm, monkeypatch):
    async with FakeLLM() as slow:
        slow.responder = fake_model
        monkeypatch.setenv("MEM_URL", slow.url)
        yaml = """
providers:
  ollama: {kind: ollama, base_url: "${OLLAMA_URL}", local: true, timeouts: {connect: 1, first_token: 3, total: 20}}
  mem: {kind: ollama, base_url: "${MEM_URL}", local: true, timeouts: {connect: 1, first_token: 60, total: 60}}
rules:
  - when: {mode: summary}
    use: [mem:qwen3:8b]
  - use: [ollama:qwen3:8b]
"""
        async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch, router_yaml=yaml) as bot:
            slow.pause()  # the summariser's model takes the request and holds it
            for fact in ("Мене звати Оксана, замовлення 73.", "", ""):
                await said(bot, long(fact))
            await slow.wait_requests(1)
            assert (await said(bot, "А що далі?")) == "echo: А що далі?"  # answered while the summary is held
            assert (await said(bot, "/memory")).startswith("Поки що я бачу цю розмову повністю")
            assert not summariser_calls(llm) and len(slow.chat_requests()) == 1
            slow.resume()
            await settled(bot)
            assert "замовлення 73" in await said(bot, "/memory")
            await said(bot, "І ще одне")
            assert "замовлення 73" in system_of(answer_calls(llm)[-1])


async def test_a_local_only_chat_never_sends_its_summary_to_the_cloud(tmp_path, tg, llm, monkeypatch, caplog):
    yaml = """
providers:
  ollama: {kind: ollama, base_url: "${OLLAMA_URL}", local: true, timeouts: {connect: 1, first_token: 3, total: 20}}
  backup: {kind: openai, base_url: "${BACKUP_URL}", api_key_env: BACKUP_KEY,
           timeouts: {connect: 1, first_token: 3, total: 20}}
rules:
  - when: {mode: summary}
    use: [backup:gpt-4o-mini]
  - use: [ollama:qwen3:8b]
"""
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch, router_yaml=yaml) as bot:
        # An operator chose a cloud model for summaries: an ordinary chat's summary goes there…
        for fact in ("Хмарний факт 5150.", "", ""):
            await said(bot, long(fact), chat_id=OTHER, user_id=OTHER)
        await settled(bot)
        assert "5150" in (await summaries(bot))[OTHER]
        cloud = [r for r in llm.requests if r.path == "/v1/chat/completions"]
        assert len(cloud) == 1 and b"5150" in cloud[0].raw
        # …a /privacy local chat's never does: no summary then, no word to the user, the answers go on.
        assert (await said(bot, "/privacy local")).startswith("Режим «лише локально»")
        for fact in ("Таємний факт 9090.", "", "", ""):
            assert (await said(bot, long(fact))).startswith("echo: ")
        await settled(bot)
        assert not any(b"9090" in r.raw for r in llm.requests if r.path == "/v1/chat/completions")
        assert ME not in await summaries(bot)
        assert all(t.startswith(("echo: ", "Режим")) for t in bot.tg.sent_texts(ME))  # failures are never shown
        assert "could not summarise chat 1001" in caplog.text
        rows = await bot.services.store.db.run(lambda c: c.execute(
            select(Usage.provider).where(Usage.mode == "summary", Usage.chat_id == ME)).all())
        assert all(r.provider != "backup" for r in rows)


async def test_summaries_stay_in_their_chat_and_go_with_reset_and_forget(tmp_path, tg, llm, monkeypatch):
    group = dict(chat_id=GROUP, chat_type="supergroup")
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch) as bot:
        for fact in ("Мій приватний код 1111.", "", ""):
            await said(bot, long(fact))
        for fact in ("Петрів приватний код 2222.", "", ""):
            await said(bot, long(fact), chat_id=OTHER, user_id=OTHER)
        await said(bot, "@dagi_bot " + long("Груповий код 3333."), user_id=ME, **group)
        await said(bot, "@dagi_bot " + long(), user_id=OTHER, **group)
        await said(bot, "@dagi_bot " + long(), user_id=OTHER, **group)
        await settled(bot)

        kept = await summaries(bot)
        assert "1111" in kept[ME] and "2222" in kept[OTHER] and "3333" in kept[GROUP]
        for chat, mine in ((ME, "1111"), (OTHER, "2222"), (GROUP, "3333")):
            assert not any(code in kept[chat] for code in {"1111", "2222", "3333"} - {mine})
        for call in summariser_calls(llm):  # the summariser itself only ever saw one chat
            assert sum(code in call.json["messages"][1]["content"] for code in ("1111", "2222", "3333")) <= 1
        group_rows = await bot.services.store.db.run(lambda c: c.execute(
            select(Usage.user_id).where(Usage.mode == "summary", Usage.chat_id == GROUP)).all())
        assert group_rows and {r.user_id for r in group_rows} == {0}  # the group's, not one member's
        await said(bot, "Що ти пам'ятаєш?")
        system = system_of(answer_calls(llm)[-1])
        assert "1111" in system and "2222" not in system and "3333" not in system
        shown = await said(bot, "/memory", **group)
        assert "3333" in shown and "1111" not in shown

        assert (await said(bot, "/reset")).startswith("Почнімо спочатку")
        assert ME not in await summaries(bot)
        assert (await said(bot, "/memory")).startswith("Поки що я бачу цю розмову повністю")
        await said(bot, "Новий початок")
        assert "A summary of the earlier part" not in system_of(answer_calls(llm)[-1])

        await said(bot, "/forget")
        question = bot.tg.messages(ME)[-1]
        assert "підсумки довгих розмов (/memory)" in question["text"]
        bot.tg.press_button(TOKEN, chat_id=ME, user_id=ME, message_id=question["message_id"], data=f"forget:yes:{ME}")
        await bot.tg.wait_for(lambda: bot.tg.messages(ME)[-1]["text"].startswith("Готово."))
        kept = await summaries(bot)
        assert GROUP not in kept and OTHER in kept  # the group's held my words; Petro's own chat did not
        assert (await said(bot, "/memory", **group)).startswith("Поки що")
