"""Admin: models — health, circuit, quota and on/off per routed target; agents' own routes; config reload."""
from __future__ import annotations

import zlib
from zoneinfo import ZoneInfo

from aiogram import F, Router
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot.filters.admin import AdminCommand
from bot.flows.buttons import AdminSection, ProvidersCheck, ProviderToggle
from bot.handlers.admin.common import back, reply
from i18n import Translator
from ops.control import Outcome, ReloadResult, reload, set_route, set_target
from ops.health import check_now
from ops.router_status import RouterStatus, TargetStatus, router_status, target_number
from ops.services import Ops
from router.health import HealthResult
from router.quotas import ProviderQuota

_ON, _OFF = {"on", "enable", "увімкнути", "увімк"}, {"off", "disable", "вимкнути", "вимк"}


async def show(event: Message | CallbackQuery, ops: Ops, tr: Translator,
               live: dict[str, HealthResult] | None = None) -> None:
    """The table of routes and targets, with a button per target and a live check."""
    status = await router_status(ops, live)
    await reply(event, _table(status, ZoneInfo(ops.settings.timezone), tr)[:4000], _keyboard(status, tr))


def _table(status: RouterStatus, tz: ZoneInfo, tr: Translator) -> str:
    lines = [tr("prov_title"), "", tr("prov_routes")]
    lines += [f"• {name}: {' → '.join(map(str, targets)) or '—'}" for name, targets in status.routes]
    lines += ["", tr("prov_targets")]
    for row in status.targets:
        lines.append(tr("prov_target", n=row.number, target=row.target,
                        where=tr("prov_local" if row.local else "prov_cloud"),
                        off=tr("prov_off_mark") if row.off else "", health=_health(row, tz, tr),
                        circuit=tr(f"prov_circuit_{row.circuit}"), quota=_quota(row.quota, tr)))
    if status.agent_routes:
        items = "; ".join(f"{agent} → {', '.join(map(str, ts))}" for agent, ts in status.agent_routes)
        lines += ["", tr("prov_agent_routes", items=items)]
    if status.addresses:
        lines += ["", tr("prov_addresses", items=" · ".join(f"{n} — {url}" for n, url in status.addresses))]
    return "\n".join([*lines, "", tr("prov_help")])


def _quota(quota: ProviderQuota | None, tr: Translator) -> str:
    """What is left of the provider's own limits; words for no accounting and no limits."""
    if quota is None:
        return tr("prov_quota_off")
    tokens, rpm = quota.daily_tokens, quota.rpm
    parts = [tr("prov_quota_tokens", left=quota.tokens_left, daily=tokens)] if tokens is not None else []
    parts += [tr("prov_quota_rpm", calls=quota.calls, rpm=rpm)] if rpm is not None else []
    return ", ".join(parts) or tr("prov_quota_none")


def _health(row: TargetStatus, tz: ZoneInfo, tr: Translator) -> str:
    if row.healthy is None or row.checked_at is None:
        return tr("prov_never")
    at = row.checked_at.astimezone(tz).strftime("%d.%m %H:%M")
    if row.healthy:
        return tr("prov_up", at=at)
    return tr("prov_down", at=at, detail=(row.detail or "?")[:120])


def _keyboard(status: RouterStatus, tr: Translator) -> InlineKeyboardMarkup:
    toggles = [InlineKeyboardButton(
        text=tr("prov_btn_on" if row.off else "prov_btn_off", n=row.number, target=row.target)[:60],
        callback_data=ProviderToggle(number=row.number, fingerprint=_fingerprint(row.target)).pack())
        for row in status.targets]
    rows = [toggles[i:i + 2] for i in range(0, len(toggles), 2)]
    reload_ = AdminSection(section="reload").pack()
    rows.append([InlineKeyboardButton(text=tr("prov_btn_check"), callback_data=ProvidersCheck().pack()),
                 InlineKeyboardButton(text=tr("adm_btn_reload"), callback_data=reload_)])
    return InlineKeyboardMarkup(inline_keyboard=[*rows, *back(tr).inline_keyboard])


async def providers_command(message: Message, ops: Ops, tr: Translator) -> None:
    """`/admin providers`."""
    await show(message, ops, tr)


async def providers_button(query: CallbackQuery, ops: Ops, tr: Translator) -> None:
    """`adm:providers`: the table."""
    await show(query, ops, tr)


