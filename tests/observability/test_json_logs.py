"""LOG_FORMAT=json: one JSON object per line, the ids of the update and turn on each, and never a secret."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from router.testing import FakeLLM
from tests.harness import TOKEN

ROOT = Path(__file__).resolve().parent.parent.parent
API_KEY = "sk-live-0123456789abcdefXYZ"
ODD = 'pa"ss\\wörd-2024!'  # a password JSON has to escape (quote, backslash, non-ASCII)

LOGGING = f"""
import asyncio, logging
from base.log_context import bind
from bot.logs import setup_logging

setup_logging("INFO", [{TOKEN!r}, {API_KEY!r}, {ODD!r}], fmt="json")
log = logging.getLogger("dagi.test")

async def turn(chat):
    bind(update_id=chat * 10, chat_id=chat, user_id=chat + 1)
    bind(agent="helion", provider="ollama")
    log.warning("calling with key %s", {API_KEY!r})
    try:
        raise RuntimeError("token " + {TOKEN!r} + " and password " + {ODD!r})
    except RuntimeError:
        log.exception("model failed")

async def main():
    await asyncio.gather(turn(1), turn(2))
    log.info("outside any update", extra={{"url": "https://x/bot" + {TOKEN!r} + "/getMe"}})
    log.info("the secret part alone: %s", {TOKEN.split(":", 1)[1]!r})

asyncio.run(main())
"""


def lines_of(text: str) -> list[dict[str, object]]:
    """Every non-empty line parsed as one JSON object (fails on any other line)."""
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def assert_no_secret(text: str) -> None:
    """Neither in the lines as written nor in any value they decode to."""
    values = [str(v) for record in lines_of(text) for v in record.values()]
    for secret in (TOKEN.split(":", 1)[1], API_KEY, ODD):
        assert secret not in text and not any(secret in v for v in values), secret


def test_json_lines_carry_the_bound_ids_and_no_secret() -> None:
    out = subprocess.run([sys.executable, "-c", LOGGING], cwd=ROOT, capture_output=True, text=True, timeout=60,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.returncode == 0, out.stderr
    assert_no_secret(out.stderr)
    records = lines_of(out.stderr)
    assert len(records) == 6
    for chat in (1, 2):  # two updates at once: each line carries its own update's ids, not the other's
        mine = [r for r in records if r.get("chat_id") == chat]
        assert [r["message"] for r in mine] == ["calling with key <secret>", "model failed"]
        assert all(r["update_id"] == chat * 10 and r["user_id"] == chat + 1 and r["agent"] == "helion"
                   and r["provider"] == "ollama" for r in mine)
        assert mine[1]["level"] == "ERROR" and "RuntimeError: token <secret> and" in str(mine[1]["exc_info"])
        assert "password <secret>" in str(mine[1]["exc_info"])
    outside = [r for r in records if "chat_id" not in r]
    assert outside[0]["url"] == "https://x/bot<secret>/getMe"  # extra fields are scrubbed too
    assert outside[1]["message"] == "the secret part alone: <secret>"
    assert all({"time", "level", "logger", "message"} <= set(r) for r in records)


async def test_the_running_bot_logs_json_lines_with_the_ids_of_the_update(tmp_path, tg, llm) -> None:
    tg.add_bot(TOKEN, "dagi_bot")
    llm.reply("Відповідає резерв.")
    (tmp_path / "router.yaml").write_text(f"""
providers:
  ollama: {{kind: ollama, base_url: "{FakeLLM.refusing_url()}", local: true, timeouts: {{connect: 1}}}}
  backup: {{kind: openai, base_url: "{llm.openai_url}", api_key_env: BACKUP_KEY}}
routes:
  chat: [ollama:qwen3:8b, backup:gpt-4o-mini]
""")
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_API_KEY", "BOT_TOKEN"))}
    env.update(BOT_TOKEN=TOKEN, TELEGRAM_API_URL=tg.url, BACKUP_KEY=API_KEY, DATA_DIR=str(tmp_path),
               DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/dagi.db", ROUTER_FILE=str(tmp_path / "router.yaml"),
               AGENTS_FILE=str(ROOT / "config" / "agents.yaml"), PYTHONPATH=str(ROOT), LOG_LEVEL="INFO",
               LOG_FORMAT="json")
    with (tmp_path / "stderr").open("w+") as err:
        proc = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=tmp_path, env=env, stderr=err)
        try:
            update_id = tg.send_text(TOKEN, chat_id=4242, user_id=4243, text="Привіт")
            await tg.wait_for(lambda: tg.sent_texts(4242) == ["Відповідає резерв."], timeout=60)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
        err.seek(0)
        text = err.read()
    assert_no_secret(text)
    records = lines_of(text)
    fallback = [r for r in records if r["logger"] == "router.core" and r["level"] == "WARNING"]
    assert fallback, text[-3000:]
    assert fallback[0]["update_id"] == update_id and fallback[0]["chat_id"] == 4242
    assert fallback[0]["user_id"] == 4243 and fallback[0]["agent"]
    assert "ollama:qwen3:8b failed before its first token" in str(fallback[0]["message"])
