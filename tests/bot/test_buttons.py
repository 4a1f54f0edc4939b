"""Button payloads: the same wire format as the buttons already in chats, within 64 bytes, bad values refused."""
from __future__ import annotations

from datetime import date

import pytest
from aiogram.filters.callback_data import MAX_CALLBACK_LENGTH, CallbackData
from aiogram.types import CallbackQuery, User

from bot.filters.buttons import ButtonOf
from bot.flows.buttons import (
    AdminSection,
    BroadcastChoice,
    BroadcastStop,
    ForgetAction,
    PickAgent,
    ProvidersCheck,
    ProviderToggle,
    ReminderDelete,
    StatsDay,
    UserRole,
    UserUsage,
)
from ops.roles import Role

FACTORIES: list[type[CallbackData]] = [AdminSection, StatsDay, ProvidersCheck, ProviderToggle, UserRole, UserUsage,
                                       BroadcastChoice, BroadcastStop, ReminderDelete, ForgetAction, PickAgent]
BIG_ID = -1_000_000_000_000_000  # larger than any Telegram user or chat id, with a sign


def _parsers(data: str) -> list[str]:
    found = []
    for factory in FACTORIES:
        try:
            factory.unpack(data)
        except (TypeError, ValueError):
            continue
        found.append(factory.__name__)
    return found


@pytest.mark.parametrize(("button", "wire"), [
    (AdminSection(section="stats"), "adm:stats"),
    (AdminSection(section="menu"), "adm:menu"),
    (StatsDay(day=date(2025, 6, 14)), "adm:stats:2025-06-14"),
    (ProvidersCheck(), "adm:providers:check"),
    (ProviderToggle(number=2, fingerprint="00ab12"), "adm:providers:toggle:2:00ab12"),
    (UserRole(user=3001, role=Role.BANNED), "adm:users:role:3001:banned"),
    (UserUsage(user=3001), "adm:users:usage:3001"),
    (BroadcastChoice(action="go", draft="deadbeef", admin=42), "adm:broadcast:go:deadbeef:42"),
    (BroadcastStop(), "adm:broadcast:stop"),
    (ReminderDelete(id=7), "rem:del:7"),
    (ForgetAction(verb="yes", user=1001), "forget:yes:1001"),
    (PickAgent(key="helion"), "agent:helion"),
])
def test_each_button_keeps_its_wire_format_and_only_its_factory_reads_it(button: CallbackData, wire: str) -> None:
    assert button.pack() == wire, "buttons already sent to chats must keep working after an upgrade"
    assert _parsers(wire) == [type(button).__name__]
    assert type(button).unpack(wire) == button


def test_the_longest_payloads_fit_telegrams_limit() -> None:
    longest = [UserRole(user=BIG_ID, role=Role.BANNED), BroadcastChoice(action="drop", draft="ffffffff", admin=BIG_ID),
               ProviderToggle(number=9999, fingerprint="ffffff"), ForgetAction(verb="yes", user=BIG_ID),
               StatsDay(day=date(2099, 12, 31)), ReminderDelete(id=10**15)]
    assert all(len(b.pack().encode()) <= MAX_CALLBACK_LENGTH for b in longest)


@pytest.mark.parametrize("forged", [
    "adm:users:role:abc:admin", "adm:users:role:1001:king", "adm:users:usage:me", "adm:stats:2025-13-45",
    "adm:providers:toggle:0:abcdef", "adm:providers:toggle:1:XYZ", "adm:providers:toggle:1:abcdef:extra",
    "adm:broadcast:go:nothex!:42", "adm:broadcast:send:deadbeef:42", "adm:broadcast:go:deadbeef:me", "adm:nonsense",
    "adm:", "rem:del:abc", "rem:put:1", "forget:maybe:1001", "forget:yes:me", "agent:helion:extra",
])
def test_forged_values_match_no_factory(forged: str) -> None:
    assert _parsers(forged) == []


async def test_button_of_matches_a_familys_prefix_whether_or_not_it_parses() -> None:
    user = User(id=1, is_bot=False, first_name="Olena")

    def press(data: str) -> CallbackQuery:
        return CallbackQuery(id="1", from_user=user, chat_instance="1", data=data)

    admin = ButtonOf(AdminSection)
    assert await admin(press("adm:users:role:abc:king")) and await admin(press("adm:menu"))
    assert not await admin(press("admin:menu")) and not await admin(press("agent:adm"))
    assert await ButtonOf(ReminderDelete)(press("rem:del:abc")) and not await ButtonOf(ReminderDelete)(press("remind"))
