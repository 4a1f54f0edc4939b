"""`python -m rag ingest PATH --agent helion` fills an agent's knowledge base; `python -m rag reindex` rebuilds vectors.

    python -m rag ingest PATH [PATH …] --agent helion   files or folders (PDF, DOCX, TXT, MD, HTML, CSV)
    python -m rag ingest PATH [PATH …] --collection city_faq   a collection agents.yaml `knowledge:` names
    python -m rag list [--agent helion]
    python -m rag reindex                               re-embed every chunk (after changing the embedding model)
    python -m rag migrate [--from DIR]                  copy the old embedded folder (QDRANT_PATH) into KB_PATH

Reads the bot's environment (.env): DATABASE_URL, DATA_DIR, ROUTER_FILE, OLLAMA_URL, QDRANT_URL, KB_*.
The embedded engine (no QDRANT_URL) lets one process open its folder: stop the bot first, or the command
refuses and says so (the bot opens the folder when a base has documents, or at its first upload).
Exit codes: 0 fine, 1 some files were refused, 2 configuration or startup error.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from base import ConfigError
from rag.extract import kind_of
from rag.knowledge import Asker, KnowledgeBase, agent_scope, collection_scope
from rag.reindex import reindex
from rag.settings import KnowledgeSettings
from rag.types import ExtractError, IndexBusy, IndexMismatch
from router.__main__ import read_env
from router.config import build_router, load_router_config
from router.core import ModelRouter
from storage.documents import DocumentRegistry
from storage.store import Store, open_store
from storage.usage import UsageLedger


async def open_kb(env: dict[str, str]) -> tuple[KnowledgeBase, tuple[Store, ModelRouter]]:
    """The same knowledge base the bot opens (same defaults as bot.settings), and the store to close."""
    data_dir = Path(env.get("DATA_DIR") or "data")
    env.setdefault("OLLAMA_URL", "http://localhost:11434")
    store = await open_store(env.get("DATABASE_URL") or f"sqlite:///{data_dir}/dagi.db")
    config = load_router_config(Path(env.get("ROUTER_FILE") or "config/router.yaml"), env)
    router = build_router(config, env, data_dir=data_dir, ledger=UsageLedger(store.db))
    settings = KnowledgeSettings.from_env(env, data_dir)
    embed = router.targets("embed")
    index = settings.open_index(str(embed[0]) if embed else "")
    kb = KnowledgeBase(index, DocumentRegistry(store.db), router, settings)
    return kb, (store, router)


def files_of(paths: Sequence[str]) -> list[Path]:
    """The supported files among paths (folders searched recursively), in a stable order."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw).expanduser()
        candidates = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        found.extend(p for p in candidates if kind_of(p.name) is not None or not path.is_dir())
    return found


async def ingest(kb: KnowledgeBase, agent: str, paths: Sequence[str], collection: str = "") -> int:
    """Add each file to the agent's base (or to a named collection); print one line per file."""
    refused = 0
    scope = collection_scope(collection) if collection else agent_scope(agent)
    for path in files_of(paths):
        try:
            result = await kb.ingest(path.read_bytes(), path.name, None, scope=scope, asker=Asker(agent=agent))
        except (ExtractError, OSError) as exc:
            refused += 1
            print(f"refused  {path}: {exc}")
            continue
        d = result.document
        state = "already  " if result.duplicate else "added    "
        print(f"{state}#{d.id} {path} — pages {d.pages}, chunks {d.chunks}, "
              f"{'dense+sparse' if d.dense else 'sparse only'}, {result.seconds:.1f} s")
    return 1 if refused else 0


BUSY = "Fix: stop the bot, run this, start the bot again; or run Qdrant as a server and set QDRANT_URL"


async def run(args: argparse.Namespace) -> int:
    env = read_env()
    if args.command == "migrate":
        from rag.migrate import migrate

        try:
            settings = KnowledgeSettings.from_env(env, Path(env.get("DATA_DIR") or "data"))
        except ConfigError as exc:
            print(exc, file=sys.stderr)
            return 2
        source = Path(args.source) if args.source else settings.qdrant_path
        assert source is not None and settings.kb_path is not None  # from_env sets both
        return await migrate(source, settings.kb_path)
    try:
        kb, (store, router) = await open_kb(env)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    try:
        if args.command == "ingest":
            await kb.start()
            await kb.ready()  # the folder now: a busy or unfit one is refused before any file is read
            return await ingest(kb, args.agent or "", args.paths, args.collection or "")
        if args.command == "list":
            asked = ([agent_scope(args.agent)] if args.agent else []) + (
                [collection_scope(args.collection)] if args.collection else [])
            scopes = asked or sorted({d.scope for d in await kb.registry.all()})
            for d in await kb.documents(scopes):
                print(f"#{d.id} {d.scope} {d.file_name} — chunks {d.chunks}, {'dense' if d.dense else 'sparse only'}")
            return 0
        done = await reindex(kb, progress=lambda n, total: print(f"\rre-embedded {n}/{total} chunks", end=""))
        print(f"\nreindexed {done} chunks")
        return 0
    except IndexMismatch as exc:
        print(exc, file=sys.stderr)
        return 2
    except IndexBusy as exc:
        print(f"{exc}. {BUSY}", file=sys.stderr)
        return 2
    finally:
        await kb.close()
        await router.aclose()
        await store.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rag", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    ing = sub.add_parser("ingest", help="add files or folders to an agent's knowledge base")
    ing.add_argument("paths", nargs="+")
    whose = ing.add_mutually_exclusive_group(required=True)
    whose.add_argument("--agent", help="persona id: daarwizz, helion, greenfood")
    whose.add_argument("--collection", help="a named collection personas list under `knowledge:` in agents.yaml")
    ls = sub.add_parser("list", help="documents of one agent's base or collection, or of every base")
    ls.add_argument("--agent", default="")
    ls.add_argument("--collection", default="")
    sub.add_parser("reindex", help="re-embed every stored chunk with the current embedding model and size")
    mig = sub.add_parser("migrate", help="copy an old embedded Qdrant folder (local mode) into the embedded engine")
    mig.add_argument("--from", dest="source", default="", help="the old folder (default: QDRANT_PATH, data/qdrant)")
    return asyncio.run(run(parser.parse_args(argv)))


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
