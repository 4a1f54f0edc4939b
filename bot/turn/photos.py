"""The photo part of a turn: images of the message, the recent photo a follow-up is about, OCR output."""
from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from agents.agent import Agent, AgentInput, Turn
from bot.turn.media import MediaError, MediaSource
from bot.turn.sink import ReplySink
from router.errors import AllTargetsFailed, ProviderError
from router.types import Image, Usage
from storage.store import Inbound
from storage.store import Turn as StoredTurn
from vision import local_ocr, ocr

if TYPE_CHECKING:
    from agents.persona import Persona

log = logging.getLogger(__name__)
FOLLOW_UP_TURNS = 6  # a photo stays in view for the next three exchanges (or until /reset)


def agent_turns(turns: Sequence[StoredTurn]) -> list[Turn]:
    """History as the agent sees it; a photo turn that lost its caption still says it was a photo."""
    return [Turn(x.role, x.text or ("[photo]" if x.attachments else "")) for x in turns]


async def images_for(media: MediaSource | None, inbound: Inbound,
                     turns: Sequence[StoredTurn], history: list[Turn]) -> tuple[Image, ...]:
    """The message's own images (MediaError if unusable); else the recent photo goes back into history."""
    if inbound.attachments:
        if media is None:
            raise MediaError("download_failed", "no media source")
        return await media.load(inbound.scope.bot, inbound.attachments)
    if media is None or inbound.mode == "ocr":
        return ()
    for i in range(len(turns) - 1, max(-1, len(turns) - 1 - FOLLOW_UP_TURNS), -1):
        if turns[i].attachments:
            try:
                history[i] = Turn("user", history[i].text, await media.load(inbound.scope.bot, turns[i].attachments))
            except MediaError as exc:  # e.g. the file id expired: answer the words alone
                log.info("earlier photo unavailable for a follow-up: %s", exc)
            break
    return ()


def only_capability_failures(exc: AllTargetsFailed) -> bool:
    """Every target was skipped because it cannot see images (no vision model configured or up)."""
    return bool(exc.errors) and all(e.kind == "capability" for e in exc.errors)


async def deliver_ocr(sink: ReplySink, answer: str, lang: str) -> str:
    """Show the recognised text and fields, attach result.json and result.csv; returns what was shown."""
    result = ocr.parse(answer)
    shown = ocr.render(result, lang)
    await sink.finish(shown)
    if result.text or result.fields:
        await sink.attach(ocr.attachments(result))
    return shown


async def read_locally(agent: Agent, persona: Persona, data: AgentInput) -> tuple[str, str, str, Usage | None] | None:
    """No vision model answered: tesseract reads the page here and the chat model sorts the text into fields.

    Returns the answer (JSON, as a vision model gives it), provider, model and usage; None without tesseract.
    """
    if not data.images or not local_ocr.available():
        return None
    reads = [await asyncio.to_thread(local_ocr.read_text, image.data) for image in data.images]
    found = "\n\n".join(r.text for r in reads if r.text)
    plain = json.dumps({"document_type": "other", "text": found}, ensure_ascii=False)  # the text, no fields
    if not found:
        return plain, "tesseract", "local", None
    answer, provider, model, usage = "", "tesseract", "local", None
    try:
        async for delta in agent.stream(persona, replace(data, mode="ocr_text", document_text=found, images=())):
            answer += delta.text
            if delta.usage is not None:
                provider, model, usage = delta.provider, delta.model, delta.usage
    except ProviderError as exc:  # no model to sort it: the user still gets the text itself
        log.info("no model to structure the local OCR text: %s", exc)
        return plain, "tesseract", "local", None
    result = ocr.parse(answer)
    return (answer if result.fields or result.text else plain), provider, model, usage
