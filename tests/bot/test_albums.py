"""The photo desk with Redis: two replicas' desks answer an album once, with every item; Redis away means the
desk collects in this process (a warning, no photo dropped)."""
from __future__ import annotations

import asyncio
import logging

import pytest
from aiogram import Bot
from aiogram.types import Message

from bot.turn.albums import PhotoDesk
from storage.album_items import AlbumItems
from storage.redis_link import connect
from tests.services import free_port

KEY = ("main", 1001, "alb1")


def photo(bot: Bot, message_id: int, caption: str | None = None) -> Message:
    data = {"message_id": message_id, "date": 1_700_000_000, "chat": {"id": 1001, "type": "private"},
            "from": {"id": 1001, "is_bot": False, "first_name": "Olena"}, "media_group_id": "alb1",
            "photo": [{"file_id": f"f{message_id}", "file_unique_id": f"u{message_id}", "width": 90, "height": 60}]}
    if caption:
        data["caption"] = caption
    return Message.model_validate(data, context={"bot": bot})


async def test_two_replicas_desks_answer_an_album_once(redis_url: str) -> None:
    bot = Bot("123456:AAtest")
    desks = [PhotoDesk(0.2, AlbumItems(connect(redis_url), 0.2)) for _ in range(2)]
    answered: list[list[Message]] = []

    async def done(items: list[Message]) -> None:
        answered.append(items)
    try:
        items = [photo(bot, 10), photo(bot, 11, "Порівняй"), photo(bot, 12), photo(bot, 11, "Порівняй")]
        # Each item to a replica; the last is a second delivery of the captioned one (a takeover pushes it again).
        await asyncio.gather(*(desks[i % 2].take(KEY, m, done) for i, m in enumerate(items)))
    finally:
        for desk in desks:
            assert desk.shared is not None
            await desk.shared.client.aclose()
        await bot.session.close()
    [album] = answered
    assert [m.message_id for m in album] == [10, 11, 12] and album[1].caption == "Порівняй"
    assert all(m.bot is bot for m in album)  # rebuilt items can reply


async def test_without_redis_the_desk_collects_here_and_warns_once(caplog: pytest.LogCaptureFixture) -> None:
    bot = Bot("123456:AAtest")
    desk = PhotoDesk(0.1, AlbumItems(connect(f"redis://127.0.0.1:{free_port()}/0", timeout=0.5), 0.1))
    answered: list[list[Message]] = []

    async def done(items: list[Message]) -> None:
        answered.append(items)
    try:
        with caplog.at_level(logging.WARNING, logger="bot.turn.albums"):
            for n in (20, 21):
                await desk.take(KEY, photo(bot, n, "Що це?" if n == 20 else None), done)
            await desk.aclose()
    finally:
        assert desk.shared is not None
        await desk.shared.client.aclose()
        await bot.session.close()
    assert [[m.message_id for m in album] for album in answered] == [[20, 21]]
    assert len([r for r in caplog.records if "Redis" in r.getMessage()]) == 1
