"""/kb: documents sent in chat become the chat's knowledge base; list, delete, search, files on/off."""
from __future__ import annotations

import logging
import time

from aiogram import Router
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import Message

from agents.persona import AgentsConfig
from bot.filters.admin import GroupAdmin
from bot.filters.message import FromHuman, IsDocument
from bot.flows.states import KbAdd, begin
from bot.turn.context import BotProfile, active_persona, for_us, scope_of
from bot.turn.file_limits import FileLimits, over
from bot.views.knowledge import document_list, progress_text, search_results, stored_text
from i18n import Translator
from rag.knowledge import Asker, KnowledgeBase, chat_scope, collection_scope, persona_scopes
from rag.types import ExtractError
from storage.store import Store

log = logging.getLogger(__name__)
PROGRESS_EVERY = 1.0  # seconds between edits of the progress message (Telegram's pace for one chat)


async def kb_command(message: Message, command: CommandObject, kb: KnowledgeBase | None, state: FSMContext,
                     store: Store, personas: AgentsConfig, profile: BotProfile, file_limits: FileLimits,
                     tr: Translator) -> None:
    """`/kb`, `/kb add`, `/kb delete N`, `/kb search QUERY`, `/kb files on|off`."""
    lang, scope = tr.lang, scope_of(message, profile)
    if kb is None:
        await message.answer(tr("kb_off"))
        return
    verb, _, rest = (command.args or "").strip().partition(" ")
    verb, rest = verb.lower(), rest.strip()
    # A file sent with `/kb add` (or `/kb`) as its caption, or `/kb add` as a reply to one: that file is the one
    # to add (the Command filter reads captions too, so this handler sees such a file before on_document).
    if (attached := _attached(message, verb)) is not None:
        await state.clear()
        await _ingest(attached, kb, store, profile, file_limits.document, tr)
        return
    persona, _ = await active_persona(store, personas, profile, scope)
    scopes = [chat_scope(scope.bot, scope.chat_id, scope.thread_id), *persona_scopes(persona.key, persona.knowledge)]
    if verb == "":
        collections = {name: await kb.documents([collection_scope(name)]) for name in persona.knowledge}
        await message.answer(document_list(await kb.documents(scopes[:1]), await kb.documents(scopes[1:2]),
                                           persona.name, lang, collections))
    elif verb == "add":
        await begin(state, KbAdd.file)
        await message.answer(tr("kb_send_file", mb=file_limits.document))
    elif verb == "files" and rest.lower() in ("on", "off"):
        if not await GroupAdmin()(message):
            await message.answer(tr("kb_admins_only"))
            return
        flags = await store.set_chat_flags(scope, message.chat.type, kb_files=rest.lower() == "on")
        await message.answer(tr("kb_files_on" if flags.kb_files else "kb_files_off"))
    elif verb == "delete" and rest.isdigit():
        await _delete(message, kb, int(rest), scopes[:1], tr)  # an agent's base is curated by admins on the server
    elif verb == "search" and rest:
        asker = Asker(agent=persona.key, user_id=message.from_user.id if message.from_user else 0,
                      chat_id=scope.chat_id, bot=scope.bot, local_only=(await store.chat_state(scope)).local_only)
        await message.answer(search_results(await kb.search(rest, scopes, asker, limit=5, threshold=0.0), lang))
    else:
        await message.answer(tr("kb_usage"))


def _attached(message: Message, verb: str) -> Message | None:
    """The message whose document `/kb add` means: this one (the command is its caption), or the one it replies to."""
    if verb not in ("", "add"):
        return None
    if message.document is not None:
        return message
    replied = message.reply_to_message
    return replied if verb == "add" and replied is not None and replied.document is not None else None


async def _delete(message: Message, kb: KnowledgeBase, number: int, scopes: list[str], tr: Translator) -> None:
    doc = next((d for d in await kb.documents(scopes) if d.id == number), None)
    if doc is None:
        await message.answer(tr("kb_no_such", n=number))
        return
    sender = message.from_user.id if message.from_user else None
    if doc.added_by != sender and not await GroupAdmin()(message):
        await message.answer(tr("kb_not_yours"))
        return
    await kb.delete(number, scopes)
    await message.answer(tr("kb_deleted", n=number, name=doc.file_name))


