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
        bot.history[update_id] = bot.updates[-1]
        bot.wake.set()
        return update_id

    def push_raw(self, token: str, update_fields: dict) -> int:
        """Queue an update made of the given fields, e.g. {"edited_message": {...}}."""
        return self.push_update(token, update_fields)

    def send_text(self, token: str, *, chat_id: int, user_id: int, text: str,
                  entities: list[dict] | None = None, **kw: Any) -> int:
        """Simulate a user writing `text` to the bot; returns the update_id.

        Keywords (all message kinds): chat_type, thread_id, reply_to_bot_message (or its short name
        reply_to: any earlier message in the chat, the bot's or a user's), first_name, language_code,
        is_bot, message_id.
        """
        msg = self._message(token, chat_id, user_id, **kw)
        msg["text"] = text
        auto = self._auto_entities(text) if entities is None else entities
        if auto:
            msg["entities"] = auto
        return self.push_update(token, {"message": msg})

    def send_photo(self, token: str, *, chat_id: int, user_id: int, image: bytes, caption: str | None = None,
                   size: tuple[int, int] = (1280, 960), media_group_id: str | None = None, **kw: Any) -> int:
        """A user sends a photo (Telegram offers it in several sizes; all serve `image` here)."""
        msg = self._message(token, chat_id, user_id, **kw)
        w, h = size
        sizes = [(max(1, w * 90 // max(w, h)), max(1, h * 90 // max(w, h))), (w, h)]
        msg["photo"] = []
        for i, (sw, sh) in enumerate(sizes):
            file_id = f"photo{chat_id}_{msg['message_id']}_{i}"
            self._bot(token).files[file_id] = (image, f"photos/{file_id}.jpg")
            msg["photo"].append({"file_id": file_id, "file_unique_id": f"u{file_id}", "width": sw, "height": sh,
                                 "file_size": len(image)})
        return self._with_caption(token, msg, caption, media_group_id)

    def send_document(self, token: str, *, chat_id: int, user_id: int, content: bytes, file_name: str,
                      mime_type: str | None = None, caption: str | None = None, file_size: int | None = None,
                      media_group_id: str | None = None, **kw: Any) -> int:
        """A user sends a file; `file_size` may claim more than `content` (tests of the size caps)."""
        msg = self._message(token, chat_id, user_id, **kw)
        file_id = f"doc{chat_id}_{msg['message_id']}"
        self._bot(token).files[file_id] = (content, f"documents/{file_name}")
        if file_size is not None:
            self._bot(token).sizes[file_id] = file_size
        msg["document"] = {"file_id": file_id, "file_unique_id": f"u{file_id}", "file_name": file_name,
                           "file_size": len(content) if file_size is None else file_size}
        if mime_type:
            msg["document"]["mime_type"] = mime_type
        return self._with_caption(token, msg, caption, media_group_id)

    def _with_caption(self, token: str, msg: dict, caption: str | None, media_group_id: str | None) -> int:
        if caption:
            msg["caption"] = caption
            if ents := [e for e in self._auto_entities(caption) if e["type"] != "bot_command"]:
                msg["caption_entities"] = ents
        if media_group_id:
            msg["media_group_id"] = media_group_id
        return self.push_update(token, {"message": msg})

    def _message(self, token: str, chat_id: int, user_id: int, *, chat_type: str = "private",
                 thread_id: int | None = None, reply_to_bot_message: int | None = None, first_name: str = "Olena",
                 language_code: str = "uk", is_bot: bool = False, message_id: int | None = None,
                 reply_to: int | None = None) -> dict[str, Any]:
        """A message's common part, stored so replies to it can quote it."""
        self._bot(token)
        if reply_to is not None and reply_to_bot_message not in (None, reply_to):
            raise ValueError("reply_to and reply_to_bot_message name different messages")
        reply_to_bot_message = reply_to if reply_to is not None else reply_to_bot_message
        user = {"id": user_id, "is_bot": is_bot, "first_name": first_name, "language_code": language_code}
        chat = self._chat(chat_id, chat_type, first_name=first_name, forum=thread_id is not None)
        msg: dict[str, Any] = {
            "message_id": message_id if message_id is not None else self._next_message_id(chat_id),
            "date": int(time.time()),
            "chat": chat,
            "from": user,
        }
        if thread_id is not None:
            msg["message_thread_id"] = thread_id
            msg["is_topic_message"] = True
        if reply_to_bot_message is not None:
            replied = self._messages.get(chat_id, {}).get(reply_to_bot_message)
            if replied is None:
                raise KeyError(f"no message {reply_to_bot_message} in chat {chat_id}")
            msg["reply_to_message"] = _shallow(replied)
        self._messages.setdefault(chat_id, {})[msg["message_id"]] = msg
        return msg

    def press_button(self, token: str, *, chat_id: int, user_id: int, message_id: int, data: str,
                     language_code: str = "uk") -> int:
        """Simulate a user pressing an inline button under a message; returns the update_id."""
        self._bot(token)
        message = self._messages.get(chat_id, {}).get(message_id) or {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": self._chat(chat_id, "private"),
        }
        query = {
            "id": str(next(self._callback_ids)),
            "from": {"id": user_id, "is_bot": False, "first_name": "Olena", "language_code": language_code},
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
