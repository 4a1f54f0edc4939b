"""OCR mode: the model-facing prompt, and turning the model's answer into a message, JSON and CSV."""
from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass

from i18n import translator
from vision.ocr_fields import (
    DOC_TYPES,
    FIELDS,
    ITEM_KEYS,
    clean,
    clean_fields,
    clean_items,
    doc_type,
    key_of,
    loads,
    string_end,
    without_reasoning,
)

__all__ = ["DOC_TYPES", "FIELDS", "OcrResult", "attachments", "ocr_prompt", "parse", "render", "to_csv", "to_json"]

MAX_ITEM_LINES = 15
_CAPTION_LIMIT = 500  # a Telegram caption is ≤1024 chars; the note only narrows the task
_OUR_KEYS = frozenset({"document_type", "doc_type", "type", "text", "fields", "items"})
_NUMBER = re.compile(r"-?\d[\d\s]*([.,]\d+)?")
_CLOSERS = {"{": "}", "[": "]"}
_MAX_TRIES = 20
_MAX_DEPTH = 32


def ocr_prompt(caption: str = "") -> str:
    """The system instruction for an OCR request: answer with one JSON object only."""
    keys = "\n".join(f"- {kind}: {', '.join(FIELDS[kind])}" for kind in DOC_TYPES)
    prompt = (
        "You are an OCR engine. Read the document in the image and answer with ONE JSON object only: "
        "no commentary, no markdown fences, nothing before or after it.\n\n"
        "Shape:\n"
        '{"document_type": one of ' + " | ".join(f'"{k}"' for k in DOC_TYPES) + ",\n"
        ' "language": the document\'s main language as an ISO 639-1 code ("uk", "en", ...),\n'
        ' "text": the full text exactly as printed, top to bottom, line breaks kept as \\n,\n'
        ' "fields": {key: value as printed, or null} with the keys for the document type below,\n'
        ' "items": [{"name": ..., "quantity": ..., "price": ..., "total": ...}] '
        "one per line item of a receipt or invoice; [] for other types}\n\n"
        f"Field keys by document type:\n{keys}\n\n"
        "Rules:\n"
        "- Never invent or guess a value: use null when it is not visible or not legible.\n"
        "- Keep numbers, dates and codes exactly as printed (no rounding, no reformatting); "
        "write every value as a JSON string.\n"
        "- currency: the ISO 4217 code when the document makes it clear (грн, ₴ → UAH).\n"
        "- Do not translate; keep the document's spelling.\n"
        '- If there is no readable text, answer with "text": "" and null fields.'
    )
    note = caption.strip()[:_CAPTION_LIMIT]
    if note:
        prompt += f"\n\nThe user's note (follow it, but still answer with the JSON object above): {note}"
    return prompt


@dataclass(frozen=True, slots=True)
class OcrResult:
    """What was read from one document photo."""

    doc_type: str
    text: str
    fields: dict[str, str]  # only non-empty values, the type's FIELDS order first, unknown keys after
    items: tuple[dict[str, str], ...]
    language: str = ""
    raw: str = ""  # the model's answer when it was not valid JSON


def parse(answer: str) -> OcrResult:
    """Read the model's answer robustly."""
    visible = without_reasoning(answer)
    obj = _find_object(visible)
    if obj is None:  # the model ignored the format: its words are still the text the user wants
        return OcrResult(doc_type="other", text=visible, fields={}, items=(), raw=answer)
    obj = {key_of(k): v for k, v in obj.items()}
    kind = doc_type(obj.get("document_type") or obj.get("doc_type") or obj.get("type"))
    return OcrResult(
        doc_type=kind,
        text=clean(obj.get("text"), sep="\n"),
        fields=clean_fields(obj, kind),
        items=clean_items(obj.get("items")),
        language=clean(obj.get("language")).lower(),
    )


def _find_object(text: str) -> dict[str, object] | None:
    """The outermost {...} that reads as our answer; else the first that reads as a dict at all."""
    first: dict[str, object] | None = None
    start = text.find("{")
    for _ in range(_MAX_TRIES):  # bounded: each unclosed "{" rescans the rest of the answer
        if start < 0:
            break
        obj, end = _object_at(text, start)
        if obj is not None and _OUR_KEYS & {key_of(k) for k in obj}:
            return obj
        if first is None:
            first = obj
        # Past a balanced candidate, not into it: its inner objects are fields or items, not the answer.
        start = text.find("{", end if end > start else start + 1)
    return first