async def requested_document(message: Message, kb: KnowledgeBase | None, state: FSMContext, store: Store,
                             profile: BotProfile, file_limits: FileLimits, tr: Translator) -> None:
    """The file `/kb add` asked for: the step is used up, the file goes to the base."""
    await state.clear()
    await _ingest(message, kb, store, profile, file_limits.document, tr)


async def on_document(message: Message, kb: KnowledgeBase | None, store: Store, personas: AgentsConfig,
                      profile: BotProfile, file_limits: FileLimits, tr: Translator) -> None:
    """A file nobody asked for: to the base when its caption says `/kb` or the chat has `/kb files on`."""
    scope = scope_of(message, profile)
    caption = (message.caption or "").strip().lower()
    if caption.startswith("/kb") or (await store.chat_state(scope)).kb_files:
        await _ingest(message, kb, store, profile, file_limits.document, tr)
    elif message.chat.type == "private" or for_us(message, profile, personas, message.caption or "") is not None:
        await message.reply(tr("kb_hint"))


async def _ingest(message: Message, kb: KnowledgeBase | None, store: Store, profile: BotProfile, mb: int,
                  tr: Translator) -> None:
    """Download the file (at most `mb` megabytes) and add it to the chat's base, showing progress in one edited
    message."""
    lang, scope = tr.lang, scope_of(message, profile)
    if kb is None:
        await message.reply(tr("kb_off"))
        return
    doc = message.document
    if doc is None:
        return  # IsDocument lets only files through
    name = doc.file_name or "document"
    if over(doc.file_size, mb):  # refused from what Telegram says, before any download
        await message.reply(tr("kb_too_large", mb=mb))
        return
    status = await message.reply(progress_text("extracting", 0, 0, name, lang))
    last = time.monotonic()

    async def progress(stage: str, done: int, total: int) -> None:
        nonlocal last
        if time.monotonic() - last < PROGRESS_EVERY:
            return  # the final summary replaces it anyway
        last = time.monotonic()
        await _edit(status, progress_text(stage, done, total, name, lang))

    try:
        data = await _download(message, doc.file_id)
        result = await kb.ingest(data, name, doc.mime_type, scope=chat_scope(scope.bot, scope.chat_id, scope.thread_id),
                                 asker=Asker(user_id=message.from_user.id if message.from_user else 0,
                                             chat_id=scope.chat_id, bot=scope.bot,
                                             local_only=(await store.chat_state(scope)).local_only),
                                 progress=progress)
        await _edit(status, stored_text(result, lang))
    except ExtractError as exc:
        log.info("document %r refused: %s", name, exc)
        # too_large from a file within the byte cap: its inside is too much (pages, markup), not its size.
        inside = exc.reason == "too_large" and not over(doc.file_size, mb)
        await _edit(status, tr("kb_too_long" if inside else f"kb_{exc.reason}", mb=mb))
    except TelegramAPIError as exc:
        log.warning("could not download %r: %s", name, exc)
        await _edit(status, tr("kb_too_large" if "too big" in str(exc).lower() else "kb_download_failed", mb=mb))
    except Exception:
        log.exception("ingest of %r failed", name)
        await _edit(status, tr("internal"))


async def _download(message: Message, file_id: str) -> bytes:
    if message.bot is None:  # an update from the dispatcher always carries its bot
        raise ValueError("a message not bound to a bot")
    file = await message.bot.get_file(file_id)
    if not file.file_path:  # Telegram gives a path to every file it lets a bot download
        raise ValueError("getFile returned no path")
    data = await message.bot.download_file(file.file_path)
    return data.read() if data is not None else b""


async def _edit(status: Message, text: str) -> None:
    try:
        await status.edit_text(text)
    except TelegramBadRequest as exc:  # "message is not modified" or deleted by the user: nothing to fix
        log.debug("progress edit skipped: %s", exc)


def router() -> Router:
    """`/kb` and files for the knowledge base."""
    r = Router(name="knowledge")
    r.message.filter(FromHuman())
    r.message(Command("kb"))(kb_command)
    r.message(IsDocument(), StateFilter(KbAdd.file))(requested_document)
    r.message(IsDocument())(on_document)
    return r
