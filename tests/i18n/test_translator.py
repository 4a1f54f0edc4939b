"""The one language resolver, real plural forms, numbers printed as before, and a third language by folder."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from i18n import Grouped, languages, resolve, t, translator
from i18n.languages import LOCALES, load
from i18n.translator import CatalogError


@pytest.mark.parametrize(("code", "lang"), [
    (None, "uk"), ("", "uk"), ("uk", "uk"), ("uk-UA", "uk"), ("ru", "uk"), ("be", "uk"), ("RU", "uk"),
    ("en", "en"), ("en-US", "en"), ("EN_gb", "en"), ("de", "en"), ("pt-br", "en"), ("zh-hans", "en"),
])
def test_one_resolver_ru_and_be_read_ukrainian_others_english(code: str | None, lang: str) -> None:
    assert resolve(code) == lang and translator(code).lang == lang


def test_the_fallbacks_are_configuration_not_code() -> None:
    langs = languages()
    assert (langs.default, langs.other, langs.fallbacks) == ("uk", "en", {"ru": "uk", "be": "uk"})
    assert "ru" in (LOCALES / "languages.yaml").read_text()


@pytest.mark.parametrize(("n", "tokens", "seconds", "chats"), [
    (1, "1 токен", "1 секунду", "1 чат"), (2, "2 токени", "2 секунди", "2 чати"),
    (5, "5 токенів", "5 секунд", "5 чатів"),
    (21, "21 токен", "21 секунду", "21 чат"), (11, "11 токенів", "11 секунд", "11 чатів"),
    (22, "22 токени", "22 секунди", "22 чати"), (0, "0 токенів", "0 секунд", "0 чатів"),
])
def test_ukrainian_plural_forms(n: int, tokens: str, seconds: str, chats: str) -> None:
    uk = translator("uk")
    assert uk("n_tokens", n=n) == tokens and uk("seconds", n=n) == seconds
    assert uk("bc_preview", audience="усім", n=n, text="x").startswith(f"Розсилка — усім: {chats}.")


@pytest.mark.parametrize(("n", "tokens", "minutes"), [(1, "1 token", "1 minute"), (2, "2 tokens", "2 minutes"),
                                                     (5, "5 tokens", "5 minutes"), (21, "21 tokens", "21 minutes")])
def test_english_plural_forms(n: int, tokens: str, minutes: str) -> None:
    en = translator("en")
    assert en("n_tokens", n=n) == tokens and en("minutes", n=n) == minutes


def test_numbers_print_as_python_prints_them_and_counts_as_the_bot_groups_them() -> None:
    uk, en = translator("uk"), translator("en")
    who = uk("whoami", user="Олена", user_id=123456789, chat_id=-1001234567890, chat_type="supergroup", thread="",
             agent="Helion")
    assert "(id 123456789)" in who and "-1001234567890" in who  # no locale grouping in ids
    assert en("n_tokens", n=Grouped(1234567)) == "1 234 567 tokens" and en("n_tokens", n=1) == "1 token"
    assert uk("kb_stored", id=7, name="a.pdf", pages=3, chunks=12, seconds="1.5", sparse="").count("1.5 с") == 1
    assert uk("stat_ms", n=2026) == "2026 мс"


def test_no_isolation_marks_and_long_arguments_pass_whole() -> None:
    text = "ж" * 4000  # a broadcast may be up to 4096 characters; Fluent alone refuses placeables over 2,500
    shown = translator("uk")("bc_preview", audience="усім", n=3, text=text)
    assert text in shown and "\u2068" not in shown and "\u2069" not in shown


def test_a_missing_message_or_argument_is_an_error_not_a_silent_gap() -> None:
    with pytest.raises(CatalogError, match="no_such_key"):
        t("uk", "no_such_key")
    with pytest.raises(CatalogError, match="limit"):
        t("en", "too_long", length=5)


def test_a_third_language_is_a_folder_of_catalogs(tmp_path: Path) -> None:
    shutil.copytree(LOCALES, tmp_path / "locales")
    shutil.copytree(tmp_path / "locales" / "en", tmp_path / "locales" / "pl")
    langs = load(tmp_path / "locales")
    assert langs.available == ("en", "pl", "uk")
    assert (langs.resolve("pl-PL"), langs.resolve("ru"), langs.resolve("de")) == ("pl", "uk", "en")


def test_languages_yaml_naming_a_missing_folder_says_which(tmp_path: Path) -> None:
    shutil.copytree(LOCALES, tmp_path / "locales")
    config = tmp_path / "locales" / "languages.yaml"
    config.write_text(config.read_text().replace("ru: uk", "ru: xx"))
    with pytest.raises(ValueError, match="fallbacks.ru is 'xx'"):
        load(tmp_path / "locales")
