"""An album whose photos reach two replicas behind one webhook (one Postgres, one Redis) is answered once, by one
replica, about every photo and with the caption, whichever replica got the caption (issue 16); also when the
replica gathering it is killed meanwhile."""
from __future__ import annotations

import asyncio
import io
import subprocess
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from PIL import Image as PILImage

from bot.testing import FakeTelegram
from router.testing import FakeLLM
from storage.redis_link import key
from tests.e2e.processes import kill, start_bot, until
from tests.e2e.test_photos import VISION_YAML, images_in, jpeg, vision_requests
from tests.harness import TOKEN
from tests.services import RedisServer, free_port

COLORS = ("red", "green", "blue")


class Pair:
    """Two webhook replicas of the bot on the fakes; the test posts each update to the replica it chooses."""

    def __init__(self, tmp: Path, tg: FakeTelegram, llm: FakeLLM, database_url: str, env: dict[str, str]) -> None:
        self.tg, self.ports, self.dirs = tg, [free_port(), free_port()], [tmp / "r0", tmp / "r1"]
        self.procs: list[subprocess.Popen[bytes]] = []
        for i, port in enumerate(self.ports):
            self.dirs[i].mkdir()
            self.procs.append(start_bot(self.dirs[i], tg, llm, VISION_YAML, {
                "WEBHOOK_URL": "https://bot.example.com", "WEBHOOK_HOST": "127.0.0.1", "WEBHOOK_PORT": str(port),
                "REPLICA_ID": f"replica-{i}", **env}, database_url=database_url))

    async def album(self, chat_id: int, group: str, caption: str, to: list[int], captioned: int, *,
                    first: Callable[[], bool] | None = None, **kw: str) -> None:
        """One album's photos, the i-th posted to replica `to[i]`; only the `captioned`-th has the caption. The
        others are posted once `first()` (the first is in hand)."""
        for i, (replica, color) in enumerate(zip(to, COLORS, strict=True)):
            update = self.tg.send_photo(TOKEN, chat_id=chat_id, user_id=1001, image=jpeg(color=color),
                                        media_group_id=group, caption=caption if i == captioned else None, **kw)
            url = f"http://127.0.0.1:{self.ports[replica]}/telegram/main"
            assert await self.tg.post_update(TOKEN, update, url=url) == 200
            if i == 0 and first is not None:
                await until(first, self.procs[replica], self.dirs[replica], 30)

    async def answered(self, chat_id: int, by: int, timeout: float = 30) -> None:
        await until(lambda: bool(self.tg.sent_texts(chat_id)), self.procs[by], self.dirs[by], timeout)


@asynccontextmanager
async def replicas(tmp: Path, database_url: str, **env: str) -> AsyncIterator[tuple[Pair, FakeTelegram, FakeLLM]]:
    async with FakeTelegram() as tg, FakeLLM() as llm:
        tg.add_bot(TOKEN, "dagi_bot")
        tg.auto_deliver = False  # this test is Telegram's delivery: each photo to the replica it names
        pair = Pair(tmp, tg, llm, database_url, env)
        try:
            await until(lambda: len(tg.calls_of("setWebhook")) >= 2, pair.procs[0], pair.dirs[0], 60)
            yield pair, tg, llm
        finally:
            for proc in pair.procs:
                if proc.poll() is None:
                    proc.terminate()
                    proc.wait(timeout=30)


def hue(image: bytes) -> str:
    """The colour a one-colour test photo shows, after the bot re-encoded it."""
    pixel = PILImage.open(io.BytesIO(image)).convert("RGB").getpixel((0, 0))
    assert isinstance(pixel, tuple)
    return COLORS[max(range(3), key=lambda c: pixel[c])]


def saw_whole_albums(llm: FakeLLM, albums: int) -> None:
    asked = vision_requests(llm)
    assert len(asked) == albums
    for request in asked:  # every photo, in the album's order
        assert [hue(image) for image in images_in(request)] == list(COLORS)


async def test_an_album_spread_over_two_replicas_is_answered_once_about_all_its_photos(
        tmp_path: Path, postgres_url: str, redis_url: str) -> None:
    wait = 1.5  # a loaded machine may post the next photo later than a short wait (the album would split)
    async with replicas(tmp_path, postgres_url, REDIS_URL=redis_url, ALBUM_WAIT=str(wait)) as (pair, tg, llm):
        # A private chat: replica 1 gets the first photo (and so collects the album), replica 0 the caption.
        await pair.album(1001, "alb-private", "Порівняй ці фото", to=[1, 0, 1], captioned=1)
        await pair.answered(1001, by=1)
        # A group: the caption addressing the bot reaches the replica that does not collect the album.
        await pair.album(-500, "alb-group", "@dagi_bot що спільного на цих фото?", to=[0, 0, 1], captioned=2,
                         chat_type="group")
        await pair.answered(-500, by=0)
        await asyncio.sleep(3 * wait)  # a second answer, about the rest of an album, would have come by now
    texts = tg.sent_texts(1001)
    assert len(texts) == 1, texts
    [private] = texts
    assert "Порівняй ці фото" in private and "[images: 3]" in private
    [grouped] = tg.sent_texts(-500)
    assert "що спільного на цих фото?" in grouped and "[images: 3]" in grouped
    saw_whole_albums(llm, 2)


async def test_an_album_whose_collector_is_killed_is_answered_by_the_other_replica(
        tmp_path: Path, postgres_url: str, redis_url: str, redis_server: RedisServer) -> None:
    async with replicas(tmp_path, postgres_url, REDIS_URL=redis_url, ALBUM_WAIT="2",
                        PENDING_LEASE="4") as (pair, tg, llm):
        def collecting() -> bool:  # replica 0 holds the first photo and collects the album
            return redis_server.command("EXISTS", key("album", "main", 1001, "alb-crash", "collector")) == b":1"

        await pair.album(1001, "alb-crash", "Порівняй ці фото", to=[0, 1, 1], captioned=2, first=collecting)
        kill(pair.procs[0])  # and dies while it waits for the rest
        await pair.answered(1001, by=1, timeout=60)  # its update is taken over after PENDING_LEASE
        await asyncio.sleep(3.0)  # a second answer (a part of the album answered alone) would have come by now
    texts = tg.sent_texts(1001)
    assert len(texts) == 1, texts
    [answer] = texts
    assert "Порівняй ці фото" in answer and "[images: 3]" in answer
    saw_whole_albums(llm, 1)
