"""Admin: the agents' knowledge bases — list every agent's documents, delete any of them."""
from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery, Message

from bot.filters.admin import AdminCommand
from bot.flows.buttons import AdminSection
from bot.handlers.admin.common import back, reply
from i18n import Translator
from ops.services import Ops
from rag.knowledge import agent_scope


def _scopes(ops: Ops, agent: str | None = None) -> list[str]:
    keys = [agent] if agent and agent in ops.personas.agents else list(ops.personas.agents)
    return [agent_scope(k) for k in keys]


async def listing(event: Message | CallbackQuery, ops: Ops, tr: Translator, args: list[str] | None = None) -> None:
    """`/admin kb [agent]` or `/admin kb delete N`: the documents of the agents' bases."""
    args = args or []
    if ops.kb is None:
        await reply(event, tr("adm_kb_off"))
        return
    if len(args) >= 2 and args[0] in ("delete", "del", "rm") and args[1].lstrip("#№").isdigit():
        await _delete(event, ops, int(args[1].lstrip("#№")), tr)
        return
    docs = await ops.kb.documents(_scopes(ops, args[0] if args else None))
    if not docs:
        await reply(event, tr("adm_kb_none"), back(tr) if isinstance(event, CallbackQuery) else None)
        return
    lines = [tr("adm_kb_head")]
    lines += [tr("adm_kb_line", id=d.id, agent=d.scope.removeprefix("agent:"), name=d.file_name, pages=d.pages,
                 chunks=d.chunks, sparse="" if d.dense else tr("adm_kb_sparse")) for d in docs]
    await reply(event, "\n".join(lines)[:4000], back(tr) if isinstance(event, CallbackQuery) else None)


async def _delete(event: Message | CallbackQuery, ops: Ops, number: int, tr: Translator) -> None:
    doc = await ops.kb.delete(number, _scopes(ops)) if ops.kb is not None else None
    if doc is None:
        await reply(event, tr("adm_kb_no_such", n=number))
        return
    await reply(event, tr("adm_kb_deleted", n=number, name=doc.file_name, scope=doc.scope))


async def button(query: CallbackQuery, ops: Ops, tr: Translator) -> None:
    await listing(query, ops, tr)


def router() -> Router:
    r = Router(name="admin-kb")
    r.message(AdminCommand("kb", "knowledge"))(listing)
    r.callback_query(AdminSection.filter(F.section == "kb"))(button)
    return r
