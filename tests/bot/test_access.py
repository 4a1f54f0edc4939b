"""Roles and access decisions without Telegram: who may assign what, the cache, invites, unblocking."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ops.access import AccessControl
from ops.roles import Role, may_assign, parse_role
from storage.people import PeopleStore
from storage.store import open_store


@pytest.fixture
async def people(tmp_path):
    store = await open_store(f"sqlite:///{tmp_path}/a.db")
    yield PeopleStore(store.db)
    await store.close()


def test_who_may_assign_which_role():
    assert may_assign(Role.OWNER, Role.MEMBER, Role.ADMIN)
    assert may_assign(Role.OWNER, Role.ADMIN, Role.BANNED)
    assert may_assign(Role.ADMIN, Role.MEMBER, Role.BANNED) and may_assign(Role.ADMIN, Role.BANNED, Role.MEMBER)
    assert not may_assign(Role.ADMIN, Role.MEMBER, Role.ADMIN), "only owners appoint admins"
    assert not may_assign(Role.ADMIN, Role.ADMIN, Role.BANNED), "admins cannot ban each other"
    assert not may_assign(Role.OWNER, Role.OWNER, Role.BANNED), "owners come from the config"
    assert not may_assign(Role.OWNER, Role.MEMBER, Role.OWNER)
    assert not may_assign(Role.MEMBER, Role.GUEST, Role.MEMBER)
    assert parse_role("Адмін") is Role.ADMIN and parse_role("BANNED") is Role.BANNED and parse_role("king") is None


async def test_a_role_change_made_by_another_replica_is_seen_within_the_ttl(people):
    clock = [0.0]
    here = AccessControl(people, mode="open", clock=lambda: clock[0])
    there = AccessControl(people, owners=[1], mode="open")
    assert (await here.check(5, 5, private=True)).allowed
    assert await there.set_role(1, 5, Role.BANNED)
    assert (await here.check(5, 5, private=True)).allowed, "cached for a moment"
    clock[0] += 31
    verdict = await here.check(5, 5, private=True)
    assert not verdict.allowed and verdict.refusal == "banned"


async def test_modes_decide_what_an_unknown_user_is(people):
    assert (await AccessControl(people, mode="open").check(7, 7, private=True)).allowed
    closed = AccessControl(people, owners=[1], mode="allowlist")
    assert (await closed.check(7, 7, private=True)).refusal == "private"
    assert (await closed.check(7, -100, private=False)).refusal == "group"
    await closed.allow_chat(-100, bot="main", title="g", by=1)
    assert (await closed.check(7, -100, private=False)).allowed
    assert (await closed.check(7, 7, private=True)).refusal == "private", "a group's permission is not a personal one"
    assert (await closed.check(1, 1, private=True)).role is Role.OWNER


async def test_invites_are_single_use_and_expire(people):
    now = [datetime(2026, 11, 30, 12, tzinfo=UTC)]
    access = AccessControl(people, owners=[1], mode="invite", invite_days=7, now=lambda: now[0])
    code = await access.new_invite(1)
    assert await access.redeem(10, code) and await access.role(10) is Role.MEMBER
    assert not await access.redeem(11, code), "used"
    late = await access.new_invite(1)
    now[0] += timedelta(days=8)
    assert not await access.redeem(12, late), "expired"
    assert not await access.redeem(13, "no-such-code")
    await access.set_role(1, 14, Role.BANNED)
    assert not await access.redeem(14, await access.new_invite(1)), "an invite does not lift a ban"


async def test_a_user_who_blocked_the_bot_is_unmarked_when_they_write_again(people):
    await people.set_blocked(20, True)
    access = AccessControl(people, mode="open")
    assert (await access.check(20, -5, private=False)).allowed
    assert (await people.get(20)).blocked, "a group message does not prove they unblocked the private chat"
    assert (await access.check(20, 20, private=True)).allowed
    assert not (await people.get(20)).blocked
