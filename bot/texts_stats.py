"""The stats feature's sentences, in Ukrainian and English (merged into bot.texts.TEXTS)."""
from __future__ import annotations

STATS_TEXTS: dict[str, dict[str, str]] = {
    "uk": {
    },
    "en": {
    },
}
