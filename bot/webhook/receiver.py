"""The webhook's HTTP side: one route per bot (aiogram's request handler), its secret, the aiohttp app."""
from __future__ import annotations

import hashlib
import hmac
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from aiogram import Bot
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web

from base import ConfigError
from bot.settings import Settings
from bot.webhook.intake import Intake

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
AppSetup = Callable[[web.Application], None]  # adds routes (/metrics, /healthz…) to the webhook's app


@dataclass(frozen=True, slots=True)
class Hook:
    """Where Telegram posts one bot's updates and the secret it sends along."""

    key: str
    path: str
    url: str
    secret: str


def derived_secret(token: str) -> str:
    """A bot's webhook secret when WEBHOOK_SECRET is unset: the same on every replica, and no way back to the token."""
    return hmac.new(token.encode(), b"dagi webhook secret", hashlib.sha256).hexdigest()


def hooks(settings: Settings, bots: Mapping[str, Bot]) -> dict[str, Hook]:
    """Each bot's path (its key, never its token), URL and secret, as the settings say."""
    base = settings.webhook_url or ""
    if len(bots) > 1 and "{bot}" not in settings.webhook_path:
        raise ConfigError(f"WEBHOOK_PATH: {settings.webhook_path} would be one path for {len(bots)} bots. "
                          "Fix: put {bot} in it, e.g. /telegram/{bot}")
    found = {}
    for key, bot in bots.items():
        path = settings.webhook_path.replace("{bot}", key)
        secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else derived_secret(bot.token)
        found[key] = Hook(key, path, base + path, secret)
    return found


class Refusals:
    """Requests without the right secret: counted, and logged at most once per `every` seconds (never the secret)."""

    def __init__(self, every: float = 60.0) -> None:
        self.every, self.count = every, 0
        self._last: float | None = None

    def note(self, request: web.Request) -> None:
        self.count += 1
        now = time.monotonic()
        if self._last is not None and now - self._last < self.every:
            return
        peer = (request.headers.get("X-Forwarded-For") or request.remote or "?")[:64]
        log.warning("webhook: refused %d request(s) without the right secret since the last notice; the latest to %s "
                    "from %r", self.count, request.path, peer)
        self.count, self._last = 0, now


class Receiver(SimpleRequestHandler):
    """aiogram's handler for one bot, its answer decided by the intake instead of waiting for the handlers."""

    def __init__(self, intake: Intake, hook: Hook, refusals: Refusals) -> None:
        super().__init__(intake.dp, intake.bots[hook.key], handle_in_background=True, secret_token=hook.secret)
        self.intake, self.hook, self.refusals = intake, hook, refusals

    async def handle(self, request: web.Request) -> web.Response:
        # verify_secret compares in constant time; a missing header is "" and never matches a non-empty secret.
        if not self.verify_secret(request.headers.get(SECRET_HEADER, ""), self.bot):
            self.refusals.note(request)
            return web.Response(status=401, text="Unauthorized")
        status = await self.intake.take(self.hook.key, await request.read())
        return web.json_response({}) if status == 200 else web.Response(status=status)

    async def close(self) -> None:
        """Nothing to close: the intake drains first, then run_telegram closes the bots' sessions."""


def webhook_app(intake: Intake, found: Mapping[str, Hook], setup: Iterable[AppSetup] = ()) -> web.Application:
    """The aiohttp app: a POST route per bot, then whatever `setup` adds (metrics, health checks)."""
    app = web.Application()
    refusals = Refusals()
    for hook in found.values():
        Receiver(intake, hook, refusals).register(app, path=hook.path)
    for add in setup:
        add(app)
    return app
