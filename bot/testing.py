"""A fake Telegram Bot API server for tests; point aiogram at it with `TelegramAPIServer.from_base(fake.url)`."""
from __future__ import annotations

import asyncio
import itertools
import json
import re
import socket
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from aiohttp import web

_MENTION_RE = re.compile(r"@[A-Za-z0-9_]{3,32}")
_MAX_TEXT = 4096
# Fields that are always strings in the Bot API, even when they happen to look like JSON numbers.
_STR_KEYS = frozenset({
    "text", "caption", "callback_query_id", "inline_message_id", "file_id", "parse_mode", "action",
    "url", "data", "emoji", "title", "description", "short_description", "name", "query", "question",
    "business_connection_id", "message_effect_id", "language_code", "photo", "document", "sticker",
    "video", "audio", "voice", "animation", "custom_emoji_id", "secret_token", "scope_chat_id",
})
_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)


@dataclass
class Call:
    """One Bot API call the fake received; `ok` is False when the fake answered with an error."""

    token: str
    method: str
    params: dict
    at: float
    ok: bool = True


@dataclass
class _Bot:
    user: dict
    updates: list[dict] = field(default_factory=list)
    commands: list = field(default_factory=list)
    files: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    wake: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass
class _Failure:
    kind: str
    retry_after: int


