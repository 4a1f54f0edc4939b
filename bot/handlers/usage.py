"""/usage: a user's own use of the models today, against their daily quota."""
from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message

from agents.persona import AgentsConfig
from bot.filters.message import IsCommand
from bot.views.usage import usage_report
from i18n import Translator
from ops.search_use import SearchUse
from ops.voice_use import VoiceUse
from router.quotas import UsageGuard
from storage.usage import UsageLedger


async def usage(message: Message, personas: AgentsConfig, usage_guard: UsageGuard | None,
                ledger: UsageLedger | None, tr: Translator, search_use: SearchUse | None = None,
                voice_use: VoiceUse | None = None) -> None:
    """Today's requests, tokens and cost per agent, the quota and when it resets; today's web searches and voice."""
    if usage_guard is None or ledger is None or message.from_user is None:
        await message.answer(tr("usage_off"))
        return
    names = {p.key: f"{p.emoji} {p.name}".strip() for p in personas.agents.values()}
    await message.answer(await usage_report(usage_guard, ledger, message.from_user.id, tr.lang, names, search_use,
                                            voice_use))


def router() -> Router:
    """The /usage command."""
    r = Router(name="usage")
    r.message.register(usage, Command("usage"), IsCommand())
    return r
