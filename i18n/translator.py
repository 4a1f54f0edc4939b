"""Fluent bundles, one per language (built once), and the Translator that formats a message by its id."""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from fluent.runtime import FluentBundle, FluentResource
from fluent.runtime.resolver import CurrentEnvironment, Pattern, ResolverEnvironment
from fluent.runtime.types import FluentInt, FluentNone, FluentType
from fluent.syntax import ast

from i18n.languages import LOCALES, languages, resolve


class CatalogError(ValueError):
    """A catalog that does not parse, or a message asked for that no catalog has."""


class Grouped(int):
    """A count people read with a space between thousands (12 345); still a number for plural forms."""


class _Int(FluentInt):
    """An int as Python prints it (ids, years: no locale grouping), still a number for plural selectors."""

    def format(self, locale: object) -> str:
        return int.__repr__(self)


class _GroupedInt(_Int):
    def format(self, locale: object) -> str:
        return f"{int(self):,}".replace(",", " ")


class _Text(FluentType, str):
    """A long argument (a broadcast, a config error): Fluent refuses plain strings over 2,500 characters."""

    def format(self, locale: object) -> str:  # type: ignore[override]  # Fluent's format(locale), not str.format
        return self  # still a _Text: the pattern around the placeable checks the length of plain strings only


def _arg(value: object) -> object:
    """Arguments print exactly as str.format printed them; only ints stay numbers, so plural forms can pick."""
    if isinstance(value, str):
        return _Text(value) if len(value) > 2000 else value
    if isinstance(value, int) and not isinstance(value, bool):
        return _GroupedInt(value) if isinstance(value, Grouped) else _Int(value)
    return format(value, "")  # floats, dates, enums: exactly as "{x}".format(x) wrote them


class _Bundle(FluentBundle):
    """A FluentBundle that takes arguments as _arg made them (its own conversion turns _Int back into FluentInt)."""

    def format_pattern(self, pattern: Pattern, args: dict[str, object] | None = None
                       ) -> tuple[str | FluentNone, list[Exception]]:
        errors: list[Exception] = []
        env = ResolverEnvironment(context=self, current=CurrentEnvironment(args=args or {}), errors=errors)
        try:
            return pattern(env), errors
        except ValueError as exc:  # too many parts: the library's own guard
            return "{???}", [*errors, exc]


def files(lang: str, locales: Path = LOCALES) -> list[Path]:
    """Every catalog of a language: all .ftl files in its folder, whoever added them."""
    return sorted((locales / lang).glob("*.ftl"))


def parse(path: Path) -> ast.Resource:
    """One catalog file, refusing syntax errors with their line."""
    text = path.read_text(encoding="utf-8")
    resource = FluentResource(text)
    for entry in resource.body:
        if isinstance(entry, ast.Junk):
            line = text.count("\n", 0, entry.span.start if entry.span else 0) + 1
            notes = "; ".join(str(a.message) for a in entry.annotations)
            raise CatalogError(f"{path}:{line}: not Fluent syntax: {notes}")
    return resource


@cache
def bundle(lang: str) -> FluentBundle:
    """All of a language's catalogs in one bundle; a message id defined twice is an error."""
    out = _Bundle([lang], use_isolating=False)  # no U+2068/U+2069 around placeables: Telegram shows plain text
    seen: dict[str, Path] = {}
    for path in files(lang):
        resource = parse(path)
        for entry in resource.body:
            if isinstance(entry, ast.Message | ast.Term):
                name = ("-" if isinstance(entry, ast.Term) else "") + entry.id.name
                if name in seen:
                    raise CatalogError(f"{path}: {name} is already defined in {seen[name]}")
                seen[name] = path
        out.add_resource(resource)
    return out


@dataclass(frozen=True, slots=True)
class Translator:
    """Messages in one language: `tr("flood", wait=...)`; a message this language lacks comes from the default."""

    lang: str

    def __call__(self, key: str, **kw: object) -> str:
        """The message `key` formatted with `kw`; a missing message or argument is a bug and raises."""
        source = bundle(self.lang)
        if not source.has_message(key):
            source = bundle(languages().default)
            if not source.has_message(key):
                raise CatalogError(f"no catalog has the message {key!r}")
        pattern = source.get_message(key).value
        if pattern is None:
            raise CatalogError(f"the message {key!r} has no value")
        text, errors = source.format_pattern(pattern, {k: _arg(v) for k, v in kw.items()})
        if errors:
            raise CatalogError(f"{self.lang} {key}: {errors[0]}")
        return str(text)

    def has(self, key: str) -> bool:
        """Whether this language (or the default) has the message `key`."""
        return bundle(self.lang).has_message(key) or bundle(languages().default).has_message(key)

    def get(self, key: str, default: str, **kw: object) -> str:
        """The message `key`, or `default` when no catalog has it (labels for keys a model invents)."""
        return self(key, **kw) if self.has(key) else default

    def wait(self, seconds: float) -> str:
        """A wait as people read it: whole seconds rounded up (never 0), whole minutes from two minutes on."""
        n = max(1, math.ceil(seconds))
        return self("seconds", n=n) if n < 120 else self("minutes", n=math.ceil(n / 60))


@cache
def _translator(lang: str) -> Translator:
    return Translator(lang)


def translator(code: str | None) -> Translator:
    """The Translator for a Telegram language code (or an already resolved language)."""
    return _translator(resolve(code))


def t(code: str | None, key: str, **kw: object) -> str:
    """One message in the language `code` resolves to: for code outside handlers that holds a language."""
    return translator(code)(key, **kw)
