"""Photos as a Telegram user sends them: answered about, albums once, follow-ups, bad files, OCR."""
from __future__ import annotations

import base64
import csv
import io
import json
from pathlib import Path

from PIL import Image as PILImage

from router.testing import FakeLLM
from tests.harness import TOKEN, running_bot

VISION_YAML = """
providers:
  ollama: {kind: ollama, base_url: "${OLLAMA_URL}", local: true, timeouts: {connect: 1, first_token: 3, total: 20}}
rules:
  - when: {mode: [vision, ocr]}
    use: [ollama:qwen3:8b, ollama:llava:7b]
  - use: [ollama:qwen3:8b]
"""
TEXT_ONLY_YAML = """
providers:
  ollama: {kind: ollama, base_url: "${OLLAMA_URL}", local: true, timeouts: {connect: 1, first_token: 3, total: 20}}
routes:
  chat: [ollama:qwen3:8b]
"""
RECEIPT = (Path(__file__).resolve().parents[1] / "data" / "receipt_answer.txt").read_text(encoding="utf-8")


def jpeg(w: int = 64, h: int = 48, color: str = "red") -> bytes:
    buf = io.BytesIO()
    PILImage.new("RGB", (w, h), color).save(buf, "JPEG")
    return buf.getvalue()


def images_in(request) -> list[bytes]:
    """Decoded images of every message of a recorded Ollama chat request."""
    return [base64.b64decode(i) for m in request.json["messages"] for i in m.get("images", [])]


def vision_requests(llm: FakeLLM) -> list:
    return [r for r in llm.chat_requests() if r.json and r.json.get("model") == "llava:7b"]


async def test_photo_with_a_question_is_answered_by_a_vision_model_as_bytes(tmp_path, tg, llm):
    async with running_bot(tmp_path, tg=tg, llm=llm, router_yaml=VISION_YAML) as bot:
        tg.send_photo(TOKEN, chat_id=1001, user_id=1001, image=jpeg(), caption="Що на фото?")
        [answer] = await bot.replies(1001)
        assert "Що на фото?" in answer and "[images: 1]" in answer  # the model saw the question and one image
        [request] = llm.chat_requests()  # the text-only qwen3 was skipped before sending, not tried
        assert request.json["model"] == "llava:7b"
        [sent] = images_in(request)
        assert PILImage.open(io.BytesIO(sent)).format == "JPEG"
        for r in llm.requests:  # the bot token (and so any Telegram file URL) never reaches a model
            assert TOKEN not in json.dumps(r.json) and "api.telegram.org" not in json.dumps(r.json)


async def test_photo_without_caption_is_described_in_the_personas_domain(tmp_path, tg, llm):
    async with running_bot(tmp_path, tg=tg, llm=llm, router_yaml=VISION_YAML) as bot:
        bot.say("/agent helion")
        await bot.replies(1001)
        tg.send_photo(TOKEN, chat_id=1001, user_id=1001, image=jpeg())
        await bot.replies(1001, 2)
        [request] = vision_requests(llm)
        asked = request.json["messages"][-1]["content"]
        assert asked == bot.services.personas.get("helion").photo_prompt.get("uk")
        assert "енергетики" in asked


async def test_a_follow_up_question_sees_the_last_photo_again(tmp_path, tg, llm):
    async with running_bot(tmp_path, tg=tg, llm=llm, router_yaml=VISION_YAML) as bot:
        tg.send_photo(TOKEN, chat_id=1001, user_id=1001, image=jpeg(color="blue"), caption="Що це?")
        await bot.replies(1001)
        bot.say("А якого воно кольору?")
        texts = await bot.replies(1001, 2)
        assert "[images: 1]" in texts[1]
        first, follow_up = vision_requests(llm)
        assert images_in(follow_up) == images_in(first)  # the same photo, not downloaded again
        assert [m["role"] for m in follow_up.json["messages"]][-3:] == ["user", "assistant", "user"]
        assert follow_up.json["messages"][-3].get("images")  # attached to the turn it was sent with
        assert len(tg.calls_of("getFile")) == 1
        bot.say("/reset")
        await bot.replies(1001, 3)
        bot.say("А тепер просто питання")
        await bot.replies(1001, 4)
        assert llm.chat_requests()[-1].json["model"] == "qwen3:8b"  # a new conversation: no photo in view