async def check_button(query: CallbackQuery, ops: Ops, tr: Translator) -> None:
    """`adm:providers:check`: a live health check of every target, then the table."""
    await show(query, ops, tr, await check_now(ops))


async def toggle_button(query: CallbackQuery, callback_data: ProviderToggle, ops: Ops, tr: Translator) -> None:
    """`adm:providers:toggle:<n>:<fingerprint>`: switch that target, unless a reload changed the list since."""
    target = target_number(ops, callback_data.number)
    if target is not None and _fingerprint(target) == callback_data.fingerprint:  # else just redraw the list
        await set_target(ops, str(target), ops.router.switched_off(target), by=query.from_user.id)
    await show(query, ops, tr)


async def target_command(message: Message, ops: Ops, args: list[str], tr: Translator) -> None:
    """`/admin target provider:model on|off` (or a whole provider)."""
    if len(args) != 2 or args[1].lower() not in _ON | _OFF:
        await message.answer(tr("adm_args", example="/admin target ollama:qwen3:8b off"))
        return
    on = args[1].lower() in _ON
    outcome = await set_target(ops, args[0], on, by=message.from_user.id if message.from_user else None)
    if not outcome.ok:
        await message.answer(_problem(outcome, tr))
        return
    await message.answer(_switched(outcome, on, tr))


async def route_command(message: Message, ops: Ops, args: list[str], tr: Translator) -> None:
    """`/admin route agent provider:model[,provider:model…]`, `/admin route agent reset`, or bare: the list."""
    if len(args) < 2:
        routes = ops.router.overrides.routes.values()
        items = "; ".join(f"{r.agent} → {', '.join(map(str, r.targets))}" for r in routes) or tr("prov_none")
        await message.answer(tr("prov_routes_list", items=items))
        return
    reset = args[1].lower() in ("reset", "default", "скинути")
    specs = None if reset else [s for s in " ".join(args[1:]).replace(",", " ").split() if s]
    outcome = await set_route(ops, args[0], specs, by=message.from_user.id if message.from_user else None)
    if not outcome.ok:
        await message.answer(_problem(outcome, tr))
    elif reset:
        await message.answer(tr("prov_route_reset", agent=outcome.subject))
    else:
        await message.answer(tr("prov_route_set", agent=outcome.subject, targets=", ".join(specs or ())))


def _switched(outcome: Outcome, on: bool, tr: Translator) -> str:
    if outcome.error == "provider_off":
        return tr("prov_still_off", target=outcome.subject, provider=outcome.known[0])
    return tr("prov_target_on" if on else "prov_target_off", target=outcome.subject)


def _fingerprint(target: object) -> str:
    """A short check that a toggle button still means the target it was drawn for (a reload may shift the list)."""
    return f"{zlib.crc32(str(target).encode()) & 0xFFFFFF:06x}"


def _problem(outcome: Outcome, tr: Translator) -> str:
    return tr(f"prov_{outcome.error}", name=outcome.subject,
              known=", ".join(outcome.known) or tr("prov_none"))


async def reload_command(event: Message | CallbackQuery, ops: Ops, tr: Translator) -> None:
    """`/admin reload` and the panel's `adm:reload`: re-read agents.yaml and router.yaml."""
    markup = back(tr) if isinstance(event, CallbackQuery) else None
    await reply(event, _reload_text(await reload(ops), tr)[:4000], markup)


def _reload_text(result: ReloadResult, tr: Translator) -> str:
    if not result.ok:
        return tr("reload_failed", error=result.error)
    lines = [tr("reload_ok", agents=result.agents, providers=result.providers, rules=result.rules)]
    if result.left_out:
        lines.append(tr("reload_left_out", items="; ".join(result.left_out)))
    if result.dropped:
        lines.append(tr("reload_dropped", items="; ".join(result.dropped)))
    return "\n".join(lines)


def router() -> Router:
    r = Router(name="admin-providers")
    r.message(AdminCommand("providers", "models"))(providers_command)
    r.message(AdminCommand("target"))(target_command)
    r.message(AdminCommand("route"))(route_command)
    r.message(AdminCommand("reload"))(reload_command)
    r.callback_query(AdminSection.filter(F.section == "providers"))(providers_button)
    r.callback_query(ProvidersCheck.filter())(check_button)
    r.callback_query(ProviderToggle.filter())(toggle_button)
    r.callback_query(AdminSection.filter(F.section == "reload"))(reload_command)
    return r
