"""/admin kb: an admin sees every agent's documents and deletes any of them, vectors too."""
from __future__ import annotations

from rag.knowledge import Asker, agent_scope
from tests.e2e.test_knowledge import KB_YAML
from tests.harness import running_bot

OWNER = 42
DOC = "Тариф ENERGY для кооперативів становить 0,12 за кіловат-годину. EcoMiner працює на біомасі.".encode()
FOOD = "Сир GREENFOOD визріває 60 днів. Партія має номер і термін придатності.".encode()


async def test_an_admin_lists_every_agents_documents_and_deletes_one(tmp_path, tg, llm, monkeypatch):
    monkeypatch.setenv("KB_EMBED_DIM", "64")
    async with running_bot(tmp_path, tg=tg, llm=llm, router_yaml=KB_YAML, owner_ids=[OWNER]) as bot:
        kb = bot.services.kb
        bot.say("/admin kb", user_id=OWNER, chat_id=OWNER)
        assert "поки немає документів" in (await bot.replies(OWNER))[0]
        energy = (await kb.ingest(DOC, "tariffs.txt", None, scope=agent_scope("helion"), asker=Asker())).document
        await kb.ingest(FOOD, "cheese.txt", None, scope=agent_scope("greenfood"), asker=Asker())
        bot.say("/admin kb", user_id=OWNER, chat_id=OWNER)
        listing = (await bot.replies(OWNER, 2))[1]
        assert f"№{energy.id} helion · tariffs.txt" in listing and "greenfood · cheese.txt" in listing
        bot.say("/admin kb greenfood", user_id=OWNER, chat_id=OWNER)
        only = (await bot.replies(OWNER, 3))[2]
        assert "cheese.txt" in only and "tariffs.txt" not in only
        assert await kb.search("тариф ENERGY кооперативів", [agent_scope("helion")], Asker())
        bot.say(f"/admin kb delete {energy.id}", user_id=OWNER, chat_id=OWNER)
        assert f"Видалено документ №{energy.id} tariffs.txt" in (await bot.replies(OWNER, 4))[3]
        assert await kb.search("тариф ENERGY кооперативів", [agent_scope("helion")], Asker()) == []
        bot.say(f"/admin kb delete {energy.id}", user_id=OWNER, chat_id=OWNER)
        assert "Немає документа" in (await bot.replies(OWNER, 5))[4]
        bot.say("/agent helion", user_id=1001, chat_id=1001)  # a member's view of the same base: now empty
        await bot.replies(1001)
        bot.say("/admin kb delete 2", user_id=1001, chat_id=1001)
        assert "лише для адміністраторів" in (await bot.replies(1001, 2))[1]
        assert [d.file_name for d in await kb.documents([agent_scope("greenfood")])] == ["cheese.txt"]
