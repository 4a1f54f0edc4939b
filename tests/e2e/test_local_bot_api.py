"""A local Bot API server in --local mode (compose profile bot-api): files come from its disk, not over HTTP."""
from __future__ import annotations

import io
from pathlib import Path

from PIL import Image as PILImage

from tests.e2e.test_photos import VISION_YAML, images_in, jpeg, vision_requests
from tests.harness import TOKEN, running_bot


def _move_to_server_disk(tg, root: Path, image: bytes) -> None:
    """As the local server answers getFile: an absolute path under its working directory, the file written there."""
    files = tg._bot(TOKEN).files
    for file_id, (_, relative) in list(files.items()):
        path = root / TOKEN / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(image)
        files[file_id] = (b"served over HTTP: a local server never does", str(path))


async def test_a_photo_is_read_from_the_local_servers_disk(tmp_path, tg, llm):
    async with running_bot(tmp_path, tg=tg, llm=llm, router_yaml=VISION_YAML, telegram_api_local=True) as bot:
        tg.send_photo(TOKEN, chat_id=1001, user_id=1001, image=jpeg(color="red"), caption="Що на фото?")
        _move_to_server_disk(tg, tmp_path / "telegram-bot-api", jpeg(color="blue"))
        [answer] = await bot.replies(1001)
        assert "[images: 1]" in answer
        [sent] = images_in(vision_requests(llm)[0])
        r, g, b = PILImage.open(io.BytesIO(sent)).convert("RGB").getpixel((10, 10))
        assert b > 200 and r < 60  # the blue file on disk, not the red bytes the fake would have served
