"""`python -m bot [run|console] [--agent NAME]`: the Telegram bot, or a terminal chat."""
from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import os
import sys

from base import ConfigError


def terminal_language() -> str | None:
    """The terminal's language as the C library reads it (uk_UA.UTF-8): for the console's own lines."""
    return os.environ.get("LC_ALL") or os.environ.get("LC_MESSAGES") or os.environ.get("LANG")


async def _main(mode: str, agent: str | None) -> None:
    # Imported here, after main() paused garbage collection for the start-up.
    from bot.services import build_services
    from bot.settings import load_settings
    from i18n import translator

    settings = load_settings()
    if mode == "auto":
        mode = "run" if settings.bot_token or settings.agent_bot_tokens else "console"
        if mode == "console":
            print(translator(terminal_language() or "C")("console-no-token"), file=sys.stderr)
    # The console is a chat on the terminal: its log records go to a file, so none lands between chat lines.
    log_file = settings.data_dir / "console.log" if mode == "console" else None
    services = await build_services(settings, log_file=log_file)
    try:
        if mode == "console":
            from bot.console import run_console
            _started()
            await run_console(services, agent, language=terminal_language())
        else:
            from bot.app import run_telegram
            await run_telegram(services, started=_started)
    finally:
        await services.aclose()


def _started() -> None:
    """Polling has begun: what start-up built lives as long as the process, so collections skip it from now on."""
    gc.freeze()
    gc.enable()


def main() -> None:
    """Parse arguments; configuration errors end with a clear message, not a traceback."""
    parser = argparse.ArgumentParser(prog="python -m bot", description="DAGI multi-agent bot")
    parser.add_argument("mode", nargs="?", choices=["auto", "run", "console"], default="auto",
                        help="run = Telegram bot, console = terminal chat, auto = bot if BOT_TOKEN is set")
    parser.add_argument("--agent", help="persona for the console chat (daarwizz, helion, greenfood)")
    args = parser.parse_args()
    # Start-up builds ~0.27 M long-lived objects (models, schemas, routes) and little garbage: full collections
    # there cost ~0.1 s each. Collection resumes once polling has begun (`_started`), or once the console runs.
    gc.disable()
    try:
        asyncio.run(_main(args.mode, args.agent))
    except ConfigError as exc:
        print(f"Configuration error: {exc}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        pass
    except Exception as exc:
        # Logging is set up with the secret filter by then; the traceback is shown with LOG_LEVEL=DEBUG.
        log = logging.getLogger("bot")
        log.error("DAGI stopped: %s: %s", type(exc).__name__, exc, exc_info=log.isEnabledFor(logging.DEBUG))
        sys.exit(1)


if __name__ == "__main__":
    main()
