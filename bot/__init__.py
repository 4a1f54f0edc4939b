"""The Telegram front end (the only package that imports aiogram) and the console."""
from bot.lazy_types import install as _lazy_aiogram_types

_lazy_aiogram_types()
