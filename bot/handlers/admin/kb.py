"""Admin: the agents' knowledge bases — list every agent's documents, delete any of them."""
from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery, Message

from bot.handlers.admin.common import Button, Sub, back, lang, reply
from bot.texts import t
from ops.services import Ops
from rag.knowledge import agent_scope


def _scopes(ops: Ops, agent: str | None = None) -> list[str]:
    keys = [agent] if agent and agent in ops.personas.agents else list(ops.personas.agents)
    return [agent_scope(k) for k in keys]


async def listing(event: Message | CallbackQuery, ops: Ops, args: list[str] | None = None) -> None:
    """`/admin kb [agent]` or `/admin kb delete N`: the documents of the agents' bases."""
    lang_ = lang(event)
    args = args or []
    if ops.kb is None:
        await reply(event, t(lang_, "adm_kb_off"))
        return
    if len(args) >= 2 and args[0] in ("delete", "del", "rm") and args[1].lstrip("#№").isdigit():
        await _delete(event, ops, int(args[1].lstrip("#№")))
        return
    docs = await ops.kb.documents(_scopes(ops, args[0] if args else None))
    if not docs:
        await reply(event, t(lang_, "adm_kb_none"), back(lang_) if isinstance(event, CallbackQuery) else None)
        return
    lines = [t(lang_, "adm_kb_head")]
    for d in docs:
        lines.append(f"№{d.id} {d.scope.removeprefix('agent:')} · {d.file_name} · {d.pages} p. · {d.chunks} chunks"
                     + ("" if d.dense else " · sparse"))
    await reply(event, "\n".join(lines)[:4000], back(lang_) if isinstance(event, CallbackQuery) else None)


async def _delete(event: Message | CallbackQuery, ops: Ops, number: int) -> None:
    lang_ = lang(event)
    doc = await ops.kb.delete(number, _scopes(ops)) if ops.kb is not None else None
    if doc is None:
        await reply(event, t(lang_, "adm_kb_no_such", n=number))
        return
    await reply(event, t(lang_, "adm_kb_deleted", n=number, name=doc.file_name, scope=doc.scope))


async def button(query: CallbackQuery, ops: Ops) -> None:
    await listing(query, ops)


def router() -> Router:
    r = Router(name="admin-kb")
    r.message(Sub("kb", "knowledge"))(listing)
    r.callback_query(Button("kb"))(button)
    return r