async def test_an_album_is_answered_once_about_all_its_images(tmp_path, tg, llm):
    async with running_bot(tmp_path, tg=tg, llm=llm, router_yaml=VISION_YAML, album_wait=0.3) as bot:
        for i, color in enumerate(("red", "green", "blue")):
            tg.send_photo(TOKEN, chat_id=1001, user_id=1001, image=jpeg(color=color), media_group_id="alb1",
                          caption="Порівняй ці фото" if i == 0 else None)
        [answer] = await bot.replies(1001)
        assert "[images: 3]" in answer and "Порівняй ці фото" in answer
        assert len(vision_requests(llm)) == 1 and len(images_in(vision_requests(llm)[0])) == 3


async def test_no_vision_model_means_a_clear_notice_and_nothing_sent(tmp_path, tg, llm):
    async with running_bot(tmp_path, tg=tg, llm=llm, router_yaml=TEXT_ONLY_YAML) as bot:
        tg.send_photo(TOKEN, chat_id=1001, user_id=1001, image=jpeg(), caption="Що тут?")
        [notice] = await bot.replies(1001)
        assert "немає жодної моделі, що бачить фото" in notice
        assert llm.chat_requests() == []


async def test_bad_image_files_get_clear_answers_and_reach_no_model(tmp_path, tg, llm):
    async with running_bot(tmp_path, tg=tg, llm=llm, router_yaml=VISION_YAML) as bot:
        tg.send_document(TOKEN, chat_id=1001, user_id=1001, content=b"%PDF-1.7 not a picture", file_name="photo.jpg")
        tg.send_document(TOKEN, chat_id=1001, user_id=1001, content=jpeg(640, 480)[:300], file_name="broken.jpg",
                         mime_type="image/jpeg")
        tg.send_document(TOKEN, chat_id=1001, user_id=1001, content=b"x", file_name="huge.png",
                         mime_type="image/png", file_size=25 * 1024 * 1024)
        texts = " | ".join(await bot.replies(1001, 3))  # the 20 MB one is refused at once, before the others
        assert "не схожий на зображення" in texts and "пошкоджений" in texts and "20 МБ" in texts
        assert llm.chat_requests() == []
        tg.send_document(TOKEN, chat_id=1001, user_id=1001, content=jpeg(), file_name="fine.jpg",
                         caption="Що тут?", language_code="en")
        assert "[images: 1]" in (await bot.replies(1001, 4))[3]  # an image sent as a file works too


async def test_ocr_shows_fields_and_attaches_json_and_csv(tmp_path, tg, llm):
    async with running_bot(tmp_path, tg=tg, llm=llm, router_yaml=VISION_YAML) as bot:
        bot.say("/ocr")
        [ready] = await bot.replies(1001)
        assert "result.json" in ready
        llm.reply(RECEIPT)
        tg.send_photo(TOKEN, chat_id=1001, user_id=1001, image=jpeg(800, 1200, "white"))
        await tg.wait_for(lambda: len(tg.calls_of("sendDocument")) == 2)
        shown = tg.sent_texts(1001)[1]
        assert "Чек" in shown and "Сільпо" in shown and "412.50" in shown
        [request] = vision_requests(llm)
        assert "JSON" in request.json["messages"][0]["content"] and images_in(request)
        docs = {c.params["document"]["filename"]: c.params["document"]["content"] for c in tg.calls_of("sendDocument")}
        data = json.loads(docs["result.json"])
        assert data["document_type"] == "receipt" and data["fields"]["total"] == "412.50"
        rows = list(csv.DictReader(io.StringIO(docs["result.csv"].decode("utf-8-sig"))))
        assert len(rows) == len(data["items"]) and all(r["seller"] == data["fields"]["seller"] for r in rows)
        assert not any(c.params.get("text", "").lstrip().startswith("{") for c in tg.calls_of("sendMessageDraft"))


