"""Telegram's side of a webhook: setWebhook/deleteWebhook/getWebhookInfo, and updates POSTed to the bot.

While a webhook is set, queued updates are POSTed to it one at a time, in order, each retried until the bot
answers 2xx (as Telegram does; `auto_deliver = False` leaves them for `post_update`), and getUpdates answers
409 Conflict. `post_update` delivers one update by hand — again, to another URL (a second replica), with a
wrong secret or none — and returns the HTTP status the bot answered.
"""
from __future__ import annotations

import asyncio
import contextlib
import re
from dataclasses import dataclass
from typing import Any

import aiohttp

from bot.testing.state import _ApiError, _Bot, _FakeState

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
AS_SET = "<the secret setWebhook gave>"  # post_update's default secret
_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
_CONFLICT = ("Conflict: can't use getUpdates method while webhook is active; "
             "use deleteWebhook to delete the webhook first")


@dataclass(frozen=True, slots=True)
class Post:
    """One webhook delivery: which update, where, and the HTTP status the bot answered (0: it did not answer)."""

    token: str
    update_id: int
    url: str
    status: int


class _Webhook(_FakeState):
    """Webhook methods and deliveries (see the module docstring)."""

    def webhook_of(self, token: str) -> dict[str, Any] | None:
        """The parameters of the setWebhook in force (url, secret_token, allowed_updates…); None without one."""
        return self._bot(token).webhook

    async def post_update(self, token: str, update: int | dict[str, Any], *, url: str | None = None,
                          secret: str | None = AS_SET) -> int:
        """POST one update (an update_id pushed earlier, or a whole update) as Telegram does; the HTTP status.

        `url`: another address than the webhook's (a second replica); `secret=None`: no secret header. A 2xx
        answer takes the update off the queue, as Telegram forgets an update the bot acknowledged.
        """
        bot = self._bot(token)
        body = bot.history[update] if isinstance(update, int) else update
        hook = bot.webhook or {}
        target = url or hook.get("url")
        if not target:
            raise ValueError("no webhook is set for this bot: pass url=")
        value = hook.get("secret_token") if secret == AS_SET else secret
        headers = {SECRET_HEADER: str(value)} if value is not None else {}
        if self._client is None:
            self._client = aiohttp.ClientSession()
        status = 0
        try:
            async with self._client.post(target, json=body, headers=headers) as response:
                status = response.status
        finally:
            self.webhook_posts.append(Post(token, body["update_id"], target, status))
        if 200 <= status < 300:
            bot.updates = [u for u in bot.updates if u["update_id"] != body["update_id"]]
        return status

    def _token_of(self, bot: _Bot) -> str:
        return next(token for token, b in self._bots.items() if b is bot)

    async def _m_setwebhook(self, bot: _Bot, params: dict) -> bool:
        if not params.get("url"):  # Telegram: an empty URL removes the webhook
            return await self._m_deletewebhook(bot, params)
        secret = params.get("secret_token")
        if secret is not None and not _SECRET.fullmatch(str(secret)):
            raise _ApiError(400, "Bad Request: secret token contains unallowed characters")
        bot.webhook = dict(params)
        if params.get("drop_pending_updates") is True:
            bot.updates.clear()
        token = self._token_of(bot)
        task = self._deliveries.get(token)
        if task is None or task.done():
            self._deliveries[token] = asyncio.create_task(self._deliver(token))
        return True

    async def _m_deletewebhook(self, bot: _Bot, params: dict) -> bool:
        bot.webhook = None
        if params.get("drop_pending_updates") is True:
            bot.updates.clear()
        bot.wake.set()  # the delivery loop sees the webhook gone
        return True

    async def _m_getwebhookinfo(self, bot: _Bot, params: dict) -> dict:
        hook = bot.webhook or {}
        info: dict[str, Any] = {"url": hook.get("url", ""), "has_custom_certificate": False,
                                "pending_update_count": len(bot.updates)}
        if hook:
            info["max_connections"] = hook.get("max_connections", 40)
            if hook.get("allowed_updates") is not None:
                info["allowed_updates"] = hook["allowed_updates"]
        return info

    def _refuse_polling(self, bot: _Bot) -> None:
        if bot.webhook is not None:
            raise _ApiError(409, _CONFLICT)

    async def _deliver(self, token: str) -> None:
        bot = self._bots[token]
        while bot.webhook is not None and not self._stopping.is_set():
            if not self.auto_deliver or not bot.updates:
                bot.wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(bot.wake.wait(), 0.05)
                continue
            try:
                status = await self.post_update(token, bot.updates[0]["update_id"])
            except (aiohttp.ClientError, OSError):
                status = 0
            if not 200 <= status < 300:
                await asyncio.sleep(self.retry_delay)

    async def _stop_deliveries(self) -> None:
        for task in self._deliveries.values():
            task.cancel()
        await asyncio.gather(*self._deliveries.values(), return_exceptions=True)
        self._deliveries.clear()
        if self._client is not None:
            await self._client.close()
            self._client = None
