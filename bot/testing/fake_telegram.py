"""FakeTelegram: the server, its scripting and inspection API, and the HTTP layer that dispatches Bot API calls."""
from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web

from bot.testing.files import _Files
from bot.testing.limits import _Limits
from bot.testing.methods import _Methods
from bot.testing.photos import _Photos
from bot.testing.state import Call, _ApiError, _Bot, _Failure
from bot.testing.updates import _Updates
from bot.testing.voice import _Voice
from bot.testing.webhook import _Webhook

# Fields that are always strings in the Bot API, even when they happen to look like JSON numbers.
_STR_KEYS = frozenset({
    "text", "caption", "callback_query_id", "inline_message_id", "file_id", "parse_mode", "action",
    "url", "data", "emoji", "title", "description", "short_description", "name", "query", "question",
    "business_connection_id", "message_effect_id", "language_code", "photo", "document", "sticker",
    "video", "audio", "voice", "video_note", "animation", "performer", "custom_emoji_id", "secret_token",
    "scope_chat_id",
})


def _decode(key: str, value: Any) -> Any:
    """Turn a form value back into the JSON value aiogram serialized it from."""
    if not isinstance(value, str) or key in _STR_KEYS:
        return value
    try:
        decoded = json.loads(value)
    except ValueError:
        return value
    return decoded if isinstance(decoded, (dict, list, bool, int, float)) else value