class _ApiError(Exception):
    def __init__(self, code: int, description: str, parameters: dict | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters


def utf16_len(text: str) -> int:
    """Length of text in UTF-16 code units, the unit of Telegram entity offsets."""
    return len(text.encode("utf-16-le")) // 2


def _shallow(message: dict) -> dict:
    """A copy fit for `reply_to_message`, which Telegram nests only one level deep."""
    return {k: v for k, v in message.items() if k != "reply_to_message"}


def _decode(key: str, value: Any) -> Any:
    """Turn a form value back into the JSON value aiogram serialized it from."""
    if not isinstance(value, str) or key in _STR_KEYS:
        return value
    try:
        decoded = json.loads(value)
    except ValueError:
        return value
    return decoded if isinstance(decoded, (dict, list, bool, int, float)) else value


class FakeTelegram:
    """A local aiohttp server implementing the parts of the Bot API the bot uses."""

    def __init__(self) -> None:
        self.url = ""
        self.calls: list[Call] = []
        self._bots: dict[str, _Bot] = {}
        self._update_ids = itertools.count(1)
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._chats: dict[int, dict] = {}
        self._messages: dict[int, dict[int, dict]] = {}
        self._failures: dict[str, list[_Failure]] = {}
        self._callback_ids = itertools.count(1)
        self._stopping = asyncio.Event()
        self._runner: web.AppRunner | None = None

    async def __aenter__(self) -> "FakeTelegram":
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
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # -- scripting ----------------------------------------------------------

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

    def push_update(self, token: str, update: dict) -> int:
        """Queue an update for the bot, assigning a fresh update_id."""
        bot = self._bot(token)
        update_id = next(self._update_ids)
        bot.updates.append({**update, "update_id": update_id})
        bot.wake.set()
        return update_id

    def push_raw(self, token: str, update_fields: dict) -> int:
        """Queue an update made of the given fields, e.g. {"edited_message": {...}}."""
        return self.push_update(token, update_fields)

    def send_text(
        self,
        token: str,
        *,
        chat_id: int,
        user_id: int,
        text: str,
        chat_type: str = "private",
        thread_id: int | None = None,
        reply_to_bot_message: int | None = None,
        first_name: str = "Olena",
        language_code: str = "uk",
        is_bot: bool = False,
        entities: list[dict] | None = None,
        message_id: int | None = None,
    ) -> int:
        """Simulate a user writing `text` to the bot; returns the update_id."""
        self._bot(token)
        user = {"id": user_id, "is_bot": is_bot, "first_name": first_name, "language_code": language_code}
        chat = self._chat(chat_id, chat_type, first_name=first_name, forum=thread_id is not None)
        msg: dict[str, Any] = {
            "message_id": message_id if message_id is not None else self._next_message_id(chat_id),
            "date": int(time.time()),
            "chat": chat,
            "from": user,
            "text": text,
        }
        auto = self._auto_entities(text) if entities is None else entities
        if auto:
            msg["entities"] = auto
        if thread_id is not None:
            msg["message_thread_id"] = thread_id
            msg["is_topic_message"] = True
        if reply_to_bot_message is not None:
            replied = self._messages.get(chat_id, {}).get(reply_to_bot_message)
            if replied is None:
                raise KeyError(f"no message {reply_to_bot_message} in chat {chat_id}")
            msg["reply_to_message"] = _shallow(replied)
        self._messages.setdefault(chat_id, {})[msg["message_id"]] = msg
        return self.push_update(token, {"message": msg})

    def press_button(self, token: str, *, chat_id: int, user_id: int, message_id: int, data: str) -> int:
        """Simulate a user pressing an inline button under a message; returns the update_id."""
        self._bot(token)
        message = self._messages.get(chat_id, {}).get(message_id) or {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": self._chat(chat_id, "private"),
        }
        query = {
            "id": str(next(self._callback_ids)),
            "from": {"id": user_id, "is_bot": False, "first_name": "Olena", "language_code": "uk"},
            "message": message,
            "chat_instance": str(chat_id),
            "data": data,
        }
        return self.push_update(token, {"callback_query": query})

    def fail_next(self, method: str, kind: str = "429", *, count: int = 1, retry_after: int = 1) -> None:
        """Make the next `count` calls of `method` fail with `kind` (429, bad_entities, error, not_found)."""
        if kind not in ("429", "bad_entities", "error", "not_found"):
            raise ValueError(f"unknown failure kind {kind!r}")
        self._failures.setdefault(method.lower(), []).extend(_Failure(kind, retry_after) for _ in range(count))

    def add_file(self, token: str, file_id: str, content: bytes, file_path: str = "photos/file_0.jpg") -> None:
        """Make a file available to getFile and the download URL."""
        self._bot(token).files[file_id] = (content, file_path)

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

    # -- state helpers --------------------------------------------------------

    def _bot(self, token: str) -> _Bot:
        if token not in self._bots:
            raise KeyError(f"unknown bot token {token!r}; call add_bot first")
        return self._bots[token]

    def _next_message_id(self, chat_id: int) -> int:
        return next(self._message_ids.setdefault(chat_id, itertools.count(1)))

    def _chat(self, chat_id: int, chat_type: str | None = None, *, first_name: str = "Olena", forum: bool = False) -> dict:
        chat = self._chats.get(chat_id)
        if chat is None:
            chat_type = chat_type or ("private" if chat_id > 0 else "supergroup")
            chat = {"id": chat_id, "type": chat_type}
            if chat_type == "private":
                chat["first_name"] = first_name
            else:
                chat["title"] = f"Test {chat_type} {abs(chat_id)}"
            self._chats[chat_id] = chat
        if forum:
            chat["is_forum"] = True
        return chat

    def _auto_entities(self, text: str) -> list[dict]:
        entities = []
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            entities.append({"type": "bot_command", "offset": 0, "length": utf16_len(command)})
        for m in _MENTION_RE.finditer(text):
            if entities and entities[0]["type"] == "bot_command" and m.start() < len(text.split(maxsplit=1)[0]):
                continue  # "/cmd@bot" is one bot_command entity
            entities.append({"type": "mention", "offset": utf16_len(text[: m.start()]), "length": utf16_len(m.group())})
        return entities

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

    async def _api(self, request: web.Request) -> web.Response:
        token, method = request.match_info["token"], request.match_info["method"]
        params = await self._read_params(request)
        call = Call(token, method, params, time.monotonic())
        self.calls.append(call)
        try:
            if token not in self._bots:
                raise _ApiError(401, "Unauthorized")
            self._maybe_fail(method, params)
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
        for content, file_path in (bot.files.values() if bot else ()):
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

    def _bot_message(self, bot: _Bot, params: dict, **extra: Any) -> dict:
        chat_id = params.get("chat_id")
        if not isinstance(chat_id, int):
            raise _ApiError(400, "Bad Request: chat not found")
        msg: dict[str, Any] = {
            "message_id": self._next_message_id(chat_id),
            "date": int(time.time()),
            "chat": self._chat(chat_id),
            "from": bot.user,
            **extra,
        }
        if isinstance(params.get("message_thread_id"), int):
            msg["message_thread_id"] = params["message_thread_id"]
            msg["is_topic_message"] = True
        reply_to = (params.get("reply_parameters") or {}).get("message_id") or params.get("reply_to_message_id")
        if reply_to and (replied := self._messages.get(chat_id, {}).get(reply_to)):
            msg["reply_to_message"] = _shallow(replied)
        self._apply_markup(msg, params)
        self._messages.setdefault(chat_id, {})[msg["message_id"]] = msg
        return msg

    @staticmethod
    def _apply_markup(msg: dict, params: dict) -> None:
        markup = params.get("reply_markup")
        # Only inline keyboards are echoed back in a Message; reply keyboards are not.
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            msg["reply_markup"] = markup
        elif "reply_markup" in params:
            msg.pop("reply_markup", None)

    @staticmethod
    def _check_text(params: dict) -> str:
        text = params.get("text")
        if not text:
            raise _ApiError(400, "Bad Request: message text is empty")
        if len(text) > _MAX_TEXT:
            raise _ApiError(400, "Bad Request: message is too long")
        return str(text)

    def _stored(self, params: dict, missing: str) -> dict:
        chat_id, message_id = params.get("chat_id"), params.get("message_id")
        msg = self._messages.get(chat_id, {}).get(message_id) if isinstance(chat_id, int) else None
        if msg is None or not isinstance(message_id, int):
            raise _ApiError(400, f"Bad Request: {missing}")
        return msg

    # -- Bot API methods (handler name: _m_<lowercase method>) ---------------------

    async def _m_getme(self, bot: _Bot, params: dict) -> dict:
        return bot.user

    async def _m_getupdates(self, bot: _Bot, params: dict) -> list[dict]:
        offset = params.get("offset")
        if isinstance(offset, int) and offset > 0:
            bot.updates = [u for u in bot.updates if u["update_id"] >= offset]
        limit = params.get("limit") if isinstance(params.get("limit"), int) else 100
        timeout = params.get("timeout") if isinstance(params.get("timeout"), (int, float)) else 0
        if not bot.updates and timeout > 0 and not self._stopping.is_set():
            bot.wake.clear()
            try:
                await asyncio.wait_for(bot.wake.wait(), timeout)
            except asyncio.TimeoutError:
                pass
        return bot.updates[: max(1, min(int(limit), 100))]

    async def _m_deletewebhook(self, bot: _Bot, params: dict) -> bool:
        return True

    async def _m_setmycommands(self, bot: _Bot, params: dict) -> bool:
        bot.commands = list(params.get("commands") or [])
        return True

    async def _m_getmycommands(self, bot: _Bot, params: dict) -> list:
        return bot.commands

    async def _m_sendmessage(self, bot: _Bot, params: dict) -> dict:
        text = self._check_text(params)
        extra: dict[str, Any] = {"text": text}
        if params.get("entities"):
            extra["entities"] = params["entities"]
        return self._bot_message(bot, params, **extra)

    async def _m_editmessagetext(self, bot: _Bot, params: dict) -> dict | bool:
        text = self._check_text(params)
        if params.get("inline_message_id"):
            return True
        msg = self._stored(params, "message to edit not found")
        entities = params.get("entities") or []
        markup = params.get("reply_markup")
        if msg.get("text") == text and msg.get("entities", []) == entities and markup in (None, msg.get("reply_markup")):
            raise _ApiError(400, _NOT_MODIFIED)
        msg["text"] = text
        if entities:
            msg["entities"] = entities
        else:
            msg.pop("entities", None)
        msg["edit_date"] = int(time.time())
        self._apply_markup(msg, params)
        return msg

    async def _m_editmessagereplymarkup(self, bot: _Bot, params: dict) -> dict | bool:
        if params.get("inline_message_id"):
            return True
        msg = self._stored(params, "message to edit not found")
        if "reply_markup" not in params:
            params = {**params, "reply_markup": None}
        self._apply_markup(msg, params)
        msg["edit_date"] = int(time.time())
        return msg

    async def _m_deletemessage(self, bot: _Bot, params: dict) -> bool:
        self._stored(params, "message to delete not found")
        del self._messages[params["chat_id"]][params["message_id"]]
        return True

    async def _m_sendmessagedraft(self, bot: _Bot, params: dict) -> bool:
        if not params.get("draft_id"):
            raise _ApiError(400, "Bad Request: draft_id must be non-zero")
        return True

    async def _m_getfile(self, bot: _Bot, params: dict) -> dict:
        file_id = params.get("file_id")
        if file_id not in bot.files:
            raise _ApiError(400, "Bad Request: invalid file_id")
        content, path = bot.files[str(file_id)]
        return {"file_id": file_id, "file_unique_id": f"u{file_id}", "file_size": len(content), "file_path": path}

    async def _m_senddocument(self, bot: _Bot, params: dict) -> dict:
        doc = params.get("document")
        if isinstance(doc, dict):
            name, size = doc.get("filename") or "document", len(doc.get("content") or b"")
        else:
            name, size = "document", 0
        file_id = f"doc{len(self.calls)}"
        extra: dict[str, Any] = {
            "document": {"file_id": file_id, "file_unique_id": f"u{file_id}", "file_name": name, "file_size": size}
        }
        if params.get("caption"):
            extra["caption"] = params["caption"]
            if params.get("caption_entities"):
                extra["caption_entities"] = params["caption_entities"]
        return self._bot_message(bot, params, **extra)
