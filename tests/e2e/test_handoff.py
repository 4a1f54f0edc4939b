"""Hand-off and chat settings end to end: DAARWIZZ passes questions on, /handoff, /privacy, group admins."""
from __future__ import annotations

from storage.records import Scope
from tests.harness import prompt_of, running_bot, system_of

GROUP = -100500
ENERGY_UK = "Що таке EcoMiner і скільки кВт він дає?"
FOOD_UK = "Як оформити нову партію сиру?"
DAO_UK = "Як подати пропозицію на голосування в microDAO?"


def answered_by(bot, key: str) -> bool:
    return system_of(bot.llm.chat_requests()[-1]).startswith(prompt_of(bot, key))


async def test_daarwizz_hands_off_to_specialists_and_back(tmp_path, tg, llm, monkeypatch):
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch) as bot:
        llm.token_delay = 0.02
        llm.reply("EcoMiner — це когенераційна установка, що дає і струм, і тепло.")
        bot.say(ENERGY_UK)
        [energy] = await bot.replies(1001)
        assert energy == "→ ⚡ Helion\n\nEcoMiner — це когенераційна установка, що дає і струм, і тепло."
        assert answered_by(bot, "helion")
        drafts = [c.params["text"] for c in tg.calls_of("sendMessageDraft", chat_id=1001)]
        assert drafts, "the marker shows from the first preview"
        assert all(d.startswith("→ ⚡ Helion\n\n") for d in drafts), "the marker shows from the first preview"

        llm.token_delay = 0
        bot.say(FOOD_UK)
        texts = await bot.replies(1001, 2)
        assert texts[-1] == f"→ 🌱 GREENFOOD\n\necho: {FOOD_UK}"
        assert answered_by(bot, "greenfood")

        bot.say(DAO_UK)
        texts = await bot.replies(1001, 3)
        assert texts[-1] == f"echo: {DAO_UK}", "back to DAARWIZZ, no marker"
        assert answered_by(bot, "daarwizz")
        history = [m["content"] for m in llm.chat_requests()[-1].json["messages"][1:]]
        assert history == [ENERGY_UK, "EcoMiner — це когенераційна установка, що дає і струм, і тепло.",
                           FOOD_UK, f"echo: {FOOD_UK}", DAO_UK], "the same history, without the markers"

        turns = await bot.services.store.history(Scope("main", 1001), 1)
        assert [t.agent for t in turns if t.role == "assistant"] == ["helion", "greenfood", "daarwizz"]
        bot.say("/whoami")
        texts = await bot.replies(1001, 4)
        assert "DAARWIZZ" in texts[-1], "the chat's persona stays DAARWIZZ"


async def test_english_questions_are_handed_off_too(tmp_path, tg, llm, monkeypatch):
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch) as bot:
        bot.say("How efficient is a cogeneration unit?", language_code="en")
        assert (await bot.replies(1001))[-1].startswith("→ ⚡ Helion\n\necho: How efficient")
        bot.say("What must a label for craft jam include?", language_code="en")
        assert (await bot.replies(1001, 2))[-1].startswith("→ 🌱 GREENFOOD\n\n")
        assert answered_by(bot, "greenfood")


async def test_the_specialist_never_hands_off_again(tmp_path, tg, llm, monkeypatch):
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch) as bot:
        bot.say("/agent helion")
        await bot.replies(1001)
        bot.say(FOOD_UK)
        texts = await bot.replies(1001, 2)
        assert texts[-1] == f"echo: {FOOD_UK}" and answered_by(bot, "helion")
        bot.say(ENERGY_UK)
        texts = await bot.replies(1001, 3)
        assert texts[-1] == f"echo: {ENERGY_UK}" and answered_by(bot, "helion")
        assert len(llm.chat_requests()) == 2, "one model call per message: no hops"


async def test_naming_a_persona_disables_hand_off(tmp_path, tg, llm, monkeypatch):
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch) as bot:
        bot.say(f"DAARWIZZ, {ENERGY_UK}")
        assert (await bot.replies(1001))[-1] == f"echo: {ENERGY_UK}"
        assert answered_by(bot, "daarwizz")
        bot.say(f"Helion, {FOOD_UK}")
        assert (await bot.replies(1001, 2))[-1] == f"echo: {FOOD_UK}"
        assert answered_by(bot, "helion")
        bot.say(f"@dagi_bot DAARWIZZ, {FOOD_UK}", chat_id=GROUP, chat_type="supergroup")
        assert (await bot.replies(GROUP))[-1] == f"echo: {FOOD_UK}"
        assert answered_by(bot, "daarwizz")


