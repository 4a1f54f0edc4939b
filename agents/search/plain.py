"""The plain path, no CrewAI: search → read up to max_pages → one model call. The fallback when the crew fails."""
from __future__ import annotations

import logging

from agents.search import guards, prompts
from agents.search.run import SearchRun, malformed_call
from agents.search.types import NothingFound
from router.types import ChatMessage
from web.errors import PageRefused

log = logging.getLogger(__name__)
SPARE_HITS = 3  # results searched beyond max_pages: some pages refuse to be read


async def gather(run: SearchRun) -> None:
    """Search once, read results until `max_pages` pages are read (the crew's count too); NothingFound if none."""
    if len(run.pages) >= run.max_pages:
        return
    await run.report("searching")
    result = await run.web.search(run.question[:300], limit=run.max_pages + SPARE_HITS, language=run.language,
                                  local_only=run.local_only)
    known = {h.url for h in run.hits}
    run.hits.extend(h for h in result.hits if h.url not in known)
    for hit in result.hits:
        if len(run.pages) >= run.max_pages:
            break
        if any(p.url == hit.url for p in run.pages):
            continue
        await run.report("reading", len(run.pages) + 1)
        try:
            page = await run.reader.read(hit.url)
        except PageRefused as exc:
            log.info("page not read (%s): %s", exc.reason, hit.url)
            continue
        if not any(p.url == page.url for p in run.pages):
            run.pages.append(prompts.ReadPage(len(run.pages) + 1, prompts.one_line(page.title or hit.title or page.url),
                                              page.url, page.text))
    if not run.pages:
        raise NothingFound("no result could be read" if result.hits else "no results")


async def write(run: SearchRun, *, language: str, strict: bool = True) -> str:
    """One model call over the pages read: the persona's answer with [n] citations, cleaned ("" if unusable)."""
    persona = run.persona
    system = f"{persona.system_prompt.strip()}\n\nAnswer in {language}."
    task = prompts.write_task(run.question, run.pages, language=language, persona=persona.name, strict=strict)
    request = run.request((ChatMessage("system", system), ChatMessage("user", task)),
                          temperature=persona.temperature, max_tokens=persona.max_tokens)
    try:
        reply = await run.complete(request, stage="writing")
    except Exception as exc:
        if not malformed_call(exc):
            raise
        log.warning("plain search answer: the model's output was unusable (%s); showing the sources alone", exc)
        return ""
    text = guards.clean(reply.text, len(run.pages))
    reason = "tool_calls_in_final" if reply.tool_calls and not text else guards.non_answer(text)
    if reason is not None:
        log.warning("plain search answer unusable (%s); showing the sources alone", reason)
        return ""
    return text


async def answer(run: SearchRun, *, language: str) -> str:
    """The whole plain path; the caller bounds it by the deadline."""
    await gather(run)
    return await write(run, language=language)
