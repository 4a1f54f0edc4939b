"""A scripted stand-in for agents.search's WebResearch, for bot tests that are about the bot's side of a search."""
from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from agents.search.types import SearchAnswer, Source
from bot.turn.search import SearchStack

NBU = Source(1, "НБУ: офіційний курс гривні", "https://bank.gov.ua/ua/markets/exchangerates")
MINFIN = Source(2, "Мінфін — курс валют", "https://minfin.com.ua/currency/")
STATUS = re.compile(r"(🔎 (Шукаю|Searching)|📖 (Читаю|Reading) .+|✍️ (Пишу відповідь|Writing the answer))…")
ANSWER = "Офіційний курс — 41,50 грн за долар [1], на міжбанку близько 41,70 [2]."


@dataclass
class FakeResearch:
    """Reports the three stages (`pause` apart), calls on_use like web/ does, then answers or raises."""

    text: str = ANSWER
    sources: tuple[Source, ...] = (NBU, MINFIN)
    partial: bool = False
    pause: float = 0.0
    error: BaseException | None = None
    hang: bool = False
    on_use: Callable[[str, str, bool, float], Awaitable[None] | None] | None = None
    calls: list[dict[str, Any]] = field(default_factory=list)
    started: asyncio.Event = field(default_factory=asyncio.Event)

    async def answer(self, question: str, persona: Any, *, language: str, user_id: int, chat_id: int, bot: str,
                     local_only: bool, progress: Any = None, crew: bool = True) -> SearchAnswer:
        self.calls.append(dict(question=question, persona=persona.key, language=language, user_id=user_id,
                               chat_id=chat_id, bot=bot, local_only=local_only, crew=crew))
        self.started.set()
        if self.hang:
            await asyncio.Event().wait()
        for stage, n in (("searching", 0), ("reading", len(self.sources)), ("writing", 0)):
            if progress is not None:
                await progress(stage, n)
            if stage == "searching" and self.on_use is not None:
                self.on_use("search", "searxng", True, 12.0)
            if stage == "reading" and self.on_use is not None:
                for source in self.sources:
                    self.on_use("read", source.url.split("/")[2], True, 30.0)
                self.on_use("read", "127.0.0.1", False, 1.0)  # one page refused (a private address)
            await asyncio.sleep(self.pause)
        if self.error is not None:
            raise self.error
        return SearchAnswer(text=self.text, sources=self.sources, partial=self.partial, path="plain", model_calls=1,
                            tokens_in=120, tokens_out=40)


def use_fake(bot: Any, research: FakeResearch | None = None, *, has_local: bool = False) -> FakeResearch:
    """Make the running bot search through `research` (call before the first await in the test)."""
    research = research or FakeResearch()
    research.on_use = bot.services.search_use.on_use
    turn = bot.services.conversations.search

    async def build() -> SearchStack:
        return SearchStack(research, has_local)
    turn.build = build
    return research
