"""Admin: models — health, circuit, quota and on/off per routed target; agents' own routes; config reload."""
from __future__ import annotations

import zlib
from zoneinfo import ZoneInfo

from aiogram import Router
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot.handlers.admin.common import PREFIX, Button, Sub, back, lang, reply
from bot.texts import t
from ops.control import Outcome, ReloadResult, reload, set_route, set_target
from ops.health import check_now
from ops.router_status import RouterStatus, TargetStatus, router_status, target_number
from ops.services import Ops
from router.health import HealthResult

_ON, _OFF = {"on", "enable", "увімкнути", "увімк"}, {"off", "disable", "вимкнути", "вимк"}


async def show(event: Message | CallbackQuery, ops: Ops, live: dict[str, HealthResult] | None = None) -> None:
    """The table of routes and targets, with a button per target and a live check."""
    lang_ = lang(event)
    status = await router_status(ops, live)
    await reply(event, _table(status, lang_, ZoneInfo(ops.settings.timezone))[:4000], _keyboard(status, lang_))


def _table(status: RouterStatus, lang_: str, tz: ZoneInfo) -> str:
    lines = [t(lang_, "prov_title"), "", t(lang_, "prov_routes")]
    lines += [f"• {name}: {' → '.join(map(str, targets)) or '—'}" for name, targets in status.routes]
    lines += ["", t(lang_, "prov_targets")]
    for row in status.targets:
        quota = (t(lang_, "prov_quota_off") if row.quota is None
                 else t(lang_, "prov_quota_none") if row.quota == "no limits" else row.quota)
        lines.append(t(lang_, "prov_target", n=row.number, target=row.target,
                       where=t(lang_, "prov_local" if row.local else "prov_cloud"),
                       off=t(lang_, "prov_off_mark") if row.off else "", health=_health(row, lang_, tz),
                       circuit=t(lang_, f"prov_circuit_{row.circuit}"), quota=quota))
    if status.agent_routes:
        items = "; ".join(f"{agent} → {', '.join(map(str, ts))}" for agent, ts in status.agent_routes)
        lines += ["", t(lang_, "prov_agent_routes", items=items)]
    if status.addresses:
        lines += ["", t(lang_, "prov_addresses", items=" · ".join(f"{n} — {url}" for n, url in status.addresses))]
    return "\n".join([*lines, "", t(lang_, "prov_help")])


def _health(row: TargetStatus, lang_: str, tz: ZoneInfo) -> str:
    if row.healthy is None or row.checked_at is None:
        return t(lang_, "prov_never")
    at = row.checked_at.astimezone(tz).strftime("%d.%m %H:%M")
    if row.healthy:
        return t(lang_, "prov_up", at=at)
    return t(lang_, "prov_down", at=at, detail=(row.detail or "?")[:120])


def _keyboard(status: RouterStatus, lang_: str) -> InlineKeyboardMarkup:
    toggles = [InlineKeyboardButton(
        text=t(lang_, "prov_btn_on" if row.off else "prov_btn_off", n=row.number, target=row.target)[:60],
        callback_data=f"{PREFIX}providers:toggle:{row.number}:{_fingerprint(row.target)}") for row in status.targets]
    rows = [toggles[i:i + 2] for i in range(0, len(toggles), 2)]
    rows.append([InlineKeyboardButton(text=t(lang_, "prov_btn_check"), callback_data=f"{PREFIX}providers:check"),
                 InlineKeyboardButton(text=t(lang_, "adm_btn_reload"), callback_data=f"{PREFIX}reload")])
    return InlineKeyboardMarkup(inline_keyboard=[*rows, *back(lang_).inline_keyboard])


async def providers_command(message: Message, ops: Ops) -> None:
    """`/admin providers`."""
    await show(message, ops)


