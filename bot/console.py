"""Terminal chat through exactly the same agent → router → provider path as Telegram."""
from __future__ import annotations

import asyncio
import re
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from agents.persona import Persona
from bot.services import Services
from bot.turn.media import FileMedia
from bot.turn.memory import new_conversation, shown
from i18n import Translator, translator
from router.ready import first_ready, model_label
from router.types import ChatRequest
from storage.store import Inbound, Scope

CONSOLE = Scope("console", 0, 0)
_CYRILLIC = re.compile(r"[а-яіїєґА-ЯІЇЄҐ]")


class ConsoleSink:
    """Prints tokens as they arrive."""

    def __init__(self, out: TextIO, label: str, lang: str | None = None) -> None:
        self.out, self.label, self._shown = out, label, 0
        self.tr = translator(lang)

    async def start(self) -> None:
        return None

    async def update(self, text: str) -> None:
        if self._shown == 0:
            self.out.write(f"{self.label}: ")
        self.out.write(text[self._shown:])
        self.out.flush()
        self._shown = len(text)

    async def finish(self, text: str) -> None:
        await self.update(text)
        self.out.write("\n")
        self.out.flush()

    async def notify(self, text: str) -> None:
        if self._shown:
            self.out.write("\n")
        self.out.write(f"! {text}\n")
        self.out.flush()

    async def status(self, text: str) -> None:
        if not text:
            return
        self.out.write(f"… {text}\n")  # a terminal cannot edit a line it printed: each stage on its own line
        self.out.flush()

    async def attach(self, files: Sequence[tuple[str, bytes]]) -> None:
        for name, data in files:  # next to where the console runs, numbered so nothing is overwritten
            path = _free_path(Path(name))
            path.write_bytes(data)
            self.out.write(self.tr("console-saved", path=str(path)) + "\n")
        self.out.flush()

    async def voice(self, data: bytes, seconds: float) -> None:
        await self.attach([("answer.ogg", data)])  # a terminal cannot play it: saved beside it, like OCR's files

    async def close(self) -> None:
        return None


def _free_path(path: Path) -> Path:
    n = 1
    while path.exists():
        path, n = path.with_name(f"{path.stem.split('-')[0]}-{n}{path.suffix}"), n + 1
    return path


async def intro(services: Services, persona: Persona, code: str | None) -> str:
    """One line in the language `code` resolves to: which model answers the persona now, and how to get a better one."""
    router, tr = services.router, translator(code)
    target = await first_ready(router, ChatRequest(messages=(), agent=persona.key, task=persona.route,
                                                   local_only=persona.local_only))
    if target is None:
        return tr("console-model-none")
    return tr("console-model-tiny" if router.is_tiny(target) else "console-model", model=model_label(router, target))


async def run_console(services: Services, agent: str | None = None, *, stdin: TextIO = sys.stdin,
                      stdout: TextIO = sys.stdout, notice: TextIO | None = None, language: str | None = None) -> None:
    """Read lines until EOF or /quit; `/agent NAME`, `/reset`, `/memory` and `/help` work as in Telegram.

    The line about which model answers goes to `notice` (stderr), in `language` (the terminal's LANG, e.g.
    uk_UA.UTF-8; unset = English): stdout is the chat.
    """
    store, personas, convs = services.store, services.personas, services.conversations
    convs.media = FileMedia(services.image_limits(), services.file_limits())
    if agent:
        persona = personas.get(agent)
        if persona is None:
            stdout.write(translator("en")("unknown_agent", name=agent, agents=", ".join(personas.agents)) + "\n")
            return
        await store.set_agent(CONSOLE, persona.key, "private")
    first = personas.get((await store.chat_state(CONSOLE)).agent or personas.default_agent) or personas.default
    (notice or sys.stderr).write(await intro(services, first, language or "C") + "\n")
    await convs.recover(lambda inbound: ConsoleSink(stdout, inbound.agent, inbound.language), ["console"])
    interactive = stdin.isatty()
    while True:
        state = await store.chat_state(CONSOLE)
        persona = personas.get(state.agent or personas.default_agent) or personas.default
        if interactive:
            stdout.write("> ")
            stdout.flush()
        line = await asyncio.to_thread(stdin.readline)
        if not line:
            break
        text = line.strip()
        lang = "uk" if _CYRILLIC.search(text) or not text else "en"  # a console has no Telegram language code
        tr = translator(lang)
        if text in ("/quit", "/exit"):
            break
        if text.startswith("/agent"):
            name = text.removeprefix("/agent").strip()
            chosen = personas.get(name) if name else None
            if chosen is None:
                stdout.write(tr("unknown_agent", name=name, agents=", ".join(personas.agents)) + "\n")
            else:
                await store.set_agent(CONSOLE, chosen.key, "private")
                stdout.write(tr("switched", agent=chosen.name, title=chosen.title.get(lang)) + "\n")
            continue
        if (reply := await _plain(services, text, state.conversation, tr)) is not None:
            stdout.write(reply + "\n")
            continue
        attachments: tuple[str, ...] = ()
        mode = "chat"
        if text.startswith(("/photo ", "/ocr ")):  # an image from a local file, the console's "send photo"
            command, _, rest = text.partition(" ")
            words = shlex.split(rest) or [""]
            attachments, mode, text = (words[0],), command[1:].replace("photo", "chat"), " ".join(words[1:])
        elif text.startswith("/voice "):  # a recording from a local file, heard and answered as a voice note
            attachments, mode, text = (" ".join(shlex.split(text.removeprefix("/voice "))),), "voice", ""
        elif text.startswith("/search "):  # an answer from the web with its sources, as /search in Telegram
            mode, text = "search", text.removeprefix("/search ").strip()
        if len(text) > services.settings.max_message_chars:
            stdout.write(tr("too_long", length=len(text), limit=services.settings.max_message_chars) + "\n")
            continue
        inbound = Inbound(scope=CONSOLE, user_id=0, text=text, agent=persona.key,
                          conversation=state.conversation, language=lang, attachments=attachments, mode=mode)
        await convs.handle(inbound, ConsoleSink(stdout, persona.name, lang))


async def _plain(services: Services, text: str, conversation: int, tr: Translator) -> str | None:
    """The reply to /reset, /memory (the conversation's summary, as in Telegram) or /help; None for other lines."""
    mind = services.conversations.memory
    if text == "/reset":
        await new_conversation(services.store, mind, CONSOLE)
        return tr("reset")
    if text == "/memory":
        return await shown(mind, CONSOLE, conversation, tr)
    if text == "/help" or not text:
        return tr("console-help", agents=", ".join(services.personas.agents))
    return None
