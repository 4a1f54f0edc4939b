"""Photos the bot sends: sendPhoto with a multipart upload, recorded with its bytes and its size in pixels."""
from __future__ import annotations

from io import BytesIO
from typing import Any

from bot.testing.state import _ApiError, _Bot
from bot.testing.voice import _Voice

_MAX_PHOTO = 10 * 1024 * 1024  # Telegram's limit for a photo the bot uploads
_MAX_CAPTION = 1024
_THUMB = 90  # the side of the smallest PhotoSize Telegram makes


def _dimensions(data: bytes) -> tuple[int, int]:
    """Width and height of an image, as Telegram reads it; what is not an image is refused as Telegram does."""
    from PIL import Image, UnidentifiedImageError  # lazy: the fake is also imported where no photo is sent

    try:
        with Image.open(BytesIO(data)) as image:
            image.verify()
            width, height = image.size
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise _ApiError(400, "Bad Request: IMAGE_PROCESS_FAILED") from exc
    if width + height > 10000 or max(width, height) > 20 * min(width, height):
        raise _ApiError(400, "Bad Request: PHOTO_INVALID_DIMENSIONS")
    return width, height


class _Photos(_Voice):
    """`sendPhoto` and `photos()`."""

    def photos(self, chat_id: int) -> list[dict]:
        """Photos the bot sent to the chat, in order.

        Each: {"data": bytes, "width": int, "height": int, "caption": str | None, "reply_to_message_id": int | None,
        "message_id": int, "file_id": str, "file_name": str | None}; every other parameter is in calls_of("sendPhoto").
        """
        return list(self._photos.get(chat_id, []))

    async def _m_sendphoto(self, bot: _Bot, params: dict) -> dict:
        data, file_name = self._upload(bot, params.get("photo"), "photo")
        if len(data) > _MAX_PHOTO:
            raise _ApiError(400, "Bad Request: PHOTO_SAVE_FILE_INVALID")
        caption = params.get("caption")
        if caption and len(str(caption)) > _MAX_CAPTION:
            raise _ApiError(400, "Bad Request: message caption is too long")
        width, height = _dimensions(data)
        file_id = f"sent_photo{len(self.calls)}"
        scale = min(1.0, _THUMB / max(width, height))
        sizes = [{"file_id": f"{file_id}_s", "file_unique_id": f"u{file_id}_s", "width": max(1, round(width * scale)),
                  "height": max(1, round(height * scale))},
                 {"file_id": file_id, "file_unique_id": f"u{file_id}", "width": width, "height": height,
                  "file_size": len(data)}]
        extra: dict[str, Any] = {"photo": sizes}
        if caption:
            extra["caption"] = caption
            if params.get("caption_entities"):
                extra["caption_entities"] = params["caption_entities"]
        msg = self._bot_message(bot, params, **extra)
        bot.files[file_id] = (data, f"photos/{file_id}.jpg")  # fetchable again, as the largest size
        reply_to = (params.get("reply_parameters") or {}).get("message_id") or params.get("reply_to_message_id")
        self._photos.setdefault(msg["chat"]["id"], []).append({
            "data": data, "width": width, "height": height, "caption": caption, "reply_to_message_id": reply_to,
            "message_id": msg["message_id"], "file_id": file_id, "file_name": file_name,
        })
        return msg
