"""Local OCR with the real tesseract: reads generated pages, and serves /ocr when no vision model can."""
from __future__ import annotations

import io
import json

from PIL import Image as PILImage
from PIL import ImageDraw, ImageFont

from router.testing import FakeLLM
from tests.harness import TOKEN, running_bot
from vision import local_ocr

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"  # Debian fonts-dejavu-core (.ci/run installs it)
LINES = ["ТОВ «Сільпо-Фуд»", "Хліб житній 31.50", "Молоко пастеризоване 42.90", "СУМА 412.50 UAH",
         "Thank you for shopping"]
TEXT_ONLY_YAML = """
providers:
  ollama: {kind: ollama, base_url: "${OLLAMA_URL}", local: true, timeouts: {connect: 1, first_token: 3, total: 20}}
routes:
  chat: [ollama:qwen3:8b]
"""


def page(lines: list[str] = LINES) -> bytes:
    """A photographed receipt, as clean as a flat scan: known text in a real font."""
    font = ImageFont.truetype(FONT, 30)
    img = PILImage.new("RGB", (900, 80 + 60 * len(lines)), "white")
    draw = ImageDraw.Draw(img)
    for i, line in enumerate(lines):
        draw.text((40, 40 + 60 * i), line, fill="black", font=font)
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=90)
    return buf.getvalue()


def test_tesseract_reads_ukrainian_and_english_words() -> None:
    assert local_ocr.available(), "install tesseract-ocr tesseract-ocr-ukr tesseract-ocr-eng (see README)"
    read = local_ocr.read_text(page())
    words = set(read.text.replace("«", " ").replace("»", " ").split())
    for expected in ("Сільпо-Фуд", "Хліб", "житній", "Молоко", "пастеризоване", "СУМА", "412.50", "Thank", "shopping"):
        assert expected in words, read.text
    assert read.confidence > 60
    assert read.text.count("\n") >= len(LINES) - 1  # one line per printed line


def test_a_blank_page_reads_as_nothing() -> None:
    assert local_ocr.read_text(page([])).text == ""


async def test_ocr_without_a_vision_model_reads_locally_and_the_chat_model_sorts_fields(tmp_path, tg, llm):
    answer = {"document_type": "receipt", "text": "\n".join(LINES),
              "fields": {"seller": "ТОВ «Сільпо-Фуд»", "total": "412.50", "currency": "UAH"}, "items": []}
    async with running_bot(tmp_path, tg=tg, llm=llm, router_yaml=TEXT_ONLY_YAML):
        llm.reply(json.dumps(answer, ensure_ascii=False))
        tg.send_photo(TOKEN, chat_id=1001, user_id=1001, image=page(), caption="ocr")
        await tg.wait_for(lambda: len(tg.calls_of("sendDocument")) == 2)
        shown = tg.sent_texts(1001)[0]
        assert "Чек" in shown and "412.50" in shown
        [request] = llm.chat_requests()  # one text request: the page's words, no image
        sent = request.json["messages"][-1]
        assert "images" not in sent and "Молоко" in sent["content"] and "OCR" in sent["content"]


async def test_ocr_with_no_model_at_all_still_gives_the_text(tmp_path, tg):
    async with running_bot(tmp_path, tg=tg, llm=FakeLLM(), ollama_url=FakeLLM.refusing_url(),
                           router_yaml=TEXT_ONLY_YAML):
        tg.send_photo(TOKEN, chat_id=1001, user_id=1001, image=page(), caption="ocr")
        await tg.wait_for(lambda: len(tg.calls_of("sendDocument")) == 2)
        shown = tg.sent_texts(1001)[0]
        assert "Молоко" in shown and "412.50" in shown
        docs = {c.params["document"]["filename"]: c.params["document"]["content"] for c in tg.calls_of("sendDocument")}
        assert "Сільпо" in json.loads(docs["result.json"])["text"]
