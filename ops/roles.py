"""Roles, their order, and who may give which role to whom."""
from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """What a user may do; owners come from OWNER_IDS, the rest are stored per user."""

    OWNER = "owner"
    ADMIN = "admin"
    MEMBER = "member"
    GUEST = "guest"  # known but not admitted: may talk to the bot only in groups allowed as a whole
    BANNED = "banned"


RANK = {Role.BANNED: 0, Role.GUEST: 1, Role.MEMBER: 2, Role.ADMIN: 3, Role.OWNER: 4}
ASSIGNABLE = (Role.ADMIN, Role.MEMBER, Role.GUEST, Role.BANNED)  # owner is config, never set from chat


def at_least(role: Role, needed: Role) -> bool:
    """Whether `role` ranks at or above `needed`."""
    return RANK[role] >= RANK[needed]


def may_assign(actor: Role, current: Role, new: Role) -> bool:
    """Owners set any role but owner; admins manage members, guests and bans, never other admins or owners."""
    if new not in ASSIGNABLE or current is Role.OWNER:
        return False
    if actor is Role.OWNER:
        return True
    return actor is Role.ADMIN and RANK[current] < RANK[Role.ADMIN] and RANK[new] < RANK[Role.ADMIN]


def may_limit(actor: Role, subject: Role) -> bool:
    """Who may set a user's quota: never an owner's; an admin's only by an owner."""
    if subject is Role.OWNER:
        return False
    return actor is Role.OWNER or (actor is Role.ADMIN and RANK[subject] < RANK[Role.ADMIN])


def parse_role(text: str) -> Role | None:
    """A role from its name (English or Ukrainian), None when unknown."""
    aliases = {"адмін": Role.ADMIN, "учасник": Role.MEMBER, "гість": Role.GUEST, "бан": Role.BANNED,
               "заблокований": Role.BANNED, "ban": Role.BANNED}
    word = text.strip().lower()
    try:
        return Role(word)
    except ValueError:
        return aliases.get(word)
