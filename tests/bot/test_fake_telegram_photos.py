"""FakeTelegram takes the bot's sendPhoto as Telegram does: a multipart upload it keeps byte for byte, or refuses."""
from __future__ import annotations

from io import BytesIO

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import BufferedInputFile
from PIL import Image

from bot.testing import FakeTelegram


def _png(width: int, height: int) -> bytes:
    out = BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


async def test_a_sent_photo_is_kept_with_its_size_and_caption_and_can_be_fetched(tg: FakeTelegram, bot: Bot) -> None:
    png = _png(640, 480)
    sent = await bot.send_photo(7, BufferedInputFile(png, "chart.png"), caption="📈 two weeks")
    assert sent.caption == "📈 two weeks" and sent.photo
    small, large = sent.photo
    assert (large.width, large.height, large.file_size) == (640, 480, len(png))
    assert (small.width, small.height) == (90, 68)  # Telegram's thumbnail beside it
    [kept] = tg.photos(7)
    assert (kept["data"], kept["file_name"], kept["caption"]) == (png, "chart.png", "📈 two weeks")
    assert (kept["width"], kept["height"], kept["message_id"]) == (640, 480, sent.message_id)
    file = await bot.get_file(large.file_id)
    assert file.file_path
    data = await bot.download_file(file.file_path)
    assert data is not None and data.read() == png
    assert tg.photos(8) == []


async def test_what_telegram_refuses_is_refused(tg: FakeTelegram, bot: Bot) -> None:
    with pytest.raises(TelegramBadRequest, match="IMAGE_PROCESS_FAILED"):
        await bot.send_photo(7, BufferedInputFile(b"not an image at all", "x.png"))
    with pytest.raises(TelegramBadRequest, match="PHOTO_INVALID_DIMENSIONS"):
        await bot.send_photo(7, BufferedInputFile(_png(2100, 100), "strip.png"))  # longer than 20 times its width
    with pytest.raises(TelegramBadRequest, match="caption is too long"):
        await bot.send_photo(7, BufferedInputFile(_png(10, 10), "a.png"), caption="x" * 1025)
    with pytest.raises(TelegramBadRequest, match="file must be non-empty"):
        await bot.send_photo(7, BufferedInputFile(b"", "empty.png"))
    assert tg.photos(7) == []