async def test_handoff_off_stops_it_and_survives_a_restart(tmp_path, tg, llm, monkeypatch):
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch) as bot:
        bot.say("/handoff")
        [state] = await bot.replies(1001)
        assert state.startswith("Передача питань увімкнена") and "⚡ Helion" in state and "/handoff off" in state
        bot.say("/handoff off")
        texts = await bot.replies(1001, 2)
        assert texts[-1].startswith("Передача питань вимкнена") and "/handoff on" in texts[-1]
        bot.say(ENERGY_UK)
        texts = await bot.replies(1001, 3)
        assert texts[-1] == f"echo: {ENERGY_UK}" and answered_by(bot, "daarwizz")
        bot.say("/handoff maybe")
        texts = await bot.replies(1001, 4)
        assert "/handoff on" in texts[-1] and "/handoff off" in texts[-1]

    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch) as bot:
        bot.say("Скільки енергії дає сонячна панель?")
        texts = await bot.replies(1001, 5)
        assert texts[-1] == "echo: Скільки енергії дає сонячна панель?" and answered_by(bot, "daarwizz")
        bot.say("/handoff on", language_code="en")
        texts = await bot.replies(1001, 6)
        assert texts[-1].startswith("Hand-off is on")
        bot.say(ENERGY_UK)
        texts = await bot.replies(1001, 7)
        assert texts[-1].startswith("→ ⚡ Helion") and answered_by(bot, "helion")


CLOUD_FIRST = """
providers:
  ollama: {kind: ollama, base_url: "${OLLAMA_URL}", local: true, timeouts: {connect: 1, first_token: 3, total: 20}}
  backup: {kind: openai, base_url: "${BACKUP_URL}", api_key_env: BACKUP_KEY,
           timeouts: {connect: 1, first_token: 3, total: 20}}
routes:
  chat: [backup:gpt-4o-mini, ollama:qwen3:8b]
"""


async def test_privacy_local_skips_a_cloud_target_that_comes_first(tmp_path, tg, llm, monkeypatch):
    router_file = tmp_path / "cloud_first.yaml"
    router_file.write_text(CLOUD_FIRST)
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch, router_file=router_file) as bot:
        bot.say("Привіт")
        await bot.replies(1001)
        assert llm.chat_requests()[-1].path.startswith("/v1/"), "the cloud target is first in the route"

        bot.say("/privacy local")
        texts = await bot.replies(1001, 2)
        assert texts[-1].startswith("Режим «лише локально»") and "/privacy cloud" in texts[-1]
        bot.say("Мій секрет")
        assert (await bot.replies(1001, 3))[-1] == "echo: Мій секрет"
        assert llm.chat_requests()[-1].path == "/api/chat"
        assert all("Мій секрет" not in str(r.json) for r in llm.chat_requests() if r.path.startswith("/v1/"))
        bot.say("/privacy")
        assert (await bot.replies(1001, 4))[-1].startswith("Режим «лише локально»")

        bot.say("/privacy cloud")
        assert (await bot.replies(1001, 5))[-1].startswith("Звичайний режим")
        bot.say("А тепер?")
        await bot.replies(1001, 6)
        assert llm.chat_requests()[-1].path.startswith("/v1/")


async def test_only_group_admins_open_up_privacy_or_change_hand_off(tmp_path, tg, llm, monkeypatch):
    member, admin = 501, 502
    tg.set_chat_member(GROUP, admin, "administrator")
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch) as bot:
        def say(user: int, text: str) -> None:
            bot.say(text, chat_id=GROUP, user_id=user, chat_type="supergroup")

        say(member, "/handoff off")
        texts = await bot.replies(GROUP)
        assert texts[-1].startswith("Лише адміністратори групи можуть вмикати чи вимикати передачу")
        say(member, "/privacy local")
        texts = await bot.replies(GROUP, 2)
        assert texts[-1].startswith("Режим «лише локально»"), "anyone may make the chat more private"
        say(member, "/privacy cloud")
        texts = await bot.replies(GROUP, 3)
        assert texts[-1].startswith("Лише адміністратори групи можуть дозволити хмарні моделі")
        say(member, f"@dagi_bot {ENERGY_UK}")
        texts = await bot.replies(GROUP, 4)
        assert texts[-1].startswith("→ ⚡ Helion"), "the member's /handoff off changed nothing"

        say(admin, "/handoff off")
        texts = await bot.replies(GROUP, 5)
        assert texts[-1].startswith("Передача питань вимкнена")
        say(admin, "/privacy cloud")
        texts = await bot.replies(GROUP, 6)
        assert texts[-1].startswith("Звичайний режим")
        say(member, f"@dagi_bot {ENERGY_UK}")
        texts = await bot.replies(GROUP, 7)
        assert texts[-1] == f"echo: {ENERGY_UK}"
        asked = {c.params["user_id"] for c in tg.calls_of("getChatMember", chat_id=GROUP)}
        assert asked == {member, admin}
        state = await bot.services.store.chat_state(Scope("main", GROUP))
        assert state.handoff is False and state.local_only is False
