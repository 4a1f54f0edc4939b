"""A local Bot API server in --local mode (compose profile bot-api): files come from its disk, not over HTTP, and
files past the cloud's 20 MB are taken, up to this deployment's caps, which every "too big" notice states."""
from __future__ import annotations

import io
import random
from functools import cache

import pytest
from pypdf import PdfReader, PdfWriter

from tests.e2e.test_knowledge import KB_YAML, add_file, ask
from tests.e2e.test_photos import VISION_YAML, images_in, jpeg, vision_requests
from tests.e2e.voice_media import PRIVATE, SPEECH_YAML, UK, heard, note
from tests.harness import TOKEN, running_bot
from tests.rag.test_extract import make_pdf

MB = 1024 * 1024


@pytest.fixture(autouse=True)
def _kb_env(monkeypatch):
    monkeypatch.setenv("KB_EMBED_DIM", "64")  # the fake's bge-m3 gives 64-dim vectors


@cache
def manual() -> bytes:
    """A 25 MB PDF as manuals come: two pages of text and a 25 MB attachment (the raw measurements)."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf([
        "Інструкція EcoMiner. Вступ.", "Гарантійний строк EcoMiner становить п'ять років з дати введення."]))))
    writer.add_attachment("measurements.bin", random.Random(16).randbytes(25 * MB))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


async def test_a_photo_is_read_from_the_local_servers_disk(tmp_path, tg, llm):
    root = tmp_path / "telegram-bot-api"
    tg.serve_locally(root)  # getFile answers a path on its disk; nothing is served over HTTP
    async with running_bot(tmp_path, tg=tg, llm=llm, router_yaml=VISION_YAML, telegram_api_local=True) as bot:
        tg.send_photo(TOKEN, chat_id=1001, user_id=1001, image=jpeg(color="blue"), caption="Що на фото?")
        [answer] = await bot.replies(1001)
        assert "[images: 1]" in answer and len(images_in(vision_requests(llm)[0])) == 1
        assert [p.name for p in (root / TOKEN / "photos").iterdir()]  # the file the bot read


async def test_a_25_mb_document_is_added_to_the_knowledge_base_through_a_local_server(tmp_path, tg, llm):
    tg.serve_locally(tmp_path / "telegram-bot-api")
    assert len(manual()) > 25 * MB
    async with running_bot(tmp_path, tg=tg, llm=llm, router_yaml=KB_YAML, telegram_api_local=True) as bot:
        assert "до 50 МБ" in await ask(bot, "/kb add")  # KB_MAX_FILE_MB's default: more than the cloud's 20
        status = await add_file(bot, 1001, manual(), "manual.pdf", mime_type="application/pdf")
        assert status.startswith("✅ Додано до бази знань: №1 manual.pdf") and "2 сторінки" in status
        answer = await ask(bot, "Який гарантійний строк EcoMiner?")
        assert answer.endswith("Джерела:\n[1] manual.pdf, с. 2")


async def test_without_a_local_server_the_same_file_is_refused_before_any_download(tmp_path, tg, llm):
    async with running_bot(tmp_path, tg=tg, llm=llm, router_yaml=KB_YAML) as bot:
        assert "до 20 МБ" in await ask(bot, "/kb add")
        tg.send_document(TOKEN, chat_id=1001, user_id=1001, content=manual(), file_name="manual.pdf")
        assert (await bot.replies(1001, 2))[-1] == UK("kb_too_large", mb=20)
        assert tg.calls_of("getFile") == [] and await bot.services.kb.documents(["chat:main:1001:0"]) == []


async def test_a_recording_over_20_mb_is_heard_through_a_local_server(tmp_path, tg, llm, monkeypatch):
    tg.serve_locally(tmp_path / "telegram-bot-api")
    llm.transcripts("Який гарантійний строк?")
    async with running_bot(tmp_path, tg=tg, llm=llm, router_yaml=SPEECH_YAML, monkeypatch=monkeypatch,
                           telegram_api_local=True) as bot:
        # Telegram states 25 MB (the bytes on the server's disk are a short note: what is said does not matter).
        tg.send_voice(TOKEN, chat_id=PRIVATE, user_id=PRIVATE, audio=note().data, duration=2, file_size=25 * MB)
        [answer] = await bot.replies(PRIVATE)
        assert answer.startswith(heard("Який гарантійний строк?")) and len(llm.transcription_requests()) == 1


async def test_max_file_mb_lowers_every_cap_and_the_notices_say_so(tmp_path, tg, llm, monkeypatch):
    tg.serve_locally(tmp_path / "telegram-bot-api")
    async with running_bot(tmp_path, tg=tg, llm=llm, router_yaml=SPEECH_YAML, monkeypatch=monkeypatch,
                           telegram_api_local=True, max_file_mb=10) as bot:
        assert "до 10 МБ" in await ask(bot, "/kb add", chat_id=PRIVATE)
        tg.send_document(TOKEN, chat_id=PRIVATE, user_id=PRIVATE, content=manual(), file_name="manual.pdf")
        assert (await bot.replies(PRIVATE, 2))[-1] == UK("kb_too_large", mb=10)
        tg.send_voice(TOKEN, chat_id=PRIVATE, user_id=PRIVATE, audio=note().data, duration=2, file_size=11 * MB)
        assert (await bot.replies(PRIVATE, 3))[-1] == UK("voice_too_large", mb=10)
        tg.send_document(TOKEN, chat_id=PRIVATE, user_id=PRIVATE, content=b"x", file_name="poster.png",
                         mime_type="image/png", file_size=11 * MB, language_code="en")
        assert (await bot.replies(PRIVATE, 4))[-1] == "The file is over 10 MB, more than I download. " \
                                                     "Send it as a photo (not a file) or make it smaller."
        assert tg.calls_of("getFile") == [] and llm.transcription_requests() == [] and llm.chat_requests() == []
