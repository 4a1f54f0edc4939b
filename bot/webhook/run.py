"""Webhook mode's run: listen, tell Telegram where to post, tend the claims, and stop gracefully."""
from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable, Iterable, Mapping

from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramBadRequest
from aiohttp import web

from base import ConfigError
from bot.settings import Settings
from bot.webhook.intake import Intake
from bot.webhook.receiver import AppSetup, Hook, hooks, webhook_app
from storage.updates import UpdateGuard, UpdateInbox

log = logging.getLogger(__name__)
DRAIN = 8.0  # seconds a stopping replica waits for updates in hand (docker stop allows 10 before SIGKILL)


async def receive(dp: Dispatcher, bots: Mapping[str, Bot], settings: Settings, inbox: UpdateInbox, *,
                  ready: Callable[[], None], busy: Callable[[], None], routes: Iterable[AppSetup] = (),
                  guard: UpdateGuard | None = None) -> None:
    """Serve every bot's webhook until cancelled or SIGTERM/SIGINT; `ready()` once Telegram knows where to post,
    `busy()` at each update taken. Stopping leaves the webhooks set: other replicas keep receiving."""
    intake = Intake(dp, bots, inbox, guard=guard, first=busy, data={"bots": tuple(bots.values())})
    found = hooks(settings, bots)
    runner = web.AppRunner(webhook_app(intake, found, routes), access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, settings.webhook_host, settings.webhook_port)
    workflow = {"dispatcher": dp, "bots": tuple(bots.values()), **dp.workflow_data}
    stop = asyncio.Event()
    try:
        try:
            await site.start()
        except OSError as exc:
            raise ConfigError(f"WEBHOOK_PORT: cannot listen on {settings.webhook_host}:{settings.webhook_port} "
                              f"({exc.strerror}). Fix: choose a free port") from None
        await dp.emit_startup(bot=list(bots.values())[-1], **workflow)
        for key, bot in bots.items():
            await _set_webhook(bot, found[key], dp, settings)
        log.info("webhook: listening on %s:%s for %s", settings.webhook_host, settings.webhook_port,
                 ", ".join(h.url for h in found.values()))
        ready()
        _on_signals(stop.set)
        await _tend(intake, inbox, settings.pending_lease, stop)
    finally:
        _on_signals(None)
        # New deliveries get 503 meanwhile: Telegram brings them again, to another replica or after the restart.
        await intake.drain(DRAIN)
        await runner.cleanup()
        await dp.emit_shutdown(bot=list(bots.values())[-1], **workflow)


async def _set_webhook(bot: Bot, hook: Hook, dp: Dispatcher, settings: Settings) -> None:
    try:
        # allowed_updates as polling asks; pending updates are never dropped, whichever mode left them.
        await bot.set_webhook(hook.url, secret_token=hook.secret, allowed_updates=dp.resolve_used_update_types(),
                              max_connections=settings.webhook_max_connections, drop_pending_updates=False)
    except TelegramBadRequest as exc:
        raise ConfigError(f"WEBHOOK_URL: Telegram refused the webhook {hook.url}: {exc.message}. "
                          "Fix: a public https URL on port 443, 80, 88 or 8443") from None


async def _tend(intake: Intake, inbox: UpdateInbox, lease: float, stop: asyncio.Event) -> None:
    """Until `stop`: renew the claims in hand, and take over those a dead holder left (first at once: a restart)."""
    while not stop.is_set():
        try:
            await inbox.renew(intake.held)
            for held in await inbox.stale(list(intake.bots), lease):
                intake.resume(held)
        except Exception:
            log.exception("webhook: could not renew or sweep update claims")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), lease / 3)


def _on_signals(handler: Callable[[], None] | None) -> None:
    """SIGTERM/SIGINT stop the webhook gracefully, as aiogram's polling does; None restores the defaults."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):  # not the main thread, Windows
            if handler is None:
                loop.remove_signal_handler(sig)
            else:
                loop.add_signal_handler(sig, handler)