def _object_at(text: str, start: int) -> tuple[dict[str, object] | None, int]:
    """Scan the brace-balanced object at `start` (strings respected) and read it; (dict or None, end or -1)."""
    stack: list[str] = []
    commas: list[tuple[int, str]] = []  # where a truncated answer may be cut back, and what then closes it
    quote, i = "", start
    while i < len(text):
        ch = text[i]
        if ch in "\"'":
            i = string_end(text, i)
            quote = ch if i == len(text) else ""
        elif ch in _CLOSERS:
            stack.append(_CLOSERS[ch])
            if len(stack) > _MAX_DEPTH:  # ours is 4 deep; far deeper is junk that would exhaust json's recursion
                return None, i + 1
        elif ch in "}]":
            if stack.pop() != ch:
                return None, i + 1
            if not stack:
                return _as_dict(loads(text[start:i + 1])), i + 1
        elif ch == ",":
            commas.append((i, "".join(reversed(stack))))
        i += 1
    # Truncated (max tokens): close the open string and brackets, else cut back to an earlier complete member.
    tails = [text[start:].rstrip() + quote + "".join(reversed(stack))]
    tails += [text[start:pos] + closers for pos, closers in reversed(commas[-3:])]
    return next((d for d in (_as_dict(loads(t)) for t in tails) if d is not None), None), -1


def _as_dict(value: object) -> dict[str, object] | None:
    return value if isinstance(value, dict) else None


def render(result: OcrResult, lang: str) -> str:
    """The message the user sees: document type, the fields, items count/lines, then the text."""
    tr = translator(lang)
    if not (result.text or result.fields or result.items):
        return tr("ocr_nothing")
    lines = [tr(f"ocr_doc_{result.doc_type}")]
    # A field the model invented has no label: it is shown under its own key.
    lines += [f"{tr.get(f'ocr_field_{key}', key)}: {value}" for key, value in result.fields.items()]
    if result.items:
        lines += ["", tr("ocr_items", n=len(result.items))]
        lines += [_item_line(item) for item in result.items[:MAX_ITEM_LINES]]
        if len(result.items) > MAX_ITEM_LINES:
            lines.append(tr("ocr_more", n=len(result.items) - MAX_ITEM_LINES))
    if result.text:
        lines += ["", tr("ocr_text"), result.text]
    return "\n".join(lines)


def _item_line(item: dict[str, str]) -> str:
    """"• Хліб — 2 × 25.00 = 50.00", with whatever parts the item has."""
    amount = " × ".join(item[k] for k in ("quantity", "price") if item.get(k))
    total = item.get("total", "")
    detail = f"{amount} = {total}" if amount and total else amount or total
    return f"• {item.get('name', '—')}" + (f" — {detail}" if detail else "")


def to_json(result: OcrResult) -> bytes:
    """result.json: document_type, language, fields, items and text, UTF-8, readable."""
    data = {
        "document_type": result.doc_type,
        "language": result.language,
        "fields": result.fields,
        "items": list(result.items),
        "text": result.text,
    }
    return json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")


def to_csv(result: OcrResult) -> bytes:
    """result.csv: one row per item with the document's fields repeated, or one row with the text; BOM for Excel."""
    own = FIELDS.get(result.doc_type, ())
    keys = list(own) + [k for k in result.fields if k not in own]
    doc = [result.fields.get(k, "") for k in keys]
    # Item columns are prefixed: a receipt's own "total" is already a field column.
    if result.items:
        header = keys + [f"item_{k}" for k in ITEM_KEYS]
        rows = [doc + [item.get(k, "") for k in ITEM_KEYS] for item in result.items]
    else:
        header, rows = keys + ["text"], [doc + [result.text]]
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerows([_cell(v) for v in row] for row in [header, *rows])  # extra keys come from the model too
    return buf.getvalue().encode("utf-8-sig")


def _cell(value: str) -> str:
    """Text a spreadsheet won't run as a formula: the photo is untrusted, and "=HYPERLINK(…)" is easy to print."""
    risky = value[:1] in ("=", "+", "@", "\t", "\r") or (value[:1] == "-" and not _NUMBER.fullmatch(value))
    return "'" + value if risky else value


def attachments(result: OcrResult) -> list[tuple[str, bytes]]:
    """The files sent with the message: result.json and result.csv."""
    return [("result.json", to_json(result)), ("result.csv", to_csv(result))]
