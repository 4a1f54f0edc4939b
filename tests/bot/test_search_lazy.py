"""The bot starts without CrewAI: the search stack is built at the first search, never at start."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CODE = """
import asyncio, sys
from bot.services import build_services
from bot.settings import load_settings

async def main():
    services = await build_services(load_settings(
        _env_file=None, database_url="sqlite:///{db}", data_dir="{data}",
        agents_file="{root}/config/agents.yaml", router_file="{root}/config/router.yaml"))
    assert services.conversations.search is not None and services.ops.search is services.search_use
    await services.aclose()
    heavy = sorted({{m.split(".")[0] for m in sys.modules}} & {{"crewai", "litellm", "trafilatura", "ddgs", "lxml"}})
    print("heavy:", heavy)

asyncio.run(main())
"""


def test_starting_the_bot_imports_no_crewai(tmp_path: Path) -> None:
    code = CODE.format(db=tmp_path / "x.db", data=tmp_path / "data", root=ROOT)
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "heavy: []"
