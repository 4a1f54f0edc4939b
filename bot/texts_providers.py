"""The providers feature's sentences, in Ukrainian and English (merged into bot.texts.TEXTS)."""
from __future__ import annotations

PROVIDERS_TEXTS: dict[str, dict[str, str]] = {
    "uk": {
    },
    "en": {
    },
}