async def providers_button(query: CallbackQuery, ops: Ops, parts: list[str]) -> None:
    """`adm:providers`, `adm:providers:check` (a live health check), `adm:providers:toggle:<n>`."""
    if parts[:1] == ["check"]:
        await show(query, ops, await check_now(ops))
        return
    if len(parts) == 3 and parts[0] == "toggle" and parts[1].isdigit():
        target = target_number(ops, int(parts[1]))
        if target is not None and _fingerprint(target) == parts[2]:  # else a reload changed the list: redraw it
            await set_target(ops, str(target), ops.router.switched_off(target), by=query.from_user.id)
    await show(query, ops)


async def target_command(message: Message, ops: Ops, args: list[str]) -> None:
    """`/admin target provider:model on|off` (or a whole provider)."""
    lang_ = lang(message)
    if len(args) != 2 or args[1].lower() not in _ON | _OFF:
        await message.answer(t(lang_, "adm_args", example="/admin target ollama:qwen3:8b off"))
        return
    on = args[1].lower() in _ON
    outcome = await set_target(ops, args[0], on, by=message.from_user.id if message.from_user else None)
    if not outcome.ok:
        await message.answer(_problem(lang_, outcome))
        return
    await message.answer(_switched(lang_, outcome, on))


async def route_command(message: Message, ops: Ops, args: list[str]) -> None:
    """`/admin route agent provider:model[,provider:model…]`, `/admin route agent reset`, or bare: the list."""
    lang_ = lang(message)
    if len(args) < 2:
        routes = ops.router.overrides.routes.values()
        items = "; ".join(f"{r.agent} → {', '.join(map(str, r.targets))}" for r in routes) or t(lang_, "prov_none")
        await message.answer(t(lang_, "prov_routes_list", items=items))
        return
    reset = args[1].lower() in ("reset", "default", "скинути")
    specs = None if reset else [s for s in " ".join(args[1:]).replace(",", " ").split() if s]
    outcome = await set_route(ops, args[0], specs, by=message.from_user.id if message.from_user else None)
    if not outcome.ok:
        await message.answer(_problem(lang_, outcome))
    elif reset:
        await message.answer(t(lang_, "prov_route_reset", agent=outcome.subject))
    else:
        await message.answer(t(lang_, "prov_route_set", agent=outcome.subject, targets=", ".join(specs or ())))


def _switched(lang_: str, outcome: Outcome, on: bool) -> str:
    if outcome.error == "provider_off":
        return t(lang_, "prov_still_off", target=outcome.subject, provider=outcome.known[0])
    return t(lang_, "prov_target_on" if on else "prov_target_off", target=outcome.subject)


def _fingerprint(target: object) -> str:
    """A short check that a toggle button still means the target it was drawn for (a reload may shift the list)."""
    return f"{zlib.crc32(str(target).encode()) & 0xFFFFFF:06x}"


def _problem(lang_: str, outcome: Outcome) -> str:
    return t(lang_, f"prov_{outcome.error}", name=outcome.subject,
             known=", ".join(outcome.known) or t(lang_, "prov_none"))


async def reload_command(event: Message | CallbackQuery, ops: Ops) -> None:
    """`/admin reload` and the panel's `adm:reload`: re-read agents.yaml and router.yaml."""
    lang_ = lang(event)
    markup = back(lang_) if isinstance(event, CallbackQuery) else None
    await reply(event, _reload_text(await reload(ops), lang_)[:4000], markup)


def _reload_text(result: ReloadResult, lang_: str) -> str:
    if not result.ok:
        return t(lang_, "reload_failed", error=result.error)
    lines = [t(lang_, "reload_ok", agents=result.agents, providers=result.providers, rules=result.rules)]
    if result.left_out:
        lines.append(t(lang_, "reload_left_out", items="; ".join(result.left_out)))
    if result.dropped:
        lines.append(t(lang_, "reload_dropped", items="; ".join(result.dropped)))
    return "\n".join(lines)


def router() -> Router:
    r = Router(name="admin-providers")
    r.message(Sub("providers", "models"))(providers_command)
    r.message(Sub("target"))(target_command)
    r.message(Sub("route"))(route_command)
    r.message(Sub("reload"))(reload_command)
    r.callback_query(Button("providers"))(providers_button)
    r.callback_query(Button("reload"))(reload_command)
    return r