async def test_caption_ocr_reads_a_document_in_english(tmp_path, tg, llm):
    async with running_bot(tmp_path, tg=tg, llm=llm, router_yaml=VISION_YAML):
        llm.reply(RECEIPT)
        tg.send_photo(TOKEN, chat_id=1001, user_id=1001, image=jpeg(), caption="ocr", language_code="en")
        await tg.wait_for(lambda: len(tg.calls_of("sendDocument")) == 2)
        assert "Receipt" in tg.sent_texts(1001)[0]


async def test_group_photos_are_answered_only_when_addressed(tmp_path, tg, llm):
    async with running_bot(tmp_path, tg=tg, llm=llm, router_yaml=VISION_YAML) as bot:
        tg.send_photo(TOKEN, chat_id=-500, user_id=1001, image=jpeg(), chat_type="group", caption="дивіться що є")
        tg.send_photo(TOKEN, chat_id=-500, user_id=1001, image=jpeg(), chat_type="group",
                      caption="@dagi_bot що це за обладнання?")
        [answer] = await bot.replies(-500)
        assert "що це за обладнання?" in answer
        assert len(llm.chat_requests()) == 1


async def test_vision_calls_are_usage_rows_under_the_users_quota(tmp_path, tg, llm):
    limited = VISION_YAML + "quotas: {user: {requests: 1}}\n"
    async with running_bot(tmp_path, tg=tg, llm=llm, router_yaml=limited) as bot:
        tg.send_photo(TOKEN, chat_id=1001, user_id=1001, image=jpeg(), caption="Що тут?")
        await bot.replies(1001)
        tg.send_photo(TOKEN, chat_id=1001, user_id=1001, image=jpeg(), caption="А тут?")
        texts = await bot.replies(1001, 2)
        assert "ліміт" in texts[1]
        used = await bot.services.ledger.totals("user", 1001, bot.services.router.usage.day())
        assert used.requests == 1 and len(llm.chat_requests()) == 1


async def test_an_api_vision_model_gets_the_photo_as_a_data_uri(tmp_path, tg, llm, monkeypatch):
    api_yaml = """
providers:
  ollama: {kind: ollama, base_url: "${OLLAMA_URL}", local: true, timeouts: {connect: 1, first_token: 3, total: 20}}
  backup:
    kind: openai
    base_url: "${BACKUP_URL}"
    api_key_env: BACKUP_KEY
    models: {gpt-4o-mini: {capabilities: [vision]}}
rules:
  - when: {mode: vision}
    use: [ollama:qwen3:8b, backup:gpt-4o-mini]
  - use: [ollama:qwen3:8b]
"""
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch, router_yaml=api_yaml) as bot:
        tg.send_photo(TOKEN, chat_id=1001, user_id=1001, image=jpeg(), caption="What is it?", language_code="en")
        [answer] = await bot.replies(1001)
        assert "[images: 1]" in answer
        [request] = llm.chat_requests()
        assert request.path.endswith("/chat/completions")
        [image] = FakeLLM.images_of(request)
        assert PILImage.open(io.BytesIO(image)).format == "JPEG"
        assert all(TOKEN.encode() not in body for body in llm.raw_bodies())


async def test_ocr_as_a_reply_to_an_earlier_photo(tmp_path, tg, llm):
    async with running_bot(tmp_path, tg=tg, llm=llm, router_yaml=VISION_YAML) as bot:
        tg.send_photo(TOKEN, chat_id=1001, user_id=1001, image=jpeg(), caption="Що це?")
        await bot.replies(1001)
        photo_id = next(i for i, m in tg._messages[1001].items() if "photo" in m)
        llm.reply(RECEIPT)
        bot.say("/ocr", reply_to_bot_message=photo_id)
        await tg.wait_for(lambda: len(tg.calls_of("sendDocument")) == 2)
        assert "Чек" in tg.sent_texts(1001)[1]
        assert len(vision_requests(llm)) == 2
