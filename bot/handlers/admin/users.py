"""Admin: users — find, roles and bans, quotas, usage, invite codes, groups allowed as a whole."""
from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot.handlers.admin.common import PREFIX, Button, Sub, back, lang, reply
from bot.texts import t
from bot.turn.context import BotProfile
from bot.views.usage import _limits, usage_report
from ops.roles import Role, may_limit, parse_role
from ops.services import Ops
from storage.people import Person


async def overview(event: Message | CallbackQuery, ops: Ops) -> None:
    """How many users, admins and bans; the commands."""
    counts = await ops.people.counts()
    await reply(event, t(lang(event), "adm_users_help", mode=ops.access.mode, users=counts.get("all", 0),
                         admins=counts.get("admin", 0) + len(ops.access.owners), banned=counts.get("banned", 0)),
                back(lang(event)))


async def _person(event: Message | CallbackQuery, ops: Ops, query: str) -> Person | None:
    """The user an admin command names, or None after telling the admin why not.

    An id means exactly that user (never a name that looks like an id); a name must point at one user.
    """
    q = query.strip()
    if q.lstrip("-").isdigit():
        return await ops.people.get(int(q)) or Person(int(q), None, None, None, None, None, False)
    found = await ops.people.find(q, limit=2)
    if len(found) == 1:
        return found[0]
    await reply(event, t(lang(event), "adm_user_many" if found else "adm_user_none", query=q))
    return None


async def _card(ops: Ops, person: Person, lang_: str) -> tuple[str, InlineKeyboardMarkup]:
    role = await ops.access.role(person.id)
    text = t(lang_, "adm_user", label=person.label, role=role.value, language=person.language or "—", tz=person.tz or "—",
             blocked=t(lang_, "adm_user_blocked") if person.blocked else "",
             since=person.created_at.date().isoformat() if person.created_at else "—")
    rows = [[InlineKeyboardButton(text=f"→ {r.value}", callback_data=f"{PREFIX}users:role:{person.id}:{r.value}")
             for r in (Role.MEMBER, Role.ADMIN, Role.BANNED) if r is not role],
            [InlineKeyboardButton(text="📈 usage", callback_data=f"{PREFIX}users:usage:{person.id}")]]
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


async def find(message: Message, ops: Ops, args: list[str]) -> None:
    """`/admin user 123 | @name | name`: a card per match with role buttons."""
    if not args:
        await message.answer(t(lang(message), "adm_args", example="/admin user @olena"))
        return
    people = await ops.people.find(" ".join(args), limit=5)
    if not people:
        await message.answer(t(lang(message), "adm_user_none", query=" ".join(args)))
    for person in people:
        text, markup = await _card(ops, person, lang(message))
        await message.answer(text, reply_markup=markup)


async def _set_role(event: Message | CallbackQuery, ops: Ops, who: str, role_name: str) -> None:
    lang_ = lang(event)
    role = parse_role(role_name)
    if role is None:
        await reply(event, t(lang_, "adm_role_bad", role=role_name))
        return
    person = await _person(event, ops, who)
    if person is None:
        return
    if not await ops.access.set_role(event.from_user.id, person.id, role):  # type: ignore[union-attr]
        await reply(event, t(lang_, "adm_role_denied"))
        return
    await reply(event, t(lang_, "adm_role_set", label=person.label, role=role.value))


async def role(message: Message, ops: Ops, args: list[str]) -> None:
    """`/admin role ID admin|member|guest|banned`."""
    if len(args) < 2:
        await message.answer(t(lang(message), "adm_args", example="/admin role 123456789 member"))
        return
    await _set_role(message, ops, args[0], args[1])


async def ban(message: Message, ops: Ops, args: list[str], sub: str) -> None:
    """`/admin ban ID` and `/admin unban ID` (unban makes the user a member)."""
    if not args:
        await message.answer(t(lang(message), "adm_args", example=f"/admin {sub} 123456789"))
        return
    await _set_role(message, ops, args[0], "banned" if sub == "ban" else "member")


async def role_button(query: CallbackQuery, ops: Ops, parts: list[str]) -> None:
    """A role button on a user's card: `adm:users:role:<id>:<role>`."""
    if len(parts) == 3 and parts[0] == "role":
        await _set_role(query, ops, parts[1], parts[2])
    elif len(parts) == 2 and parts[0] == "usage":
        await _usage(query, ops, parts[1])
    else:
        await overview(query, ops)


