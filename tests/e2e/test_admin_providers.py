"""An owner manages models from Telegram: the providers table, targets on/off, agent routes, reload, health events."""
from __future__ import annotations

from sqlalchemy import select

from ops.health import health_check
from router.testing import FakeLLM
from storage.models import ProviderEvent, Usage
from tests.harness import ROUTER_YAML, running_bot

OWNER = 42
KEY = "sk-test-key-1234567890"  # the harness's BACKUP_KEY


async def usage_rows(bot) -> list:
    return await bot.services.ledger.db.run(lambda c: c.execute(select(Usage).order_by(Usage.id)).all())


def admin(bot, text: str, **kw: object) -> None:
    bot.say(text, chat_id=OWNER, user_id=OWNER, **kw)


async def test_a_switched_off_target_sends_the_next_question_to_the_backup(tmp_path, tg, llm, monkeypatch):
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch, owner_ids=[OWNER]) as bot:
        admin(bot, "/admin target ollama:qwen3:8b off")
        [ack] = await bot.replies(OWNER)
        assert "ollama:qwen3:8b вимкнено" in ack and "/admin target ollama:qwen3:8b on" in ack
        bot.say("Привіт")
        assert await bot.replies(1001) == ["echo: Привіт"]
        assert [r.path for r in llm.chat_requests()] == ["/v1/chat/completions"]
        assert [(r.provider, r.outcome) for r in await usage_rows(bot)] == [("backup", "ok")]
        admin(bot, "/admin target ollama:qwen3:8b on")
        await bot.replies(OWNER, 2)
        bot.say("Ще раз")
        await bot.replies(1001, 2)
        assert llm.chat_requests()[-1].path == "/api/chat"


async def test_unknown_target_and_agent_are_explained(tmp_path, tg, llm, monkeypatch):
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch, owner_ids=[OWNER]) as bot:
        admin(bot, "/admin target groq:llama-3.3 off", language_code="en")
        admin(bot, "/admin route zeus ollama:qwen3:8b", language_code="en")
        first, second = await bot.replies(OWNER, 2)
        assert first == "There is no provider “groq”. Configured: ollama, backup."
        assert second == "There is no agent “zeus”. Agents: daarwizz, helion, greenfood."


async def test_an_agent_route_sends_that_agent_to_its_own_target(tmp_path, tg, llm, monkeypatch):
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch, owner_ids=[OWNER]) as bot:
        admin(bot, "/admin route helion backup:gpt-4o-mini")
        [ack] = await bot.replies(OWNER)
        assert "helion" in ack and "backup:gpt-4o-mini" in ack
        bot.say("Helion, що таке EcoMiner?")
        await bot.replies(1001)
        bot.say("А що таке DAO?")
        await bot.replies(1001, 2)
        assert [(r.agent, r.provider) for r in await usage_rows(bot)] == [("helion", "backup"), ("daarwizz", "ollama")]


async def test_reload_with_a_broken_router_file_keeps_the_bot_answering(tmp_path, tg, llm, monkeypatch):
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch, owner_ids=[OWNER]) as bot:
        (tmp_path / "router.yaml").write_text(ROUTER_YAML.replace("kind: ollama", "kind: olama"))
        admin(bot, "/admin reload")
        [error] = await bot.replies(OWNER)
        assert "Конфіг не перечитано" in error and "router.yaml" in error and "providers.ollama.kind" in error
        assert KEY not in error
        bot.say("Ви ще тут?")
        assert await bot.replies(1001) == ["echo: Ви ще тут?"]


async def test_reload_from_the_panel_button_applies_a_valid_file(tmp_path, tg, llm, monkeypatch):
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch, owner_ids=[OWNER]) as bot:
        (tmp_path / "router.yaml").write_text(ROUTER_YAML.replace(
            "chat: [ollama:qwen3:8b, backup:gpt-4o-mini]", "chat: [backup:gpt-4o-mini]"))
        admin(bot, "/admin")
        await bot.replies(OWNER)
        message_id = tg.messages(OWNER)[-1]["message_id"]
        tg.press_button(bot.token, chat_id=OWNER, user_id=OWNER, message_id=message_id, data="adm:reload")
        await tg.wait_for(lambda: "Конфіг перечитано" in tg.messages(OWNER)[-1]["text"])
        assert "2 провайдери, 1 правило" in tg.messages(OWNER)[-1]["text"]  # real plurals, once "провайдерів 2"
        bot.say("Привіт")
        await bot.replies(1001)
        assert [r.path for r in llm.chat_requests()] == ["/v1/chat/completions"]


async def test_the_providers_table_shows_every_target_and_no_key(tmp_path, tg, llm, monkeypatch):
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch, owner_ids=[OWNER],
                           ollama_url=FakeLLM.refusing_url()) as bot:
        admin(bot, "/admin providers")
        [table] = await bot.replies(OWNER)
        assert "1. ollama:qwen3:8b — локальна" in table and "2. backup:gpt-4o-mini — хмарна" in table
        assert "ще не перевірялася" in table and "ланцюг: закритий" in table
        assert KEY not in table
        message = tg.messages(OWNER)[-1]
        buttons = [b["callback_data"] for row in message["reply_markup"]["inline_keyboard"] for b in row]
        toggles = [data for data in buttons if data.startswith("adm:providers:toggle:")]
        assert [data.split(":")[3] for data in toggles] == ["1", "2"] and "adm:providers:check" in buttons
        assert all(len(data.encode()) < 64 for data in buttons)
        press = {"chat_id": OWNER, "user_id": OWNER, "message_id": message["message_id"]}
        tg.press_button(bot.token, data="adm:providers:check", **press)
        await tg.wait_for(lambda: "не відповідає" in tg.messages(OWNER)[-1]["text"])
        checked = tg.messages(OWNER)[-1]["text"]
        assert "✅ працює" in checked and "unavailable" in checked and KEY not in checked
        stale = toggles[1].rsplit(":", 1)[0] + ":000000"  # drawn for another target (the list changed since)
        tg.press_button(bot.token, data=stale, **press)
        await tg.wait_for(lambda: len(tg.calls_of("answerCallbackQuery")) == 2)
        assert not bot.services.router.switched_off(bot.services.router.known_targets()[1]), "nothing switched blindly"
        tg.press_button(bot.token, data=toggles[1], **press)
        await tg.wait_for(lambda: "вимкнена адміністратором" in tg.messages(OWNER)[-1]["text"])
        assert bot.services.router.switched_off(bot.services.router.known_targets()[1])


async def test_health_check_records_a_provider_that_is_down(tmp_path, tg, llm, monkeypatch):
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch, owner_ids=[OWNER],
                           ollama_url=FakeLLM.refusing_url()) as bot:
        await health_check(bot.services.ops)
        await health_check(bot.services.ops)
        rows = await bot.services.store.db.run(lambda c: c.execute(select(ProviderEvent)).all())
        assert sorted((r.provider, r.healthy) for r in rows) == [("backup", True), ("ollama", False)]
        admin(bot, "/admin providers")
        [table] = await bot.replies(OWNER)
        assert "❌ не відповідає" in table and "✅ працює" in table


async def test_a_target_switched_on_under_a_provider_switched_off_says_it_is_still_off(tmp_path, tg, llm, monkeypatch):
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch, owner_ids=[OWNER]) as bot:
        admin(bot, "/admin target backup off")
        admin(bot, "/admin target backup:gpt-4o-mini on")
        _, answer = await bot.replies(OWNER, 2)
        assert "весь провайдер backup вимкнений" in answer and "/admin target backup on" in answer
        assert bot.services.router.switched_off(bot.services.router.known_targets()[1])
