"""The one language resolver: a Telegram language code → the catalog folder its user reads."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path

import yaml

LOCALES = Path(__file__).parent / "locales"
CONFIG = LOCALES / "languages.yaml"


@dataclass(frozen=True, slots=True)
class Languages:
    """Catalog folders found on disk and the rule from languages.yaml that maps other codes onto them."""

    available: tuple[str, ...]
    default: str
    other: str
    fallbacks: dict[str, str] = field(default_factory=dict)

    def resolve(self, code: str | None) -> str:
        """The catalog language for `code` ("uk", "en-US", "pt_BR"); no code means the default language."""
        if not code:
            return self.default
        base = code.replace("_", "-").split("-")[0].strip().lower()
        if base in self.available:
            return base
        return self.fallbacks.get(base, self.other)


def load(locales: Path = LOCALES) -> Languages:
    """Folders with .ftl files under `locales`, checked against its languages.yaml."""
    config = locales / CONFIG.name
    raw = yaml.safe_load(config.read_text(encoding="utf-8")) or {}
    if not isinstance(raw, dict):
        raise ValueError(f"{config}: expected keys default, fallbacks and other")
    available = tuple(sorted(p.name for p in locales.iterdir() if p.is_dir() and any(p.glob("*.ftl"))))
    fallbacks = {str(k).lower(): str(v) for k, v in (raw.get("fallbacks") or {}).items()}
    langs = Languages(available, str(raw.get("default", "")), str(raw.get("other", "")), fallbacks)
    named = {"default": langs.default, "other": langs.other} | {f"fallbacks.{k}": v for k, v in fallbacks.items()}
    for key, lang in named.items():
        if lang not in available:
            raise ValueError(f"{config}: {key} is {lang!r}, but there is no folder {locales / lang} with .ftl files "
                             f"(languages found: {', '.join(available) or 'none'})")
    return langs


@cache
def languages() -> Languages:
    """The languages of the shipped catalogs (read once)."""
    return load()


@lru_cache(maxsize=512)
def resolve(code: str | None) -> str:
    """The catalog language for a Telegram language code: the only place that decides it."""
    return languages().resolve(code)
