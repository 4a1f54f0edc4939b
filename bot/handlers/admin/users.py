"""Admin: users — find, roles and bans, quotas, usage, invite codes, groups allowed as a whole."""
from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot.filters.admin import AdminCommand
from bot.filters.message import sender_id
from bot.flows.buttons import AdminSection, UserRole, UserUsage
from bot.handlers.admin.common import back, reply
from bot.turn.context import BotProfile
from bot.views.usage import limits, number, usage_report
from i18n import Translator
from ops.roles import Role, may_limit, parse_role
from ops.services import Ops
from storage.people import Person


async def overview(event: Message | CallbackQuery, ops: Ops, tr: Translator) -> None:
    """How many users, admins and bans; the commands."""
    counts = await ops.people.counts()
    await reply(event, tr("adm_users_help", mode=ops.access.mode, users=counts.get("all", 0),
                          admins=counts.get("admin", 0) + len(ops.access.owners), banned=counts.get("banned", 0)),
                back(tr))


async def _person(event: Message | CallbackQuery, ops: Ops, query: str, tr: Translator) -> Person | None:
    """The user an admin command names, or None after telling the admin why not.

    An id means exactly that user (never a name that looks like an id); a name must point at one user.
    """
    q = query.strip()
    if q.lstrip("-").isdigit():
        return await ops.people.get(int(q)) or Person(int(q), None, None, None, None, None, False)
    found = await ops.people.find(q, limit=2)
    if len(found) == 1:
        return found[0]
    await reply(event, tr("adm_user_many" if found else "adm_user_none", query=q))
    return None


async def _card(ops: Ops, person: Person, tr: Translator) -> tuple[str, InlineKeyboardMarkup]:
    role = await ops.access.role(person.id)
    text = tr("adm_user", label=person.label, role=role.value, language=person.language or "—", tz=person.tz or "—",
              blocked=tr("adm_user_blocked") if person.blocked else "",
              since=person.created_at.date().isoformat() if person.created_at else "—")
    rows = [[InlineKeyboardButton(text=f"→ {r.value}", callback_data=UserRole(user=person.id, role=r).pack())
             for r in (Role.MEMBER, Role.ADMIN, Role.BANNED) if r is not role],
            [InlineKeyboardButton(text=tr("adm_btn_usage"), callback_data=UserUsage(user=person.id).pack())]]
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


async def find(message: Message, ops: Ops, args: list[str], tr: Translator) -> None:
    """`/admin user 123 | @name | name`: a card per match with role buttons."""
    if not args:
        await message.answer(tr("adm_args", example="/admin user @olena"))
        return
    people = await ops.people.find(" ".join(args), limit=5)
    if not people:
        await message.answer(tr("adm_user_none", query=" ".join(args)))
    for person in people:
        text, markup = await _card(ops, person, tr)
        await message.answer(text, reply_markup=markup)


async def _set_role(event: Message | CallbackQuery, ops: Ops, who: str, role_name: str, tr: Translator) -> None:
    role = parse_role(role_name)
    if role is None:
        await reply(event, tr("adm_role_bad", role=role_name))
        return
    person = await _person(event, ops, who, tr)
    if person is None:
        return
    if not await ops.access.set_role(sender_id(event), person.id, role):
        await reply(event, tr("adm_role_denied"))
        return
    await reply(event, tr("adm_role_set", label=person.label, role=role.value))


async def role(message: Message, ops: Ops, args: list[str], tr: Translator) -> None:
    """`/admin role ID admin|member|guest|banned`."""
    if len(args) < 2:
        await message.answer(tr("adm_args", example="/admin role 123456789 member"))
        return
    await _set_role(message, ops, args[0], args[1], tr)


async def ban(message: Message, ops: Ops, args: list[str], sub: str, tr: Translator) -> None:
    """`/admin ban ID` and `/admin unban ID` (unban makes the user a member)."""
    if not args:
        await message.answer(tr("adm_args", example=f"/admin {sub} 123456789"))
        return
    await _set_role(message, ops, args[0], "banned" if sub == "ban" else "member", tr)


async def role_button(query: CallbackQuery, callback_data: UserRole, ops: Ops, tr: Translator) -> None:
    """A role button on a user's card: `adm:users:role:<id>:<role>`."""
    await _set_role(query, ops, str(callback_data.user), callback_data.role.value, tr)


async def usage_button(query: CallbackQuery, callback_data: UserUsage, ops: Ops, tr: Translator) -> None:
    """The usage button on a user's card: `adm:users:usage:<id>`."""
    await _usage(query, ops, str(callback_data.user), tr)


async def _subject(message: Message, ops: Ops, kind: str, raw: str, tr: Translator,
                   chat_example: str) -> tuple[int, str] | None:
    """The user or chat a quota command names and how to call it, or None after telling the admin why not."""
    subject = await _person(message, ops, raw, tr) if kind == "user" else None
    if kind == "user" and subject is None:
        return None
    if kind == "chat" and not raw.lstrip("-").isdigit():
        await message.answer(tr("adm_args", example=chat_example))
        return None
    subject_id = subject.id if subject else int(raw)
    if kind == "user" and not may_limit(await ops.access.role(sender_id(message)),
                                        await ops.access.role(subject_id)):
        await message.answer(tr("adm_role_denied"))
        return None
    return subject_id, subject.label if subject else tr("adm_who_chat", chat=subject_id)


