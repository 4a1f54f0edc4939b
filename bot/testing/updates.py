"""Realistic incoming Updates: what a user's message or button press looks like to the bot."""
from __future__ import annotations

import re
import time
from typing import Any

from bot.testing.state import _FakeState, _shallow

_MENTION_RE = re.compile(r"@[A-Za-z0-9_]{3,32}")


def utf16_len(text: str) -> int:
    """Length of text in UTF-16 code units, the unit of Telegram entity offsets."""
    return len(text.encode("utf-16-le")) // 2


class _Updates(_FakeState):
    """The scripting calls that queue updates for getUpdates to return."""

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