async def quota(message: Message, ops: Ops, args: list[str]) -> None:
    """`/admin quota user|chat ID TOKENS REQUESTS` (0 = no limit, - = default) or `… ID reset`."""
    lang_ = lang(message)
    example = "/admin quota user 123456789 100000 50"
    if len(args) < 3 or args[0] not in ("user", "chat") or ops.router.usage is None:
        await message.answer(t(lang_, "adm_args", example=example))
        return
    kind = args[0]
    subject = await _person(message, ops, args[1]) if kind == "user" else None
    if kind == "user" and subject is None:
        return
    if kind == "chat" and not args[1].lstrip("-").isdigit():
        await message.answer(t(lang_, "adm_args", example="/admin quota chat -1001234567890 500000 1000"))
        return
    subject_id = subject.id if subject else int(args[1])
    who = subject.label if subject else f"chat {subject_id}"
    if kind == "user" and not may_limit(await ops.access.role(message.from_user.id),  # type: ignore[union-attr]
                                        await ops.access.role(subject_id)):
        await message.answer(t(lang_, "adm_role_denied"))
        return
    if args[2].lower() in ("reset", "default", "скинути"):
        await ops.ledger.set_override(kind, subject_id, tokens=None, requests=None)
        await message.answer(t(lang_, "adm_quota_reset", who=who))
        return
    try:
        tokens, requests = (None if v == "-" else int(v.replace("_", "")) for v in (args[2], args[3] if len(args) > 3 else "-"))
    except ValueError:
        await message.answer(t(lang_, "adm_args", example=example))
        return
    await ops.ledger.set_override(kind, subject_id, tokens=tokens, requests=requests)
    default = ops.router.usage.user if kind == "user" else ops.router.usage.group
    shown_tokens = default.tokens if tokens is None else tokens or None
    shown_requests = default.requests if requests is None else requests or None
    await message.answer(t(lang_, "adm_quota_set", who=who, limit=_limits(lang_, shown_tokens, shown_requests)))


async def _usage(event: Message | CallbackQuery, ops: Ops, who: str) -> None:
    if ops.router.usage is None:
        await reply(event, t(lang(event), "usage_off"))
        return
    person = await _person(event, ops, who)
    if person is None:
        return
    names = {p.key: f"{p.emoji} {p.name}".strip() for p in ops.personas.agents.values()}
    report = await usage_report(ops.router.usage, ops.ledger, person.id, lang(event), names)
    await reply(event, f"{person.label}\n{report}")


async def usage(message: Message, ops: Ops, args: list[str]) -> None:
    """`/admin usage ID`: the user's usage today, as /usage shows it to them."""
    if not args:
        await message.answer(t(lang(message), "adm_args", example="/admin usage 123456789"))
        return
    await _usage(message, ops, args[0])


async def invite(message: Message, ops: Ops, profile: BotProfile) -> None:
    """`/admin invite`: a one-time code and its deep link."""
    code = await ops.access.new_invite(message.from_user.id)  # type: ignore[union-attr]
    days = str(ops.access.invite_days) if ops.access.invite_days else t(lang(message), "adm_invite_forever")
    await message.answer(t(lang(message), "adm_invite", code=code, days=days, bot=profile.username))


async def allow(message: Message, ops: Ops, profile: BotProfile, sub: str) -> None:
    """`/admin allow` / `/admin disallow` in a group: its members may (not) talk to the bot there."""
    lang_ = lang(message)
    if message.chat.type == "private":
        await message.answer(t(lang_, "adm_allow_private"))
        return
    if sub == "allow":
        await ops.access.allow_chat(message.chat.id, bot=profile.key, title=message.chat.title,
                                    by=message.from_user.id)  # type: ignore[union-attr]
        await message.answer(t(lang_, "adm_allowed", title=message.chat.title or message.chat.id))
    elif await ops.access.disallow_chat(message.chat.id):
        await message.answer(t(lang_, "adm_disallowed"))
    else:
        await message.answer(t(lang_, "adm_not_allowed"))


async def audit(message: Message, ops: Ops) -> None:
    """`/admin audit`: the latest admin actions and refused attempts, newest first."""
    entries = await ops.people.audit_log(limit=20)
    lines = [t(lang(message), "adm_audit_head")]
    for e in entries:
        mark = "✅" if e.allowed else "⛔"
        lines.append(f"{mark} {e.at:%d.%m %H:%M} · {e.user_id} · {e.action}" + (f" · {e.detail}" if e.detail else ""))
    await message.answer("\n".join(lines)[:4000])


def router() -> Router:
    r = Router(name="admin-users")
    r.message(Sub("audit", "log"))(audit)
    r.message(Sub("users"))(overview)
    r.callback_query(Button("users"))(role_button)
    r.message(Sub("user", "find"))(find)
    r.message(Sub("role"))(role)
    r.message(Sub("ban", "unban"))(ban)
    r.message(Sub("quota"))(quota)
    r.message(Sub("usage"))(usage)
    r.message(Sub("invite"))(invite)
    r.message(Sub("allow", "disallow"))(allow)
    return r
