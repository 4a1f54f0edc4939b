"""The knowledge base in-process: agent bases, model-size changes refused at start and fixed by reindex."""
from __future__ import annotations

from pathlib import Path

import pytest

from base import ConfigError
from rag.index import KnowledgeIndex
from rag.knowledge import Asker, KnowledgeBase, agent_scope, chat_scope
from rag.reindex import reindex
from rag.settings import KnowledgeSettings
from rag.types import IndexMismatch
from router.core import ModelRouter
from router.providers.ollama import OllamaProvider
from router.testing import FakeLLM
from router.types import Target
from storage.documents import DocumentRegistry
from storage.store import open_store
from tests.harness import running_bot

DOC = "Тариф ENERGY для кооперативів становить 4,2 гривні за кіловат-годину з першого січня.".encode()


async def open_kb(tmp: Path, llm: FakeLLM, model: str, dim: int, db: str = "kb.db"):
    store = await open_store(f"sqlite:///{tmp}/{db}")
    router = ModelRouter({"ollama": OllamaProvider("ollama", llm.url, local=True)},
                         {"chat": [Target("ollama", "qwen3:8b")], "embed": [Target("ollama", model)]})
    index = KnowledgeIndex.open(path=str(tmp / "kb"), dense_dim=dim, dense_model=f"ollama:{model}")  # the bot's KB_PATH
    kb = KnowledgeBase(index, DocumentRegistry(store.db), router, KnowledgeSettings(embed_dim=dim))
    return kb, store, router


async def close(kb, store, router) -> None:
    await kb.close()
    await router.aclose()
    await store.close()


async def test_a_new_embedding_size_is_refused_with_the_fix_then_reindex_rebuilds(tmp_path: Path) -> None:
    models = {"qwen3:8b": {"capabilities": ["completion"]}, "bge-m3": {"capabilities": ["embedding"], "dim": 64},
              "mini": {"capabilities": ["embedding"], "dim": 32}}
    async with FakeLLM(models=models) as llm:
        kb, store, router = await open_kb(tmp_path, llm, "bge-m3", 64)
        await kb.start()
        stored = await kb.ingest(DOC, "tariffs.txt", None, scope=agent_scope("helion"), asker=Asker(agent="helion"))
        assert stored.document.dense
        await close(kb, store, router)

        kb, store, router = await open_kb(tmp_path, llm, "mini", 32)
        with pytest.raises(IndexMismatch) as refused:
            await kb.start()
        assert "python -m rag reindex" in str(refused.value)
        assert await reindex(kb) == stored.document.chunks  # from the stored texts: no files needed
        found = await kb.search("тариф ENERGY кооперативи", [agent_scope("helion")], Asker())
        assert found and found[0].file_name == "tariffs.txt"
        assert (await kb.documents([agent_scope("helion")]))[0].dense
        await close(kb, store, router)


async def test_the_bot_refuses_to_start_on_a_mismatched_collection(tmp_path, tg, llm, monkeypatch) -> None:
    kb, store, router = await open_kb(tmp_path / "data", llm, "bge-m3", 64, db="../dagi.db")  # the bot's database
    await kb.start()
    # a mismatch matters with documents
    await kb.ingest(DOC, "tariffs.txt", None, scope=agent_scope("helion"), asker=Asker())
    await close(kb, store, router)
    monkeypatch.setenv("KB_EMBED_DIM", "1024")
    with pytest.raises(ConfigError, match="reindex"):
        async with running_bot(tmp_path, tg=tg, llm=llm):
            pass


async def test_a_chat_sees_its_agents_curated_documents(tmp_path, tg, llm, monkeypatch) -> None:
    monkeypatch.setenv("KB_EMBED_DIM", "64")
    yaml = """
providers:
  ollama: {kind: ollama, base_url: "${OLLAMA_URL}", local: true}
routes:
  chat: [ollama:qwen3:8b]
  embed: [ollama:bge-m3]
"""
    async with running_bot(tmp_path, tg=tg, llm=llm, router_yaml=yaml) as bot:
        await bot.services.kb.ingest(DOC, "tariffs.txt", None, scope=agent_scope("helion"), asker=Asker())
        bot.say("/agent helion")
        await bot.replies(1001)
        bot.say("Який тариф ENERGY для кооперативів?")
        assert (await bot.replies(1001, 2))[-1].endswith("Джерела:\n[1] tariffs.txt")
        bot.say("/agent greenfood")
        await bot.replies(1001, 3)
        bot.say("Який тариф ENERGY для кооперативів?")
        assert "Джерела" not in (await bot.replies(1001, 4))[-1]  # Helion's base is not GREENFOOD's
        assert chat_scope("main", 1001) == "chat:main:1001:0"


async def test_a_reranker_reorders_candidates_and_its_failure_keeps_the_fused_order(tmp_path: Path) -> None:
    async with FakeLLM() as llm:
        store = await open_store(f"sqlite:///{tmp_path}/kb.db")
        index = KnowledgeIndex.open(path=str(tmp_path / "qdrant"), dense_dim=None)
        kb = KnowledgeBase(index, DocumentRegistry(store.db), None,
                           KnowledgeSettings(rerank_url=llm.openai_url, threshold=0.0, top_k=2))
        await kb.start()
        scope = [chat_scope("main", 1)]
        for name, text in [("a.txt", "Біогаз біогаз біогаз біогаз зберігають."),
                           ("b.txt", "Біогаз EcoMiner зберігають у газгольдері під тиском.")]:
            await kb.ingest(text.encode(), name, None, scope=scope[0], asker=Asker())
        ranked = await kb.search("де зберігають біогаз EcoMiner у газгольдері", scope, Asker())
        assert [p.file_name for p in ranked] == ["b.txt", "a.txt"]
        [call] = [r for r in llm.requests if r.path == "/v1/rerank"]
        assert call.json["top_n"] == 2 and len(call.json["documents"]) == 2
        assert ranked[0].score > ranked[1].score  # the reranker's scores, not the fused ones
        llm.fail("500")
        kept = await kb.search("де зберігають біогаз EcoMiner у газгольдері", scope, Asker())
        assert {p.file_name for p in kept} == {"a.txt", "b.txt"}  # still answered, in the fused order
        await kb.close()
        await store.close()