async def quota(message: Message, ops: Ops, args: list[str], tr: Translator) -> None:
    """`/admin quota user|chat ID TOKENS REQUESTS` (0 = no limit, - = default) or `… ID reset`; `quota search …`."""
    if args and args[0].lower() == "search":
        await search_quota(message, ops, args[1:], tr)
        return
    example = "/admin quota user 123456789 100000 50"
    if len(args) < 3 or args[0] not in ("user", "chat") or ops.router.usage is None:
        await message.answer(tr("adm_args", example=example))
        return
    kind = args[0]
    found = await _subject(message, ops, kind, args[1], tr, "/admin quota chat -1001234567890 500000 1000")
    if found is None:
        return
    subject_id, who = found
    if args[2].lower() in ("reset", "default", "скинути"):
        await ops.ledger.set_override(kind, subject_id, tokens=None, requests=None)
        await message.answer(tr("adm_quota_reset", who=who))
        return
    try:
        values = (args[2], args[3] if len(args) > 3 else "-")
        tokens, requests = (None if v == "-" else int(v.replace("_", "")) for v in values)
    except ValueError:
        await message.answer(tr("adm_args", example=example))
        return
    await ops.ledger.set_override(kind, subject_id, tokens=tokens, requests=requests)
    default = ops.router.usage.user if kind == "user" else ops.router.usage.group
    shown_tokens = default.tokens if tokens is None else tokens or None
    shown_requests = default.requests if requests is None else requests or None
    await message.answer(tr("adm_quota_set", who=who, limit=limits(tr, shown_tokens, shown_requests)))


async def search_quota(message: Message, ops: Ops, args: list[str], tr: Translator) -> None:
    """`/admin quota search user|chat ID SEARCHES` (web searches a day; 0 = no limit) or `… ID reset`."""
    example = "/admin quota search user 123456789 10"
    if len(args) < 3 or args[0] not in ("user", "chat") or ops.search is None:
        await message.answer(tr("adm_args", example=example))
        return
    kind, search = args[0], ops.search
    found = await _subject(message, ops, kind, args[1], tr, "/admin quota search chat -1001234567890 50")
    if found is None:
        return
    subject_id, who = found
    if args[2].lower() in ("reset", "default", "скинути"):
        await search.usage.set_override(kind, subject_id, None)
        await message.answer(tr("adm_quota_search_reset", who=who))
        return
    try:
        searches = int(args[2].replace("_", ""))
    except ValueError:
        searches = -1
    if searches < 0:
        await message.answer(tr("adm_args", example=example))
        return
    await search.usage.set_override(kind, subject_id, searches)
    limit = tr("n_searches", n=number(searches)) if searches else tr("no_limit")
    await message.answer(tr("adm_quota_search_set", who=who, limit=limit))


async def _usage(event: Message | CallbackQuery, ops: Ops, who: str, tr: Translator) -> None:
    if ops.router.usage is None:
        await reply(event, tr("usage_off"))
        return
    person = await _person(event, ops, who, tr)
    if person is None:
        return
    names = {p.key: f"{p.emoji} {p.name}".strip() for p in ops.personas.agents.values()}
    report = await usage_report(ops.router.usage, ops.ledger, person.id, tr.lang, names, ops.search, ops.voice)
    await reply(event, f"{person.label}\n{report}")


async def usage(message: Message, ops: Ops, args: list[str], tr: Translator) -> None:
    """`/admin usage ID`: the user's usage today, as /usage shows it to them."""
    if not args:
        await message.answer(tr("adm_args", example="/admin usage 123456789"))
        return
    await _usage(message, ops, args[0], tr)


async def invite(message: Message, ops: Ops, profile: BotProfile, tr: Translator) -> None:
    """`/admin invite`: a one-time code and its deep link."""
    code = await ops.access.new_invite(sender_id(message))
    days = ops.access.invite_days
    validity = tr("adm_invite_days", days=days) if days else tr("adm_invite_forever")
    await message.answer(tr("adm_invite", code=code, validity=validity, bot=profile.username))


async def allow(message: Message, ops: Ops, profile: BotProfile, sub: str, tr: Translator) -> None:
    """`/admin allow` / `/admin disallow` in a group: its members may (not) talk to the bot there."""
    if message.chat.type == "private":
        await message.answer(tr("adm_allow_private"))
        return
    if sub == "allow":
        await ops.access.allow_chat(message.chat.id, bot=profile.key, title=message.chat.title,
                                    by=sender_id(message))
        await message.answer(tr("adm_allowed", title=message.chat.title or message.chat.id))
    elif await ops.access.disallow_chat(message.chat.id):
        await message.answer(tr("adm_disallowed"))
    else:
        await message.answer(tr("adm_not_allowed"))


async def audit(message: Message, ops: Ops, tr: Translator) -> None:
    """`/admin audit`: the latest admin actions and refused attempts, newest first."""
    entries = await ops.people.audit_log(limit=20)
    lines = [tr("adm_audit_head")]
    for e in entries:
        mark = "✅" if e.allowed else "⛔"
        lines.append(f"{mark} {e.at:%d.%m %H:%M} · {e.user_id} · {e.action}" + (f" · {e.detail}" if e.detail else ""))
    await message.answer("\n".join(lines)[:4000])


def router() -> Router:
    r = Router(name="admin-users")
    r.message(AdminCommand("audit", "log"))(audit)
    r.message(AdminCommand("users"))(overview)
    r.callback_query(AdminSection.filter(F.section == "users"))(overview)
    r.callback_query(UserRole.filter())(role_button)
    r.callback_query(UserUsage.filter())(usage_button)
    r.message(AdminCommand("user", "find"))(find)
    r.message(AdminCommand("role"))(role)
    r.message(AdminCommand("ban", "unban"))(ban)
    r.message(AdminCommand("quota"))(quota)
    r.message(AdminCommand("usage"))(usage)
    r.message(AdminCommand("invite"))(invite)
    r.message(AdminCommand("allow", "disallow"))(allow)
    return r
