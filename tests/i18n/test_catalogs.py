"""The catalogs: every language has every message with the same $placeholders and the plural forms it needs,
and every message the code asks for exists."""
from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel import Locale
from fluent.syntax import ast as ftl
from fluent.syntax.visitor import Visitor

from i18n import languages
from i18n.translator import files, parse

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "ops", "agents", "vision", "rag", "router", "storage")  # i18n itself passes keys through
LANGS = languages().available
CATEGORIES = {"zero", "one", "two", "few", "many", "other"}

# Keys the code builds at run time (f"prefix{x}"): every prefix the code uses must be here, with every key it
# can become. A new reason, section or command means a new line here and a message in every language.
DYNAMIC: dict[str, tuple[str, ...]] = {
    "adm_btn_": ("stats", "providers", "users", "kb", "broadcast", "reload"),
    "access_": ("banned", "private", "group"),
    "image_": ("not_image", "corrupt", "too_many_pixels", "too_large", "empty", "download_failed", "missing"),
    "kb_": ("unsupported", "empty", "too_large", "no_text", "bomb", "corrupt", "encrypted", "encoding"),
    "kb_stage_": ("extracting", "chunking", "embedding", "storing"),
    "prov_circuit_": ("closed", "open", "half_open"),
    "prov_": ("unknown_provider", "unknown_target", "unknown_agent", "bad_target"),
    "bc_aud_": ("all", "users", "groups", "agent"),
    "rem_err_": ("when", "date", "past", "far", "empty", "long", "limit"),
    "cmd_": ("admin", "agent", "reset", "memory", "whoami", "usage", "handoff", "privacy", "ocr", "voice", "transcribe",
             "kb", "search", "remind", "reminders", "tz", "forget", "help"),
    # bot/turn/voice.py: a download's MediaError reason or voice.probe's AudioRejected reason
    "voice_": ("too_large", "download_failed", "missing", "empty", "not_audio", "unsupported", "too_long"),
    "ocr_doc_": ("receipt", "invoice", "food_label", "other"),
    "ocr_field_": ("date", "time", "seller", "seller_tax_id", "total", "currency", "payment_method", "number", "buyer",
                   "due_date", "product", "producer", "batch", "production_date", "expiry", "weight", "ingredients",
                   "storage", "title"),
}


class _Parts(Visitor):
    """$variables and the plural selectors of one message."""

    def __init__(self) -> None:
        super().__init__()
        self.variables: set[str] = set()
        self.selects: list[set[str]] = []

    def visit_VariableReference(self, node: ftl.VariableReference) -> None:
        self.variables.add(node.id.name)

    def visit_SelectExpression(self, node: ftl.SelectExpression) -> None:
        self.selects.append({v.key.name for v in node.variants if isinstance(v.key, ftl.Identifier)})
        self.generic_visit(node)


def messages(lang: str) -> dict[str, _Parts]:
    found: dict[str, _Parts] = {}
    for path in files(lang):
        for entry in parse(path).body:
            if isinstance(entry, ftl.Message):
                parts = _Parts()
                parts.visit(entry)
                found[entry.id.name] = parts
    return found


CATALOGS = {lang: messages(lang) for lang in LANGS}
DEFAULT = languages().default


def test_the_shipped_languages() -> None:
    assert set(LANGS) >= {"uk", "en"} and len(CATALOGS[DEFAULT]) > 250


@pytest.mark.parametrize("lang", [lang for lang in LANGS if lang != DEFAULT])
def test_every_language_has_every_message(lang: str) -> None:
    missing, extra = set(CATALOGS[DEFAULT]) - set(CATALOGS[lang]), set(CATALOGS[lang]) - set(CATALOGS[DEFAULT])
    assert not missing, f"{lang} lacks {sorted(missing)}"
    assert not extra, f"only {lang} has {sorted(extra)}"


@pytest.mark.parametrize("lang", [lang for lang in LANGS if lang != DEFAULT])
def test_placeholders_are_the_same_in_every_language(lang: str) -> None:
    differ = {key: (sorted(parts.variables), sorted(CATALOGS[lang][key].variables))
              for key, parts in CATALOGS[DEFAULT].items()
              if key in CATALOGS[lang] and parts.variables != CATALOGS[lang][key].variables}
    assert not differ, f"{DEFAULT} vs {lang}: {differ}"


@pytest.mark.parametrize("lang", LANGS)
def test_plural_messages_have_every_category_the_language_needs(lang: str) -> None:
    needed = set(Locale.parse(lang).plural_form.tags) | {"other"}
    plurals = 0
    for key, parts in CATALOGS[lang].items():
        for variants in parts.selects:
            if variants & CATEGORIES:
                plurals += 1
                assert needed <= variants, f"{lang} {key}: {sorted(needed - variants)} missing"
    assert plurals > 30


def _key_args(call: ast.Call) -> Iterator[ast.expr]:
    """The argument of a translator call that names the message."""
    func = call.func
    if isinstance(func, ast.Name) and func.id == "tr" and call.args:
        yield call.args[0]
    elif isinstance(func, ast.Attribute) and func.attr in ("get", "has") and isinstance(func.value, ast.Name) \
            and func.value.id == "tr" and call.args:
        yield call.args[0]
    elif isinstance(func, ast.Name) and func.id == "t" and len(call.args) >= 2:
        yield call.args[1]
    elif isinstance(func, ast.Call) and isinstance(func.func, ast.Name) and func.func.id == "translator" and call.args:
        yield call.args[0]


def _keys(node: ast.expr, where: str) -> Iterator[tuple[str, str]]:
    """(key, where) for each message a key expression can name; f-strings through DYNAMIC."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.value, where
    elif isinstance(node, ast.IfExp):
        yield from _keys(node.body, where)
        yield from _keys(node.orelse, where)
    elif isinstance(node, ast.Subscript) and isinstance(node.value, ast.Tuple):
        for item in node.value.elts:
            yield from _keys(item, where)
    elif isinstance(node, ast.JoinedStr) and isinstance(node.values[0], ast.Constant):
        prefix = str(node.values[0].value)
        assert prefix in DYNAMIC, f"{where}: a key built from {prefix!r}… — list what it can become in DYNAMIC"
        yield from ((prefix + suffix, where) for suffix in DYNAMIC[prefix])
    else:
        raise AssertionError(f"{where}: a message key the test cannot read ({ast.unparse(node)}); use a literal")


def used_keys() -> list[tuple[str, str]]:
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.Call):
                    for arg in _key_args(node):
                        found += _keys(arg, f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_every_message_the_code_asks_for_exists() -> None:
    used = used_keys()
    assert len({key for key, _ in used}) > 200, "the scan found too few keys: has the translator call changed?"
    for lang in LANGS:
        missing = [f"{where}: {key}" for key, where in used if key not in CATALOGS[lang]]
        assert not missing, f"{lang} has no message for:\n" + "\n".join(missing)
