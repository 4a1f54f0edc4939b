"""OCR mode: what the user gets from a model's answer — message, result.json, result.csv."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from vision.ocr import DOC_TYPES, FIELDS, OcrResult, attachments, ocr_prompt, parse, render, to_csv, to_json

RECEIPT = (Path(__file__).resolve().parents[1] / "data" / "receipt_answer.txt").read_text(encoding="utf-8")
ITEM_NAMES = ["Молоко пастеризоване 2,5% 900г", "Хліб «Житній» 500г", "Сир твердий Гауда 45%", "Яблука Голден вагові"]

FOOD_LABEL = """{"document_type": "food_label", "language": "uk",
 "text": "Сир кисломолочний 9%\\nТОВ «Молочна ферма»\\nПартія 2611-07\\nВжити до: 05.12.2026",
 "fields": {"expiry": "05.12.2026", "storage": null, "batch": "2611-07", "product": "Сир кисломолочний 9%",
            "weight": "", "producer": "ТОВ «Молочна ферма»", "halal": "ні"},
 "items": []}"""


def csv_rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def test_receipt_answer_with_reasoning_and_fences_gives_fields_and_items() -> None:
    result = parse(RECEIPT)
    assert result.doc_type == "receipt"
    assert result.language == "uk"
    assert result.fields == {
        "date": "2026-11-28", "time": "14:37", "seller": "ТОВ «Сільпо-Фуд»", "seller_tax_id": "400218926538",
        "total": "412.50", "currency": "UAH", "payment_method": "картка",
    }, "numbers keep their printed form: 412.50, not 412.5"
    assert [item["name"] for item in result.items] == ITEM_NAMES
    cheese = {"name": "Сир твердий Гауда 45%", "quantity": "0.418", "price": "389.00", "total": "162.60"}
    assert result.items[2] == cheese
    assert result.text.splitlines()[0] == "ТОВ «Сільпо-Фуд»" and "СУМА 412.50 ГРН" in result.text.splitlines()
    assert result.raw == ""


def test_receipt_message_in_ukrainian() -> None:
    message = render(parse(RECEIPT), "uk")
    assert message.startswith("🧾 Чек\n")
    assert "Продавець: ТОВ «Сільпо-Фуд»" in message
    assert "Сума: 412.50" in message and "Дата: 2026-11-28" in message
    assert "Позиції (4):" in message
    assert "• Молоко пастеризоване 2,5% 900г — 2 × 42.90 = 85.80" in message
    assert all(name in message for name in ITEM_NAMES)
    assert "\n\nТекст:\nТОВ «Сільпо-Фуд»\nСупермаркет «Сільпо»" in message and message.endswith("ФІСКАЛЬНИЙ ЧЕК")
    assert "I must answer" not in message, "the model's reasoning is not shown"


def test_receipt_message_in_english_uses_english_labels() -> None:
    message = render(parse(RECEIPT), "en")
    assert message.startswith("🧾 Receipt\n")
    assert "Seller: ТОВ «Сільпо-Фуд»" in message and "Total: 412.50" in message and "Tax ID: 400218926538" in message
    assert "Items (4):" in message and "\n\nText:\n" in message
    assert "Продавець" not in message and "Чек\n" not in message
    # The one language resolver (i18n/locales/languages.yaml): ru reads Ukrainian, any other code English.
    assert render(parse(RECEIPT), "ru").startswith("🧾 Чек") and render(parse(RECEIPT), "de").startswith("🧾 Receipt")


def test_result_json_round_trips() -> None:
    files = dict(attachments(parse(RECEIPT)))
    assert list(files) == ["result.json", "result.csv"]
    data = json.loads(files["result.json"].decode("utf-8"))
    assert list(data) == ["document_type", "language", "fields", "items", "text"]
    assert data["document_type"] == "receipt" and data["language"] == "uk"
    assert data["fields"]["seller"] == "ТОВ «Сільпо-Фуд»" and data["fields"]["total"] == "412.50"
    assert [item["name"] for item in data["items"]] == ITEM_NAMES
    assert "ТОВ «Сільпо-Фуд»".encode() in files["result.json"], "Cyrillic is readable, not \\u-escaped"


def test_result_csv_has_a_row_per_item_with_the_document_fields_repeated() -> None:
    data = to_csv(parse(RECEIPT))
    assert data.startswith(b"\xef\xbb\xbf"), "a BOM, so Excel reads Cyrillic as UTF-8"
    rows = csv_rows(data)
    assert len(rows) == 4
    assert list(rows[0]) == [*FIELDS["receipt"], "item_name", "item_quantity", "item_price", "item_total"]
    assert {(r["seller"], r["date"], r["total"]) for r in rows} == {("ТОВ «Сільпо-Фуд»", "2026-11-28", "412.50")}
    assert [r["item_name"] for r in rows] == ITEM_NAMES
    assert (rows[3]["item_quantity"], rows[3]["item_price"], rows[3]["item_total"]) == ("1.25", "106.32", "132.90")


def test_food_label_fields_in_order_and_csv_with_the_text() -> None:
    result = parse(FOOD_LABEL)
    assert result.doc_type == "food_label"
    assert list(result.fields) == ["product", "producer", "batch", "expiry", "halal"], "empty dropped, extras last"
    message = render(result, "uk")
    assert message.startswith("🏷 Етикетка продукту\nПродукт: Сир кисломолочний 9%\n")
    assert "Партія: 2611-07" in message and "Вжити до: 05.12.2026" in message and "halal: ні" in message
    assert "Best before: 05.12.2026" in render(result, "en")
    (row,) = csv_rows(to_csv(result))
    assert row["batch"] == "2611-07" and row["storage"] == "" and row["text"] == result.text


def test_braces_and_quotes_inside_strings_do_not_break_parsing() -> None:
    answer = (
        'Result {see below}:\n'
        '{"document_type": "other", "text": "f(x) = {a: 1} }} \\"{\\"", "fields": {"title": "{draft}"}}'
    )
    result = parse(answer)
    assert result.text == 'f(x) = {a: 1} }} "{"' and result.fields == {"title": "{draft}"}


def test_sloppy_json_is_tolerated() -> None:
    trailing = '{"document_type": "invoice", "fields": {"number": "INV-7", "total": 1200,}, "items": [],}'
    assert parse(trailing).fields == {"number": "INV-7", "total": "1200"}
    single = "{'document_type': 'food_label', 'fields': {'product': 'М\\'ясо', 'batch': 'B-2'}}"
    assert parse(single).fields == {"product": "М'ясо", "batch": "B-2"}
    bare_quotes = '{"document_type": "receipt", "fields": {"seller": "ТОВ "Сільпо-Фуд""}, "text": "x"}'
    assert parse(bare_quotes).fields == {"seller": 'ТОВ "Сільпо-Фуд"'}


def test_prose_answer_still_gives_the_user_the_text() -> None:
    answer = "The receipt says:\nХліб 31.20\nСУМА 31.20\n"
    result = parse(answer)
    assert (result.doc_type, result.fields, result.items) == ("other", {}, ())
    assert result.text == "The receipt says:\nХліб 31.20\nСУМА 31.20" and result.raw == answer
    assert render(result, "en").startswith("📝 Document\n\nText:\nThe receipt says:")


@pytest.mark.parametrize(
    "answer", ["", "   ", "<think>nothing legible</think>", '{"document_type": "receipt", "text": ""}']
)
def test_nothing_recognised_says_so_and_suggests_a_better_photo(answer: str) -> None:
    uk, en = render(parse(answer), "uk"), render(parse(answer), "en")
    assert "не знайдено" in uk and "ближче" in uk and "освітлен" in uk
    assert "No text found" in en and "sharper" in en and "closer" in en


def test_items_synonyms_unknown_type_and_odd_values() -> None:
    answer = """{"document_type": "Shopping List", "text": "Хліб", "fields": {"date": null, "Title": "Покупки"},
    "items": [{"description": "Хліб", "qty": 2, "unit_price": "25.00", "amount": "50.00"}, "junk", {"note": ""}, {}]}"""
    result = parse(answer)
    assert result.doc_type == "other" and result.fields == {"title": "Покупки"}
    assert result.items == ({"name": "Хліб", "quantity": "2", "price": "25.00", "total": "50.00"},)


def test_long_item_lists_are_cut_in_the_message_but_not_in_the_files() -> None:
    items = [{"name": f"Товар {n}", "total": f"{n}.00"} for n in range(1, 21)]
    result = parse(json.dumps({"document_type": "invoice", "text": "…", "items": items}, ensure_ascii=False))
    uk = render(result, "uk")
    assert "• Товар 15 — 15.00" in uk and "Товар 16" not in uk and "…і ще 5" in uk
    assert "…and 5 more" in render(result, "en")
    assert len(csv_rows(to_csv(result))) == 20 and len(json.loads(to_json(result))["items"]) == 20


def test_a_truncated_answer_keeps_what_was_read() -> None:
    cut = '```json\n{"document_type": "receipt", "text": "СУМА 412.50", "fields": {"total": "412.50", "seller": "ТО'
    result = parse(cut)
    assert result.doc_type == "receipt" and result.text == "СУМА 412.50" and result.fields["total"] == "412.50"


def test_reasoning_opened_by_the_chat_template_is_dropped() -> None:
    result = parse('doc is a receipt {maybe}</think>\n{"document_type": "receipt", "text": "Чек"}')
    assert result.doc_type == "receipt" and result.text == "Чек"


def test_csv_cells_cannot_run_as_spreadsheet_formulas() -> None:
    result = OcrResult("other", '=HYPERLINK("http://x","y")', {"title": "+SUM(A1)", "date": "-5.00"}, ())
    (row,) = csv_rows(to_csv(result))
    assert row["text"].startswith("'=") and row["title"] == "'+SUM(A1)" and row["date"] == "-5.00"


def test_prompt_names_every_type_and_field_and_carries_the_users_note() -> None:
    prompt = ocr_prompt()
    for kind in DOC_TYPES:
        assert f"{kind}: {', '.join(FIELDS[kind])}" in prompt
    assert "JSON" in prompt and "null" in prompt and "invent" in prompt
    assert "only the total" not in prompt and "note" not in prompt
    assert "only the total" in ocr_prompt("  only the total ") and "note" in ocr_prompt("only the total")
