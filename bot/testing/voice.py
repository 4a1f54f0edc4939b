"""Voice in the fake: voice notes, audio files and round video notes users send, and the bot's sendVoice."""
from __future__ import annotations

from typing import Any

from bot.testing.methods import _Methods
from bot.testing.state import _ApiError, _Bot
from bot.testing.updates import _Updates


class _Voice(_Updates, _Methods):
    """`send_voice`/`send_audio`/`send_video_note` updates, `sendVoice`, `voices()` and `forbid_voice()`."""

    def send_voice(self, token: str, *, chat_id: int, user_id: int, audio: bytes, duration: int,
                   file_size: int | None = None, mime_type: str = "audio/ogg", caption: str | None = None,
                   **kw: Any) -> int:
        """A user sends a voice note; `file_size` may claim more than `audio` (getFile: 20 MB at most, 2000 locally).

        Keywords as for send_text (chat_type, reply_to, thread_id, language_code, ...); returns the update_id.
        """
        msg = self._message(token, chat_id, user_id, **kw)
        msg["voice"] = self._user_file(token, msg, "voice", audio, file_size, "voice/{}.oga",
                                       duration=duration, mime_type=mime_type)
        return self._with_caption(token, msg, caption, None)

    def send_audio(self, token: str, *, chat_id: int, user_id: int, audio: bytes, duration: int,
                   file_name: str = "audio.mp3", mime_type: str = "audio/mpeg", title: str | None = None,
                   performer: str | None = None, file_size: int | None = None, caption: str | None = None,
                   **kw: Any) -> int:
        """A user sends an audio file (a music track, a recording shared from another app)."""
        msg = self._message(token, chat_id, user_id, **kw)
        fields: dict[str, Any] = {"duration": duration, "file_name": file_name, "mime_type": mime_type}
        fields.update({k: v for k, v in (("title", title), ("performer", performer)) if v is not None})
        msg["audio"] = self._user_file(token, msg, "audio", audio, file_size, "music/{}.mp3", **fields)
        return self._with_caption(token, msg, caption, None)

    def send_video_note(self, token: str, *, chat_id: int, user_id: int, video: bytes, duration: int,
                        length: int = 384, file_size: int | None = None, **kw: Any) -> int:
        """A user sends a round video note (`length` is its diameter in pixels; video notes carry no caption)."""
        msg = self._message(token, chat_id, user_id, **kw)
        msg["video_note"] = self._user_file(token, msg, "video_note", video, file_size, "video_notes/{}.mp4",
                                            duration=duration, length=length)
        return self.push_update(token, {"message": msg})

    def voices(self, chat_id: int) -> list[dict]:
        """Voice messages the bot sent to the chat, in order.

        Each: {"data": bytes, "duration": int | None, "caption": str | None, "reply_to_message_id": int | None,
        "message_id": int, "file_id": str, "file_name": str | None}; every other parameter is in calls_of("sendVoice").
        """
        return list(self._voices.get(chat_id, []))

    def forbid_voice(self, chat_id: int) -> None:
        """The user's privacy settings forbid voice messages: sendVoice to the chat answers VOICE_MESSAGES_FORBIDDEN."""
        self._no_voice.add(chat_id)

    def allow_voice(self, chat_id: int) -> None:
        """The user allows voice messages again."""
        self._no_voice.discard(chat_id)

    def _user_file(self, token: str, msg: dict, kind: str, data: bytes, file_size: int | None, path: str,
                   **fields: Any) -> dict[str, Any]:
        """Register `data` for getFile and the download URL; returns the message's file object."""
        file_id = f"{kind}{msg['chat']['id']}_{msg['message_id']}"
        bot = self._bot(token)
        bot.files[file_id] = (data, path.format(file_id))
        if file_size is not None:
            bot.sizes[file_id] = file_size
        return {"file_id": file_id, "file_unique_id": f"u{file_id}", **fields,
                "file_size": len(data) if file_size is None else file_size}

    async def _m_sendvoice(self, bot: _Bot, params: dict) -> dict:
        chat_id = params.get("chat_id")
        if chat_id in self._no_voice:
            raise _ApiError(400, "Bad Request: VOICE_MESSAGES_FORBIDDEN")
        data, file_name = self._upload(bot, params.get("voice"), "voice")
        file_id = f"sent_voice{len(self.calls)}"
        duration = params.get("duration") if isinstance(params.get("duration"), int) else None
        voice = {"file_id": file_id, "file_unique_id": f"u{file_id}", "duration": duration or 0,
                 "mime_type": "audio/ogg", "file_size": len(data)}
        extra: dict[str, Any] = {"voice": voice}
        if params.get("caption"):
            extra["caption"] = params["caption"]
            if params.get("caption_entities"):
                extra["caption_entities"] = params["caption_entities"]
        msg = self._bot_message(bot, params, **extra)
        # The bot's own voice can be fetched again, e.g. to transcribe it when a user replies to it.
        bot.files[file_id] = (data, f"voice/{file_id}.oga")
        reply_to = (params.get("reply_parameters") or {}).get("message_id") or params.get("reply_to_message_id")
        self._voices.setdefault(msg["chat"]["id"], []).append({
            "data": data, "duration": duration, "caption": params.get("caption"), "reply_to_message_id": reply_to,
            "message_id": msg["message_id"], "file_id": file_id, "file_name": file_name,
        })
        return msg

    @staticmethod
    def _upload(bot: _Bot, value: object, field: str) -> tuple[bytes, str | None]:
        """The bytes of an uploaded file (multipart) or of a file_id the fake knows, as Telegram resolves them."""
        if isinstance(value, dict):
            data = value.get("content") or b""
            if not data:
                raise _ApiError(400, "Bad Request: file must be non-empty")
            return data, value.get("filename")
        if isinstance(value, str) and value in bot.files:
            return bot.files[value][0], None
        if value is None:
            raise _ApiError(400, f"Bad Request: there is no {field} in the request")
        raise _ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
