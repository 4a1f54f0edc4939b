"""The payload of every inline button, as typed CallbackData factories (Telegram allows 64 bytes).

Handlers filter with `Factory.filter(...)` and receive the parsed object as `callback_data`; a payload
that does not parse (forged, or from an older bot) matches no factory. The wire format is the one the
buttons already in people's chats carry (`adm:users:role:42:banned`), so they keep working after an
upgrade. Every admin button shares the prefix `adm`: the access middleware treats any `adm:` button as an
admin action (role check and audit), and the first field names the panel section.
"""
from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from aiogram.filters.callback_data import CallbackData
from pydantic import Field, field_serializer

from ops.roles import Role

ADMIN = "adm"
Section = Literal["menu", "stats", "providers", "users", "kb", "broadcast", "reload"]
SECTIONS: tuple[Section, ...] = ("stats", "providers", "users", "kb", "broadcast", "reload")  # the panel, in order
DraftId = Annotated[str, Field(pattern=r"^[0-9a-f]{8}$")]


class AdminSection(CallbackData, prefix=ADMIN):
    """A panel button, or "back to the panel": `adm:stats`, `adm:menu`."""

    section: Section


class StatsDay(CallbackData, prefix=ADMIN):
    """A day under the stats: `adm:stats:2026-11-30`."""

    section: Literal["stats"] = "stats"
    day: date

    @field_serializer("day")
    def _iso(self, day: date) -> str:
        return day.isoformat()


class StatsChart(CallbackData, prefix=ADMIN):
    """The 📈 under the stats: the 14 days ending on that day as a picture, `adm:stats:chart:2026-11-30`."""

    section: Literal["stats"] = "stats"
    action: Literal["chart"] = "chart"
    day: date

    @field_serializer("day")
    def _iso(self, day: date) -> str:
        return day.isoformat()


class ProvidersCheck(CallbackData, prefix=ADMIN):
    """Check every target now: `adm:providers:check`."""

    section: Literal["providers"] = "providers"
    action: Literal["check"] = "check"


class ProviderToggle(CallbackData, prefix=ADMIN):
    """Switch target N on or off: `adm:providers:toggle:N:FINGERPRINT` (a reload may renumber the targets)."""

    section: Literal["providers"] = "providers"
    action: Literal["toggle"] = "toggle"
    number: Annotated[int, Field(ge=1)]
    fingerprint: Annotated[str, Field(pattern=r"^[0-9a-f]{6}$")]


class UserRole(CallbackData, prefix=ADMIN):
    """A role button on a user's card: `adm:users:role:ID:ROLE`."""

    section: Literal["users"] = "users"
    action: Literal["role"] = "role"
    user: int
    role: Role


class UserUsage(CallbackData, prefix=ADMIN):
    """The usage button on a user's card: `adm:users:usage:ID`."""

    section: Literal["users"] = "users"
    action: Literal["usage"] = "usage"
    user: int


class BroadcastChoice(CallbackData, prefix=ADMIN):
    """Send or cancel a broadcast preview: `adm:broadcast:go|drop:DRAFT:ADMIN` (only that admin may press)."""

    section: Literal["broadcast"] = "broadcast"
    action: Literal["go", "drop"]
    draft: DraftId
    admin: int


class BroadcastStop(CallbackData, prefix=ADMIN):
    """Stop the running broadcast: `adm:broadcast:stop`."""

    section: Literal["broadcast"] = "broadcast"
    action: Literal["stop"] = "stop"


class ReminderDelete(CallbackData, prefix="rem"):
    """A ❌ under /reminders: `rem:del:ID` (only the reminder's owner may delete it)."""

    action: Literal["del"] = "del"
    id: int


class ForgetAction(CallbackData, prefix="forget"):
    """Confirm or cancel /forget: `forget:yes|no:USER`; `user` asked, and is the only one who may press it."""

    verb: Literal["yes", "no"]
    user: int


class PickAgent(CallbackData, prefix="agent"):
    """A persona in the /agent picker: `agent:KEY`."""

    key: str
