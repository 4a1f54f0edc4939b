"""The embedded engine (Qdrant Edge): weights per chat, one process per folder, the command line beside the bot."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from rag.edge_store import EdgeStore
from rag.index import KnowledgeIndex
from rag.types import Chunk, IndexBusy
from tests.rag.test_index import CHAT_A, CHAT_B, DIM, chunks, opened, unit

ROOT = Path(__file__).resolve().parents[2]
NO_EMBED = """
providers:
  ollama: {kind: ollama, base_url: "http://127.0.0.1:9", local: true}
routes:
  chat: [ollama:qwen3:8b]
"""


@pytest.mark.parametrize("engine", ["edge", "client"])
async def test_another_chats_documents_do_not_shift_a_chats_word_weights(tmp_path: Path, engine: str) -> None:
    kb = opened(engine, tmp_path / "q")
    await kb.ensure()
    await kb.add(scope=CHAT_A, doc_id="a", file_name="a.txt", dense=None, chunks=chunks(
        "інвертор на складі", "гарантія гарантія на котел", "графік роботи офісу"))
    query = "інвертор гарантія"
    alone = [(p.text, p.chunk_index) for p in await kb.search(query, scopes=[CHAT_A])]
    assert alone[0] == ("гарантія гарантія на котел", 1)  # both words are as rare in A; this one is said twice
    # Chat B writes "гарантія" everywhere: over the whole collection the word grows cheap and "інвертор" would
    # win A's search; counted over what A may see, A's order is what it was.
    many = [f"гарантія на товар номер {i}" for i in range(40)]
    await kb.add(scope=CHAT_B, doc_id="b", file_name="b.txt", dense=None, chunks=chunks(*many))
    assert [(p.text, p.chunk_index) for p in await kb.search(query, scopes=[CHAT_A])] == alone
    await kb.close()


async def test_a_second_opener_of_the_folder_is_refused_until_the_first_closes(tmp_path: Path) -> None:
    bot = KnowledgeIndex.open(path=str(tmp_path / "kb"), dense_dim=DIM)
    await bot.ensure()
    await bot.add(scope=CHAT_A, doc_id="d", file_name="f", chunks=chunks("сад"), dense=[unit(1)])
    cli = KnowledgeIndex.open(path=str(tmp_path / "kb"), dense_dim=DIM)
    with pytest.raises(IndexBusy, match="open in another process"):
        await cli.ensure()
    await bot.close()
    await cli.ensure()  # the folder is free again: the same object now opens it
    assert await cli.count([CHAT_A]) == 1
    await cli.close()


async def test_many_documents_add_search_and_delete_by_document(tmp_path: Path) -> None:
    kb = KnowledgeIndex.open(path=str(tmp_path / "kb"), dense_dim=DIM)
    await kb.ensure()
    for d in range(30):  # several upsert batches in all
        texts = [f"документ {d} розділ {i} про насоси" for i in range(40)]
        await kb.add(scope=CHAT_A if d % 2 else CHAT_B, doc_id=f"d{d}", file_name=f"{d}.txt",
                     chunks=[Chunk(t, 1, i) for i, t in enumerate(texts)], dense=[unit(1, i) for i in range(40)])
    assert (await kb.count([CHAT_A]), await kb.count([CHAT_B]), await kb.count()) == (600, 600, 1200)
    await kb.delete("d3")
    assert await kb.count([CHAT_A]) == 560
    found = await kb.search("документ 3 розділ насоси", scopes=[CHAT_A], limit=50)
    assert found and all(p.doc_id != "d3" and p.scope == CHAT_A for p in found)
    await kb.close()


def test_the_command_line_refuses_a_folder_the_bot_holds_and_says_what_to_do(tmp_path: Path) -> None:
    (tmp_path / "router.yaml").write_text(NO_EMBED)
    (tmp_path / "rules.md").write_text("Правила кооперативу: збори щосуботи.", encoding="utf-8")
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/dagi.db", "DATA_DIR": str(tmp_path / "data"),
           "ROUTER_FILE": str(tmp_path / "router.yaml"), "PYTHONPATH": str(ROOT), "KB_EMBED_DIM": "64"}
    holder = """
import sys, time
from rag.edge_store import EdgeStore
import asyncio
store = EdgeStore(sys.argv[1])
asyncio.run(store.create(64, ""))
print("open", flush=True)
time.sleep(60)
"""
    bot = subprocess.Popen([sys.executable, "-c", holder, str(tmp_path / "data" / "kb")], env=env,
                           stdout=subprocess.PIPE, text=True)
    try:
        assert bot.stdout is not None and bot.stdout.readline().strip() == "open"
        out = subprocess.run([sys.executable, "-m", "rag", "ingest", "rules.md", "--agent", "helion"],
                             cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    finally:
        bot.kill()
        bot.wait()
    assert out.returncode == 2
    assert "is open in another process" in out.stderr and "stop the bot" in out.stderr
    again = subprocess.run([sys.executable, "-m", "rag", "ingest", "rules.md", "--agent", "helion"],
                           cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr  # the holder is gone (its lock with it): now it goes in
    assert "added    #1" in again.stdout


async def test_memory_keeps_nothing_after_close(tmp_path: Path) -> None:
    kb = KnowledgeIndex.open(path=":memory:", dense_dim=DIM)
    await kb.ensure()
    await kb.add(scope=CHAT_A, doc_id="d", file_name="f", chunks=chunks("сад"), dense=[unit(1)])
    assert isinstance(kb.store, EdgeStore)
    folder = kb.store.path
    assert folder.is_dir()
    await kb.close()
    assert not folder.exists()
