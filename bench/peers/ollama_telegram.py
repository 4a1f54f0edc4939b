"""Start ruecat/ollama-telegram against a fake Bot API, under the peer's own venv (bench/peer_ollama_telegram.py).

Env: PEER_DIR (a checkout of the peer), TELEGRAM_API_URL (the fake Bot API), and the peer's own settings
(TOKEN, ADMIN_IDS, USER_IDS, OLLAMA_BASE_URL, OLLAMA_PORT, INITMODEL, LOG_LEVEL).
"""
import asyncio
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(os.environ["PEER_DIR"]) / "bot"))  # the peer imports `func.interactions` from there

import run  # the peer's bot/run.py: builds its Bot (default session, api.telegram.org) and Dispatcher at import
from aiogram.client.telegram import TelegramAPIServer

run.bot.session.api = TelegramAPIServer.from_base(os.environ["TELEGRAM_API_URL"])  # the only change: where it calls
asyncio.run(run.main())
