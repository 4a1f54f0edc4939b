"""OCR vocabulary (document types, field keys) and lenient reading of the model's JSON and values.

What people read about them (ocr_doc_*, ocr_field_*) lives in the catalogs: i18n/locales/*/ocr.ftl.
"""
from __future__ import annotations

import json
import re

DOC_TYPES = ("receipt", "invoice", "food_label", "other")

FIELDS: dict[str, tuple[str, ...]] = {
    "receipt": ("date", "time", "seller", "seller_tax_id", "total", "currency", "payment_method"),
    "invoice": ("number", "date", "seller", "buyer", "total", "currency", "due_date"),
    "food_label": (
        "product", "producer", "batch", "production_date", "expiry", "weight", "ingredients", "storage",
    ),
    "other": ("title", "date"),
}

ITEM_KEYS = ("name", "quantity", "price", "total")

# Models rename item columns freely; the first key found wins, so the exact name is listed first.
_ITEM_SYNONYMS: dict[str, tuple[str, ...]] = {
    "name": ("name", "description", "title", "item", "product"),
    "quantity": ("quantity", "qty", "count"),
    "price": ("price", "unit_price"),
    "total": ("total", "amount", "sum", "line_total"),
}
_DOC_SYNONYMS = {
    "check": "receipt", "cash_receipt": "receipt", "fiscal_receipt": "receipt", "чек": "receipt",
    "bill": "invoice", "рахунок": "invoice",
    "label": "food_label", "product_label": "food_label", "food": "food_label", "етикетка": "food_label",
}
# Top-level keys that are not fields, for answers that put the fields next to "text" instead of under "fields".
_NOT_FIELDS = frozenset({"document_type", "doc_type", "type", "language", "text", "fields", "items"})
# Placeholders models write instead of null; a document never means them as a value.
_EMPTY = frozenset({"", "null", "none", "n/a", "unknown"})
_TRAILING_COMMA = re.compile(r",\s*[}\]]")
_AFTER_STRING = re.compile(r"\s*(?:[,:}\]]|\Z)")
_ESCAPES = frozenset('"\\/bfnrtu')
_THINK = re.compile(r"<think>.*?</think>", re.S | re.I)

def clean(value: object, sep: str = ", ") -> str:
    """A model's value as text: numbers as written, lists joined, placeholders and null as ""."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return sep.join(part for part in (clean(v) for v in value) if part)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {v}" for k, v in ((k, clean(v)) for k, v in value.items()) if v)
    text = str(value).strip()
    return "" if text.lower() in _EMPTY else text


def key_of(key: object) -> str:
    """A model's key in our spelling: "Due Date" → "due_date"."""
    return str(key).strip().lower().replace(" ", "_").replace("-", "_")


def doc_type(value: object) -> str:
    """One of DOC_TYPES; anything unrecognised is "other"."""
    kind = key_of(clean(value))
    kind = _DOC_SYNONYMS.get(kind, kind)
    return kind if kind in FIELDS else "other"


def clean_fields(obj: dict[str, object], kind: str) -> dict[str, str]:
    """Non-empty fields, the type's keys first in FIELDS order, extra keys after in the model's order."""
    raw = obj.get("fields")
    if not isinstance(raw, dict):
        raw = {k: v for k, v in obj.items() if key_of(k) not in _NOT_FIELDS}
    found = {key_of(k): clean(v) for k, v in raw.items()}
    ordered = {k: found[k] for k in FIELDS[kind] if found.get(k)}
    ordered.update((k, v) for k, v in found.items() if v and k not in ordered)
    return ordered


def clean_items(raw: object) -> tuple[dict[str, str], ...]:
    """Line items as {name, quantity, price, total} with only non-empty values; non-dicts dropped."""
    items = []
    for entry in raw if isinstance(raw, list) else ():
        if not isinstance(entry, dict):
            continue
        values = {key_of(k): v for k, v in entry.items()}
        item = {}
        for key, names in _ITEM_SYNONYMS.items():
            text = next((t for t in (clean(values.get(n)) for n in names) if t), "")
            if text:
                item[key] = text
        if item:
            items.append(item)
    return tuple(items)


def without_reasoning(answer: str) -> str:
    """The answer without reasoning: closed <think> blocks, a head ended by a stray </think>, an unclosed tail."""
    text = _THINK.sub("", answer)
    if "</think>" in text:  # the chat template opened <think> itself
        text = text.rsplit("</think>", 1)[1]
    return text.split("<think>", 1)[0].strip()


def string_end(src: str, start: int) -> int:
    """Index of the quote closing the string opened at `start`, or len(src) when the answer ends inside it."""
    quote, i = src[start], start + 1
    while i < len(src):
        if src[i] == "\\":
            i += 2
            continue
        # A quote not followed by , : } ] is part of the text: "ТОВ "Сільпо"" or 'М'ясо' as models write them.
        if src[i] == quote and _AFTER_STRING.match(src, i + 1):
            return i
        i += 1
    return len(src)


def loads(src: str) -> object:
    """json.loads keeping numbers as written; retried with stray quotes, single quotes and trailing commas fixed."""
    for attempt in (src, _tidy(src)):
        try:
            # strict=False: models put raw line breaks inside "text".
            return json.loads(attempt, strict=False, parse_float=str, parse_int=str)
        except ValueError:
            pass
    return None


def _tidy(src: str) -> str:
    """Rewrite every string as a proper JSON string and drop trailing commas; nothing inside strings else changes."""
    out: list[str] = []
    i = 0
    while i < len(src):
        if src[i] in "\"'":
            end = string_end(src, i)
            out.append(_json_string(src[i + 1:end]))
            i = end + 1
        elif _TRAILING_COMMA.match(src, i):
            i += 1
        else:
            out.append(src[i])
            i += 1
    return "".join(out)


def _json_string(body: str) -> str:
    """A string's raw body as a JSON string: bare double quotes escaped, \\' made a plain apostrophe."""
    out: list[str] = []
    i = 0
    while i < len(body):
        pair = body[i:i + 2]
        if pair[0] == "\\" and len(pair) == 2:
            # \' is not JSON; nor is \d and the like, which a model means literally.
            out.append("'" if pair == "\\'" else pair if pair[1] in _ESCAPES else "\\" + pair)
            i += 2
            continue
        out.append({'"': '\\"', "\\": "\\\\"}.get(pair[0], pair[0]))
        i += 1
    return '"' + "".join(out) + '"'
