"""CrewAI is never imported at start; load() imports it once, in a thread, telemetry off, storage in DATA_DIR."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def run(code: str, env: dict[str, str] | None = None) -> str:
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_importing_the_package_and_its_runner_does_not_import_crewai() -> None:
    out = run("import sys, agents.search, agents.search.runner, agents.search.types, agents.search.decide; "
              "print(sorted(m for m in sys.modules if m.split('.')[0] == 'crewai' or m == 'agents.search.crew'))")
    assert out.strip() == "[]"


def test_load_imports_once_off_the_loop_with_telemetry_off_and_storage_under_data_dir(tmp_path: Path) -> None:
    code = f"""
import asyncio, json, os, sys, threading, time
from pathlib import Path
import agents.search

async def main():
    assert agents.search.available() and not agents.search.loaded()
    gaps, stop = [], False
    async def tick():
        last = time.perf_counter()
        while not stop:
            await asyncio.sleep(0.005)
            now = time.perf_counter(); gaps.append(now - last); last = now
    ticker = asyncio.create_task(tick())
    await agents.search.load(Path({str(tmp_path)!r}))
    stop = True
    await ticker
    await agents.search.load(Path("elsewhere"))  # a second load changes nothing
    from crewai_core.paths import db_storage_path
    print(json.dumps({{"ticks": len(gaps), "max_gap_ms": max(gaps) * 1000, "storage": db_storage_path(),
                      "env": [os.environ[k] for k in ("CREWAI_DISABLE_TELEMETRY", "OTEL_SDK_DISABLED",
                                                      "CREWAI_TRACING_ENABLED")],
                      "crew": agents.search.loaded()}}))

asyncio.run(main())
"""
    env = {k: v for k, v in __import__("os").environ.items() if not k.startswith(("CREWAI_", "OTEL_"))}
    result = json.loads(run(code, env).strip().splitlines()[-1])
    assert result["env"] == ["true", "true", "false"] and result["crew"]
    assert Path(result["storage"]) == (tmp_path / "crewai").resolve()
    assert result["ticks"] > 20  # the loop kept running while CrewAI imported in its thread
    print(f"event-loop stall while importing crewai: max {result['max_gap_ms']:.0f} ms over {result['ticks']} ticks")


CREW_MODULES = {"agents/search/llm.py", "agents/search/tools.py", "agents/search/crew.py"}  # loaded by load() only


def test_only_the_crew_modules_import_crewai() -> None:
    import ast

    importers = set()
    for package in ("bot", "ops", "agents", "router", "rag", "vision", "storage", "web", "base", "i18n"):
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                    [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
                if any(n.split(".")[0] == "crewai" for n in names):
                    importers.add(str(path.relative_to(ROOT)))
    assert importers == CREW_MODULES
