"""The Bot API methods the fake implements, as handlers named `_m_<lowercase method>`."""
from __future__ import annotations

import asyncio
import time
from typing import Any

from bot.testing.state import _ApiError, _Bot, _FakeState, _shallow

_MAX_TEXT = 4096
_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)


_ADMIN_RIGHTS = ("can_manage_chat", "can_delete_messages", "can_manage_video_chats", "can_restrict_members",
                 "can_promote_members", "can_change_info", "can_invite_users", "can_post_stories",
                 "can_edit_stories", "can_delete_stories", "can_send_welcome_messages")
# What sendChatAction accepts; Telegram refuses anything else.
_CHAT_ACTIONS = frozenset({"typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
                           "upload_document", "choose_sticker", "find_location", "record_video_note",
                           "upload_video_note"})


class _Methods(_FakeState):
    """Bot API method handlers; FakeTelegram._api dispatches to them by name (unknown methods answer True)."""

    def _refuse_polling(self, bot: _Bot) -> None:
        """Telegram refuses getUpdates while a webhook is set (webhook.py answers that 409)."""

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
        msg = None
        if isinstance(chat_id, int) and isinstance(message_id, int):
            msg = self._messages.get(chat_id, {}).get(message_id)
        if msg is None:
            raise _ApiError(400, f"Bad Request: {missing}")
        return msg

    # -- Bot API methods (handler name: _m_<lowercase method>) ---------------------

    async def _m_getme(self, bot: _Bot, params: dict) -> dict:
        return bot.user

    async def _m_getupdates(self, bot: _Bot, params: dict) -> list[dict]:
        self._refuse_polling(bot)
        offset = params.get("offset")
        if isinstance(offset, int) and offset > 0:
            bot.updates = [u for u in bot.updates if u["update_id"] >= offset]
        limit, timeout = params.get("limit"), params.get("timeout")
        limit = limit if isinstance(limit, int) else 100
        timeout = timeout if isinstance(timeout, (int, float)) else 0
        if not bot.updates and timeout > 0 and not self._stopping.is_set():
            bot.wake.clear()
            try:
                await asyncio.wait_for(bot.wake.wait(), timeout)
            except TimeoutError:
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
        same_markup = markup in (None, msg.get("reply_markup"))
        if msg.get("text") == text and msg.get("entities", []) == entities and same_markup:
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

    async def _m_getchatmember(self, bot: _Bot, params: dict) -> dict:
        chat_id, user_id = params.get("chat_id"), params.get("user_id")
        if not isinstance(chat_id, int) or not isinstance(user_id, int):
            raise _ApiError(400, "Bad Request: chat not found")
        status = self._members.get(chat_id, {}).get(user_id, "member")
        member: dict[str, Any] = {"status": status, "user": {"id": user_id, "is_bot": False, "first_name": "User"}}
        if status in ("creator", "administrator"):
            member["is_anonymous"] = False
        if status == "administrator":
            member.update(dict.fromkeys(_ADMIN_RIGHTS, True), can_be_edited=False)
        return member

    async def _m_sendchataction(self, bot: _Bot, params: dict) -> bool:
        if params.get("action") not in _CHAT_ACTIONS:
            raise _ApiError(400, "Bad Request: wrong parameter action in request")
        return True

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
