"""A running bot wired to the fake Bot API and fake LLM, for end-to-end tests."""
from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

from bot.app import run_telegram
from bot.services import Services, build_services
from bot.settings import load_settings
from bot.testing import FakeTelegram
from router.testing import FakeLLM

TOKEN = "123456:TEST-token-abcdefghijklmnop"
HELION_TOKEN = "777777:HELION-token-abcdefghijkl"
ROUTER_YAML = """
providers:
  ollama: {kind: ollama, base_url: "${OLLAMA_URL}", local: true, timeouts: {connect: 1, first_token: 3, total: 20}}
  backup: {kind: openai, base_url: "${BACKUP_URL}", api_key_env: BACKUP_KEY,
           timeouts: {connect: 1, first_token: 3, total: 20}}
routes:
  chat: [ollama:qwen3:8b, backup:gpt-4o-mini]
"""


@dataclass
class Bot:
    """The running bot and its fakes."""

    tg: FakeTelegram
    llm: FakeLLM
    services: Services
    task: asyncio.Task[None]
    tmp: Path
    token: str = TOKEN
    extra: dict[str, object] = field(default_factory=dict)

    def say(self, text: str, *, chat_id: int = 1001, user_id: int = 1001, **kw: object) -> int:
        """A user writes to the bot."""
        return self.tg.send_text(self.token, chat_id=chat_id, user_id=user_id, text=text, **kw)

    async def replies(self, chat_id: int, n: int = 1, timeout: float = 10.0) -> list[str]:
        """Wait for at least n final messages in the chat and return them all."""
        await self.tg.wait_for(lambda: len(self.tg.sent_texts(chat_id)) >= n, timeout)
        return self.tg.sent_texts(chat_id)


@contextlib.asynccontextmanager
async def running_bot(tmp: Path, *, tg: FakeTelegram, llm: FakeLLM, ollama_url: str | None = None,
                      backup_url: str | None = None, monkeypatch=None, router_yaml: str = ROUTER_YAML,
                      **settings: object) -> AsyncIterator[Bot]:
    """Start the Telegram front end against the fakes; stop it on exit."""
    router_file = tmp / "router.yaml"
    router_file.write_text(router_yaml)
    if monkeypatch is not None:
        monkeypatch.setenv("BACKUP_URL", backup_url or llm.openai_url)
        monkeypatch.setenv("BACKUP_KEY", "sk-test-key-1234567890")
    if TOKEN not in tg._bots:
        tg.add_bot(TOKEN, "dagi_bot")
    values: dict[str, object] = dict(
        _env_file=None, bot_token=TOKEN, telegram_api_url=tg.url, database_url=f"sqlite+aiosqlite:///{tmp}/dagi.db",
        ollama_url=ollama_url or llm.url, router_file=router_file, data_dir=tmp / "data",
        update_interval=0.3, first_update_delay=0.05,
        # Tests are offline: personas search the web on their own only where a test turns it on (with fakes).
        search_auto=False)
    values.update(settings)
    services = await build_services(load_settings(**values))
    task = asyncio.create_task(run_telegram(services))
    bot = Bot(tg, llm, services, task, tmp)
    try:
        yield bot
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
        await services.aclose()


def system_of(request) -> str:
    """The system prompt of a recorded model request."""
    messages = request.json["messages"]
    assert messages[0]["role"] == "system"
    return messages[0]["content"]


def prompt_of(bot, key: str) -> str:
    """A persona's configured system prompt."""
    return bot.services.personas.get(key).system_prompt.strip()
