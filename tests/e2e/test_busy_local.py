"""A busy local model end to end: a local-only chat waits for its slot, is told once that the model is busy,
then gets the local answer; nothing goes to the cloud."""
from __future__ import annotations

from router.testing import FakeLLM
from tests.harness import running_bot

TIMEOUTS = "timeouts: {connect: 1, first_token: 20, total: 30}"
ONE_SLOT = f"""
providers:
  ollama: {{kind: ollama, base_url: "${{OLLAMA_URL}}", local: true, max_concurrency: 1, queue_timeout: 0.2,
           max_wait: 60, {TIMEOUTS}}}
  backup: {{kind: openai, base_url: "${{BACKUP_URL}}", api_key_env: BACKUP_KEY, {TIMEOUTS}}}
routes:
  chat: [ollama:qwen3:8b, backup:gpt-4o-mini]
"""
PRIVATE, OTHER = 1001, 2002


def busy_notices(tg, chat_id: int) -> list[str]:
    """Every ⏳ text the chat was sent or had a message edited to."""
    calls = tg.calls_of("sendMessage", chat_id=chat_id) + tg.calls_of("editMessageText", chat_id=chat_id)
    return [c.params["text"] for c in calls if c.ok and c.params["text"].startswith("⏳")]


async def test_a_local_only_chat_waits_for_the_busy_local_model_and_is_told_once(tmp_path, tg, llm, monkeypatch):
    llm.parallel = 1  # the local server answers one request at a time, as router.yaml says
    async with FakeLLM() as cloud, running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch,
                                               backup_url=cloud.openai_url, router_yaml=ONE_SLOT) as bot:
        bot.say("/privacy local")
        await bot.replies(PRIVATE)
        llm.pause()  # whatever reaches the local model now holds its one slot until resume()
        bot.say("Довге питання", chat_id=OTHER, user_id=OTHER)
        await llm.wait_requests(1)

        bot.say("Мій секрет")
        await tg.wait_for(lambda: busy_notices(tg, PRIVATE), timeout=10)
        assert cloud.chat_requests() == [], "a local-only chat never overflows to the cloud"
        llm.resume()

        await tg.wait_for(lambda: "echo: Мій секрет" in tg.sent_texts(PRIVATE), timeout=15)
        assert (await bot.replies(OTHER))[-1] == "echo: Довге питання"
        assert len(busy_notices(tg, PRIVATE)) == 1, "told once that the model is busy"
        await tg.wait_for(lambda: tg.calls_of("deleteMessage", chat_id=PRIVATE), timeout=5)
        assert not any(m["text"].startswith("⏳") for m in tg.messages(PRIVATE)), "the notice is gone with the answer"
        assert busy_notices(tg, OTHER) == [], "the chat that held the slot never waited"
        assert cloud.chat_requests() == []
        assert [r.json["messages"][-1]["content"] for r in llm.chat_requests() if r.json] == [
            "Довге питання", "Мій секрет"]
        assert llm.slots.max_in_flight == 1 and llm.slots.waited == 0
