"""WebResearch: the crew first, one stricter retry, then the plain path; whatever happens, within the deadline."""
from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING

from agents.agent import language_name
from agents.search import guards, load, plain
from agents.search.run import Reader, Searcher, SearchRun
from agents.search.types import Progress, SearchAnswer, SearchTimeout
from web.errors import NoLocalBackend

if TYPE_CHECKING:
    from agents.persona import Persona
    from router.core import ModelRouter

log = logging.getLogger(__name__)
WRITE_RESERVE = 0.25  # of the deadline, kept for one model call over the pages read when the crew runs late
MIN_WRITE = 1.0  # seconds: with less left, a late search shows its sources alone


class WebResearch:
    """Answers a question from the web as a persona: CrewAI's researcher and writer over our router and web/."""

    def __init__(self, router: ModelRouter, web: Searcher, reader: Reader, *, data_dir: Path,
                 deadline: float = 60.0, max_pages: int = 3) -> None:
        self.router, self.web, self.reader = router, web, reader
        self.data_dir, self.deadline, self.max_pages = data_dir, deadline, max_pages

    async def answer(self, question: str, persona: Persona, *, language: str, user_id: int, chat_id: int, bot: str,
                     local_only: bool, progress: Progress | None = None, chat: str = "private",
                     crew: bool = True) -> SearchAnswer:
        """The persona's cited answer; partial past the deadline; SearchTimeout, NothingFound, a router error
        (quota, no model, LocalOnlyUnavailable) or a web error (NoLocalBackend, SearchUnavailable) otherwise.

        `crew=False` takes the plain path alone (search → read → one model call): no CrewAI import, one model call
        instead of about five — what an automatic search inside a chat turn uses (see bench/search.py)."""
        started = time.monotonic()
        ends_at = started + self.deadline
        local_only = local_only or persona.local_only
        if local_only and not self.web.has_local:
            raise NoLocalBackend()  # before any model call: nothing about the question leaves the host
        if crew:
            await load(self.data_dir)  # once per process, in a thread: CrewAI takes seconds to import
        code = language if persona.language.follow_user else persona.language.default
        lang = language_name(code)
        run = SearchRun(router=self.router, web=self.web, reader=self.reader, persona=persona, question=question,
                        language=code, local_only=local_only, user_id=user_id, chat_id=chat_id, bot=bot,
                        max_pages=self.max_pages, crew_ends_at=ends_at - self.deadline * WRITE_RESERVE,
                        progress=progress, chat=chat)
        partial, path = False, "crew"
        try:
            crew_text = await self._crew(run, lang) if crew else None
            if crew_text is not None:
                text = crew_text
            else:
                path = "plain"
                # "" here is the model's unusable output, not the deadline: the sources come alone, not "partial".
                text = await asyncio.wait_for(plain.answer(run, language=lang), max(0.0, ends_at - time.monotonic()))
        except TimeoutError:
            partial, path, text = True, "plain", await self._late(run, lang, ends_at)
        finally:
            run.cancel()  # done, failed or cancelled by the caller: a crew thread still running stops at its next call
        return SearchAnswer(text, run.sources(), partial, path, run.model_calls, run.tokens_in, run.tokens_out,
                            elapsed_ms=(time.monotonic() - started) * 1000, crew_ms=run.crew_time * 1000)

    async def _crew(self, run: SearchRun, lang: str) -> str | None:
        """The crew's answer, retried once with stricter instructions; None when both attempts were no answer."""
        from agents.search import crew  # CrewAI: imported by load(), never at bot start

        for strict in (False, True):
            reason: str | None
            thread = asyncio.ensure_future(asyncio.to_thread(crew.kickoff, run, language=lang, strict=strict))
            thread.add_done_callback(_quiet)
            try:
                raw = await asyncio.wait_for(asyncio.shield(thread), max(0.0, run.crew_ends_at - time.monotonic()))
            except TimeoutError:
                run.cancel()  # its thread ends at its next model or tool call
                raise
            except Exception as exc:  # noqa: BLE001  # whatever broke CrewAI, the guards retry or fall back
                if run.fatal is not None:
                    raise run.fatal from None
                reason = guards.failure(exc)
            else:
                text = guards.clean(raw, len(run.pages))
                reason = guards.non_answer(text) or _unsourced(run)
                if reason is None:
                    return text
                if run.fatal is not None:
                    raise run.fatal
            log.info("search crew attempt %s gave no answer (%s)", "strict" if strict else "first", reason)
        return None

    async def _late(self, run: SearchRun, lang: str, ends_at: float) -> str:
        """Past the crew's share of the deadline: one call over the pages read, or the sources alone."""
        run.cancel()
        if not run.pages:
            raise SearchTimeout(f"no page was read within {self.deadline:.0f} s")
        left = ends_at - time.monotonic()
        if left < MIN_WRITE:
            return ""
        try:
            return await asyncio.wait_for(plain.write(run, language=lang), left)
        except TimeoutError:
            return ""


def _unsourced(run: SearchRun) -> str | None:
    """An answer without a page read cites nothing: why, or None when pages were read."""
    if run.pages:
        return None
    return "repeated_call" if guards.looped(run.tool_calls) else "no_page_read"


def _quiet(future: asyncio.Future[str]) -> None:
    """Collect an abandoned crew thread's outcome so asyncio does not log it as never retrieved."""
    if not future.cancelled():
        future.exception()