class FakeTelegram(_Webhook, _Photos, _Voice, _Updates, _Methods, _Files, _Limits):
    """A local aiohttp server implementing the parts of the Bot API the bot uses."""

    async def __aenter__(self) -> FakeTelegram:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        """Bind a random free port on 127.0.0.1 and start serving."""
        app = web.Application()
        app.router.add_route("*", "/file/bot{token}/{path:.+}", self._download)
        app.router.add_route("*", "/bot{token}/{method}", self._api)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        await web.SockSite(self._runner, sock).start()
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"

    async def stop(self) -> None:
        """End pending long polls and shut the server down."""
        self._stopping.set()
        for bot in self._bots.values():
            bot.wake.set()
        await self._stop_deliveries()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # -- scripting (updates: see updates.py) ----------------------------------

    def add_bot(self, token: str, username: str, first_name: str = "DAGI") -> int:
        """Register a bot token; returns the bot's user id."""
        bot_id = int(token.split(":")[0])
        self._bots[token] = _Bot(user={
            "id": bot_id,
            "is_bot": True,
            "first_name": first_name,
            "username": username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        })
        return bot_id

    def fail_next(self, method: str, kind: str = "429", *, count: int = 1, retry_after: int = 1) -> None:
        """Make the next `count` calls of `method` fail with `kind` (429, bad_entities, error, not_found)."""
        if kind not in ("429", "bad_entities", "error", "not_found"):
            raise ValueError(f"unknown failure kind {kind!r}")
        self._failures.setdefault(method.lower(), []).extend(_Failure(kind, retry_after) for _ in range(count))

    def set_chat_member(self, chat_id: int, user_id: int, status: str = "administrator") -> None:
        """What getChatMember answers for this user in this chat: creator, administrator or member (the default)."""
        if status not in ("creator", "administrator", "member"):
            raise ValueError(f"unknown member status {status!r}")
        self._members.setdefault(chat_id, {})[user_id] = status

    def add_file(self, token: str, file_id: str, content: bytes, file_path: str = "photos/file_0.jpg",
                 file_size: int | None = None) -> None:
        """Make a file available to getFile and the download URL; `file_size` may claim more than `content`."""
        self._bot(token).files[file_id] = (content, file_path)
        if file_size is not None:
            self._bot(token).sizes[file_id] = file_size

    # -- inspection ---------------------------------------------------------

    def calls_of(self, method: str, *, chat_id: int | None = None, token: str | None = None) -> list[Call]:
        """Calls of one method, optionally for one chat and one token."""
        return [
            c for c in self.calls
            if c.method.lower() == method.lower()
            and (chat_id is None or c.params.get("chat_id") == chat_id)
            and (token is None or c.token == token)
        ]

    def sent_texts(self, chat_id: int) -> list[str]:
        """Texts of successful sendMessage calls to the chat, in order."""
        return [c.params.get("text", "") for c in self.calls_of("sendMessage", chat_id=chat_id) if c.ok]

    def messages(self, chat_id: int) -> list[dict]:
        """The bot messages currently in the chat, after edits and deletions."""
        bot_ids = {b.user["id"] for b in self._bots.values()}
        msgs = self._messages.get(chat_id, {}).values()
        return [m for m in sorted(msgs, key=lambda m: m["message_id"]) if m.get("from", {}).get("id") in bot_ids]

    def delete_message(self, chat_id: int, message_id: int) -> None:
        """A user or admin deletes a message from the chat (edits of it then fail as on Telegram)."""
        self._messages.get(chat_id, {}).pop(message_id, None)

    def pending_updates(self, token: str) -> int:
        """Updates not yet confirmed by a getUpdates offset."""
        return len(self._bot(token).updates)

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        """Poll `predicate` every 10 ms; AssertionError with a call summary on timeout."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(f"condition not met within {timeout}s; calls:\n{self._summary()}")
            await asyncio.sleep(0.01)

    def _summary(self, last: int = 30) -> str:
        # getUpdates polls would drown out the calls that matter.
        lines = []
        for c in [c for c in self.calls if c.method.lower() != "getupdates"][-last:]:
            text = str(c.params.get("text", ""))[:60]
            status = "" if c.ok else " [failed]"
            lines.append(f"  {c.method} chat={c.params.get('chat_id')} {text!r}{status}")
        return "\n".join(lines) or "  (none)"

    # -- HTTP ------------------------------------------------------------------

    async def _read_params(self, request: web.Request) -> dict:
        params: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            if request.content_type == "application/json":
                body = await request.json()
                params.update(body if isinstance(body, dict) else {})
            else:
                for key, value in (await request.post()).items():
                    if isinstance(value, web.FileField):
                        params[key] = {"filename": value.filename, "content": value.file.read()}
                    else:
                        params[key] = value
        for key, value in list(params.items()):
            if isinstance(value, str) and value.startswith("attach://"):
                params[key] = params.pop(value.removeprefix("attach://"), value)
        return {k: _decode(k, v) for k, v in params.items()}

    def hold(self) -> None:
        """Leave every Bot API call unanswered and unprocessed until `resume()`, as a network stall does: a bot
        killed meanwhile has sent nothing it was sending."""
        self._open.clear()

    def resume(self) -> None:
        """Process the held calls (those of live bots) and answer calls at once again."""
        self._open.set()

    async def _api(self, request: web.Request) -> web.Response:
        token, method = request.match_info["token"], request.match_info["method"]
        params = await self._read_params(request)
        if not self._open.is_set():
            await self._open.wait()
            if request.transport is None or request.transport.is_closing():  # its bot died while held: never done
                return web.Response(status=499)
        call = Call(token, method, params, time.monotonic())
        self.calls.append(call)
        try:
            if token not in self._bots:
                raise _ApiError(401, "Unauthorized")
            self._maybe_fail(method, params)
            self._check_limits(call)
            handler = getattr(self, f"_m_{method.lower()}", None)
            result = True if handler is None else await handler(self._bots[token], params)
        except _ApiError as e:
            call.ok = False
            body: dict[str, Any] = {"ok": False, "error_code": e.code, "description": e.description}
            if e.parameters:
                body["parameters"] = e.parameters
            return web.json_response(body, status=e.code)
        return web.json_response({"ok": True, "result": result})

    async def _download(self, request: web.Request) -> web.Response:
        bot = self._bots.get(request.match_info["token"])
        path = request.match_info["path"]
        # A server in --local mode serves no files over HTTP: the bot must read them from its disk.
        for content, file_path in (bot.files.values() if bot and self.local_root is None else ()):
            if file_path == path:
                return web.Response(body=content, content_type="application/octet-stream")
        return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)

    def _maybe_fail(self, method: str, params: dict) -> None:
        queue = self._failures.get(method.lower())
        if not queue:
            return
        failure = queue[0]
        if failure.kind == "bad_entities" and not (params.get("entities") or params.get("parse_mode")):
            return
        queue.pop(0)
        if failure.kind == "429":
            raise _ApiError(
                429, f"Too Many Requests: retry after {failure.retry_after}", {"retry_after": failure.retry_after}
            )
        if failure.kind == "bad_entities":
            raise _ApiError(
                400, "Bad Request: can't parse entities: Can't find end of the entity starting at byte offset 0"
            )
        if failure.kind == "not_found":
            raise _ApiError(404, "Not Found: method not found")
        raise _ApiError(400, "Bad Request: something")
