"""`python -m rag migrate`: an old embedded folder (qdrant-client local mode) moves into Qdrant Edge, once."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from qdrant_client import AsyncQdrantClient

from rag import sparse
from rag.index import KnowledgeIndex
from rag.migrate import migrate
from rag.qdrant_schema import COLLECTION
from rag.qdrant_store import QdrantStore
from tests.rag.test_index import AGENT, CHAT_A, CHAT_B, DIM, chunks, unit

ROOT = Path(__file__).resolve().parents[2]
MODEL = "ollama:bge-m3"


async def old_folder(path: Path) -> None:
    """What an older DAGI left in DATA_DIR/qdrant: three bases, dense and sparse."""
    kb = KnowledgeIndex(QdrantStore(AsyncQdrantClient(path=str(path))), dense_dim=DIM, dense_model=MODEL)
    await kb.ensure()
    await kb.add(scope=CHAT_A, doc_id="a", file_name="tariffs.pdf", dense=[unit(1), unit(1, 1)],
                 chunks=chunks("Тариф ENERGY 4,2 грн за кВт·год.", "Графік зборів: щосуботи."))
    await kb.add(scope=CHAT_B, doc_id="b", file_name="b.txt", chunks=chunks("Пароль Wi-Fi: гарбуз2025."),
                 dense=[unit(0, 1)])
    await kb.add(scope=AGENT, doc_id="g", file_name="faq.md", chunks=chunks("EcoMiner: гарантія 5 років."),
                 dense=[unit(0, 0, 1)])
    await kb.close()


async def test_migrate_moves_every_point_then_deletes_the_old_collection_and_a_second_run_does_nothing(
        tmp_path: Path) -> None:
    old, new = tmp_path / "qdrant", tmp_path / "kb"
    await old_folder(old)
    said: list[str] = []
    assert await migrate(old, new, say=said.append) == 0
    assert said[0].startswith(f"migrated 4 chunks (dense+sparse, ollama:bge-m3) from {old} to {new}")
    assert "the old collection" in said[0] and "is deleted" in said[0]
    # Documents deleted from now on (/kb delete, /forget) must not live on, or come back, from the old folder.
    assert not (old / "collection" / COLLECTION).exists() and not (tmp_path / "kb.moving").exists()

    bot = KnowledgeIndex.open(path=str(new), legacy_path=str(old), dense_dim=DIM, dense_model=MODEL)
    await bot.ensure()
    assert (await bot.count([CHAT_A]), await bot.count([CHAT_B]), await bot.count([AGENT])) == (2, 1, 1)
    found = await bot.search("тариф ENERGY", scopes=[CHAT_A, AGENT], dense=unit(1))
    assert (found[0].file_name, found[0].page, found[0].scope) == ("tariffs.pdf", 1, CHAT_A)
    by_meaning = await bot.search("", scopes=[AGENT], dense=unit(0, 0, 1))  # the dense vectors came along
    assert by_meaning[0].text == "EcoMiner: гарантія 5 років." and by_meaning[0].score == pytest.approx(1.0)
    assert not any(p.scope == CHAT_B for p in await bot.search("пароль гарбуз2025", scopes=[CHAT_A, AGENT]))
    await bot.close()

    said.clear()
    assert await migrate(old, new, say=said.append) == 0  # again: nothing is copied back
    assert said == [f"nothing to migrate: {old} holds no old knowledge collection"]


async def test_migrate_refuses_a_target_that_already_holds_files(tmp_path: Path) -> None:
    old, new = tmp_path / "qdrant", tmp_path / "kb"
    await old_folder(old)
    new.mkdir()
    (new / "edge_config.json").write_text("{}")
    said: list[str] = []
    assert await migrate(old, new, say=said.append) == 2
    assert "already holds files" in said[0] and (old / "collection" / COLLECTION).is_dir()


async def test_an_upgraded_bot_moves_the_old_folder_itself_at_start_even_after_a_move_that_died(
        tmp_path: Path) -> None:
    old, new = tmp_path / "qdrant", tmp_path / "kb"
    await old_folder(old)
    (tmp_path / "kb.moving" / "segments").mkdir(parents=True)  # a start that died while moving left this
    bot = KnowledgeIndex.open(path=str(new), legacy_path=str(old), dense_dim=DIM, dense_model=MODEL)
    await bot.ensure()
    try:
        assert (await bot.count([CHAT_A]), await bot.count([CHAT_B]), await bot.count([AGENT])) == (2, 1, 1)
        found = await bot.search("тариф ENERGY", scopes=[CHAT_A], dense=unit(1))
        assert found[0].file_name == "tariffs.pdf"
    finally:
        await bot.close()
    assert not (tmp_path / "kb.moving").exists() and not (old / "collection" / COLLECTION).exists()


async def test_bm25_built_by_another_tokenizer_is_rebuilt_from_the_text(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    with monkeypatch.context() as patched:
        patched.setattr(sparse, "VERSION", "bm25-old")
        patched.setattr(sparse, "token_id", lambda token: 7)  # every word one id: useless to today's code
        await old_folder(tmp_path / "qdrant")
    said: list[str] = []
    assert await migrate(tmp_path / "qdrant", tmp_path / "kb", say=said.append) == 0
    assert f"bm25 rebuilt for {sparse.VERSION}" in said[0]
    kb = KnowledgeIndex.open(path=str(tmp_path / "kb"), dense_dim=DIM, dense_model=MODEL)
    await kb.ensure()  # the marker is today's: no reindex asked for
    assert [p.text for p in await kb.search("графік зборів", scopes=[CHAT_A])] == ["Графік зборів: щосуботи."]
    await kb.close()


async def test_nothing_to_migrate_is_said_and_creates_nothing(tmp_path: Path) -> None:
    said: list[str] = []
    assert await migrate(tmp_path / "qdrant", tmp_path / "kb", say=said.append) == 0
    assert said == [f"nothing to migrate: {tmp_path / 'qdrant'} holds no old knowledge collection"]
    assert not (tmp_path / "kb").exists()


async def test_the_command_migrates_data_dir_qdrant_into_data_dir_kb(tmp_path: Path) -> None:
    await old_folder(tmp_path / "data" / "qdrant")
    env = {**os.environ, "DATA_DIR": str(tmp_path / "data"), "PYTHONPATH": str(ROOT)}
    for expected in (f"migrated 4 chunks (dense+sparse, {MODEL}) from {tmp_path / 'data' / 'qdrant'} to "
                     f"{tmp_path / 'data' / 'kb'}", "nothing to migrate"):  # the second run finds nothing to do
        out = subprocess.run([sys.executable, "-m", "rag", "migrate"], cwd=tmp_path, env=env, capture_output=True,
                             text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        assert expected in out.stdout
    kb = KnowledgeIndex.open(path=str(tmp_path / "data" / "kb"), dense_dim=DIM, dense_model=MODEL)
    await kb.ensure()
    assert await kb.count() == 4
    await kb.close()


async def test_the_bots_settings_open_edge_in_kb_path_and_watch_the_old_folder(tmp_path: Path) -> None:
    from rag.edge_store import EdgeStore
    from rag.settings import KnowledgeSettings

    index = KnowledgeSettings.from_env({}, tmp_path / "data").open_index(MODEL)
    assert isinstance(index.store, EdgeStore) and index.store.path == tmp_path / "data" / "kb"
    assert index.legacy_path == str(tmp_path / "data" / "qdrant")
    await index.close()


async def test_reindex_before_the_first_start_after_the_upgrade_moves_the_old_folder_first(tmp_path: Path) -> None:
    from rag.knowledge import KnowledgeBase
    from rag.reindex import reindex
    from rag.settings import KnowledgeSettings
    from router.core import ModelRouter
    from router.providers.ollama import OllamaProvider
    from router.testing import FakeLLM
    from router.types import Target
    from storage.documents import DocumentRegistry
    from storage.store import open_store

    old = tmp_path / "qdrant"
    await old_folder(old)
    models = {"qwen3:8b": {"capabilities": ["completion"]}, "bge-m3": {"capabilities": ["embedding"], "dim": DIM}}
    async with FakeLLM(models=models) as llm:
        store = await open_store(f"sqlite:///{tmp_path}/kb.db")
        router = ModelRouter({"ollama": OllamaProvider("ollama", llm.url, local=True)},
                             {"chat": [Target("ollama", "qwen3:8b")], "embed": [Target("ollama", "bge-m3")]})
        index = KnowledgeIndex.open(path=str(tmp_path / "kb"), legacy_path=str(old), dense_dim=DIM, dense_model=MODEL)
        kb = KnowledgeBase(index, DocumentRegistry(store.db), router, KnowledgeSettings())
        try:
            assert await reindex(kb) == 4  # the old folder's chunks, not an empty new one
            found = await kb.index.search("тариф ENERGY", scopes=[CHAT_A])
            assert found and found[0].file_name == "tariffs.pdf" and await kb.index.count() == 4
        finally:
            await kb.close()
            await router.aclose()
            await store.close()
