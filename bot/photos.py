"""The photo part of a turn: images of the message, the recent photo a follow-up is about, OCR output."""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Sequence

from agents.agent import Turn
from bot.media import MediaError, MediaSource
from router.errors import AllTargetsFailed
from router.types import Image
from storage.store import Inbound
from storage.store import Turn as StoredTurn
from vision import ocr

if TYPE_CHECKING:
    from bot.conversation import ReplySink

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


async def deliver_ocr(sink: "ReplySink", answer: str, lang: str) -> str:
    """Show the recognised text and fields, attach result.json and result.csv; returns what was shown."""
    result = ocr.parse(answer)
    shown = ocr.render(result, lang)
    await sink.finish(shown)
    if result.text or result.fields:
        await sink.attach(ocr.attachments(result))
    return shown
