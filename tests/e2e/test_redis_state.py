"""REDIS_URL: a multi-step flow begun before a restart goes on after it, on the same Redis."""
from __future__ import annotations

from tests.e2e.test_knowledge import KB_YAML, NOTES, PROGRESS, final_status
from tests.harness import TOKEN, running_bot


async def kb_add_across_a_restart(tmp_path, tg, llm, **settings: object) -> str:
    """`/kb add` on one bot process, the file sent to the next one; the status the user ends up with."""
    async with running_bot(tmp_path, tg=tg, llm=llm, router_yaml=KB_YAML, **settings) as bot:
        bot.say("/kb add")
        await bot.replies(1001)
    async with running_bot(tmp_path, tg=tg, llm=llm, router_yaml=KB_YAML, **settings) as bot:
        before = len(tg.messages(1001))
        tg.send_document(TOKEN, chat_id=1001, user_id=1001, content=NOTES.encode(), file_name="notes.txt")
        await tg.wait_for(lambda: len(tg.messages(1001)) > before
                          and not final_status(tg, 1001).startswith(PROGRESS))
        names = [d.file_name for d in await bot.services.kb.documents(["chat:main:1001:0"])]
        return final_status(tg, 1001) + "|" + ",".join(names)


async def test_a_kb_add_begun_before_a_restart_takes_the_file_after_it(tmp_path, tg, llm, monkeypatch, redis_url):
    monkeypatch.setenv("KB_EMBED_DIM", "64")  # the fake's bge-m3 gives 64-dim vectors
    status, names = (await kb_add_across_a_restart(tmp_path, tg, llm, redis_url=redis_url)).split("|")
    assert status.startswith("✅") and names == "notes.txt"


async def test_without_redis_the_restart_forgets_the_kb_add(tmp_path, tg, llm, monkeypatch):
    monkeypatch.setenv("KB_EMBED_DIM", "64")
    status, names = (await kb_add_across_a_restart(tmp_path, tg, llm)).split("|")
    assert "/kb add" in status and names == "", "not stored: the user is told how, as with no /kb add"
