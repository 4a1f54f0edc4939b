"""Roles and access as people meet them: admin commands refused and logged, bans, invite codes, allowed groups."""
from __future__ import annotations

import re

from sqlalchemy import select

from storage.models import AuditEntry
from tests.harness import TOKEN, running_bot

OWNER, MEMBER, OTHER = 42, 1001, 2002
ADMIN_ONLY = "лише для адміністраторів"
EVERY_ADMIN_COMMAND = ["/admin", "/admin stats", "/admin providers", "/admin users", "/admin user @olena",
                       f"/admin role {MEMBER} admin", f"/admin ban {OTHER}", f"/admin unban {OTHER}",
                       f"/admin quota user {MEMBER} 0 0", f"/admin usage {MEMBER}", "/admin invite", "/admin allow",
                       "/admin disallow", "/admin kb", "/admin kb delete 1", "/admin broadcast all hello",
                       "/admin reload", "/admin target ollama:qwen3:8b off", "/admin route helion backup:gpt-4o-mini",
                       "/admin@dagi_bot stats", "/admin audit", "/admin nonsense"]


async def audit(bot) -> list:
    return await bot.services.store.db.run(lambda c: c.execute(select(AuditEntry).order_by(AuditEntry.id)).all())


async def test_every_admin_command_is_refused_to_a_member_and_logged(tmp_path, tg, llm, monkeypatch, caplog):
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch, owner_ids=[OWNER]) as bot:
        for i, command in enumerate(EVERY_ADMIN_COMMAND):
            bot.say(command, user_id=MEMBER, chat_id=MEMBER)
            texts = await bot.replies(MEMBER, i + 1)
            assert ADMIN_ONLY in texts[i], (command, texts[i])
        assert len(tg.sent_texts(MEMBER)) == len(EVERY_ADMIN_COMMAND), "one refusal each, nothing else"
        assert llm.chat_requests() == [], "no admin command reached a model"
        refused = [e for e in await audit(bot) if not e.allowed]
        # Every attempt is logged; one a minute per user is stored, so spamming /admin cannot bury real entries.
        assert [(e.user_id, e.action) for e in refused] == [(MEMBER, "/admin")]
        logged = [r for r in caplog.records if r.getMessage().startswith(f"refused admin action from user {MEMBER}")]
        assert len(logged) == len(EVERY_ADMIN_COMMAND)
        assert await bot.services.ops.access.role(MEMBER) == "member", "the forged /admin role did nothing"


async def test_a_forged_admin_button_is_refused(tmp_path, tg, llm, monkeypatch):
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch, owner_ids=[OWNER]) as bot:
        tg.press_button(TOKEN, chat_id=MEMBER, user_id=MEMBER, message_id=1, data=f"adm:users:role:{MEMBER}:admin")
        await tg.wait_for(lambda: tg.calls_of("answerCallbackQuery"))
        [answer] = tg.calls_of("answerCallbackQuery")
        assert ADMIN_ONLY in answer.params["text"] and answer.params.get("show_alert")
        assert await bot.services.ops.access.role(MEMBER) == "member"
        assert [(e.user_id, e.action, e.allowed) for e in await audit(bot)] == [
            (MEMBER, f"adm:users:role:{MEMBER}:admin", False)]
        bot.say(f"/admin ban {OTHER}", user_id=OWNER, chat_id=OWNER)
        await bot.replies(OWNER)
        tg.press_button(TOKEN, chat_id=OTHER, user_id=OTHER, message_id=1, data=f"adm:users:role:{OTHER}:member")
        await tg.wait_for(lambda: len(tg.calls_of("answerCallbackQuery")) == 2)
        banned = tg.calls_of("answerCallbackQuery")[1]
        assert "закрив вам доступ" in banned.params["text"] and banned.params.get("show_alert")
        assert await bot.services.ops.access.role(OTHER) == "banned", "a banned user cannot unban themselves"
        assert (OTHER, f"adm:users:role:{OTHER}:member", False) in [(e.user_id, e.action, e.allowed)
                                                                  for e in await audit(bot)]


async def test_the_owner_gets_the_panel_and_can_appoint_an_admin_who_cannot_appoint_others(
        tmp_path, tg, llm, monkeypatch):
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch, owner_ids=[OWNER]) as bot:
        bot.say("/start", user_id=MEMBER, chat_id=MEMBER)  # the member is known by name
        await bot.replies(MEMBER)
        bot.say("/admin", user_id=OWNER, chat_id=OWNER)
        await bot.replies(OWNER)
        panel = tg.messages(OWNER)[-1]
        buttons = [b["callback_data"] for row in panel["reply_markup"]["inline_keyboard"] for b in row]
        assert {"adm:stats", "adm:providers", "adm:users", "adm:kb", "adm:broadcast", "adm:reload"} <= set(buttons)
        bot.say(f"/admin role {MEMBER} admin", user_id=OWNER, chat_id=OWNER)
        assert "роль тепер admin" in (await bot.replies(OWNER, 2))[1]
        bot.say(f"/admin role {OTHER} admin", user_id=MEMBER, chat_id=MEMBER)  # the new admin tries to appoint one
        assert "лише власники" in (await bot.replies(MEMBER, 2))[1]
        assert await bot.services.ops.access.role(OTHER) == "member"
        bot.say("/admin users", user_id=MEMBER, chat_id=MEMBER)
        assert "Режим доступу: open" in (await bot.replies(MEMBER, 3))[2]
        bot.say(f"/admin ban {OWNER}", user_id=MEMBER, chat_id=MEMBER)  # nobody bans an owner
        assert "Не можна" in (await bot.replies(MEMBER, 4))[3]
        assert await bot.services.ops.access.role(OWNER) == "owner"
        bot.say("/admin audit", user_id=OWNER, chat_id=OWNER)
        log = (await bot.replies(OWNER, 3))[2]
        assert f"{MEMBER} · /admin ban {OWNER}" in log and f"{OWNER} · /admin role {MEMBER}" in log


async def test_a_banned_user_is_told_once_and_cannot_use_admin_commands_or_models(tmp_path, tg, llm, monkeypatch):
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch, owner_ids=[OWNER]) as bot:
        bot.say(f"/admin ban {OTHER}", user_id=OWNER, chat_id=OWNER)
        assert "banned" in (await bot.replies(OWNER))[0]
        bot.say("/admin stats", user_id=OTHER, chat_id=OTHER)
        [notice] = await bot.replies(OTHER)
        assert "закрив вам доступ" in notice
        bot.say("Привіт", user_id=OTHER, chat_id=OTHER)
        bot.say("/help", user_id=OTHER, chat_id=OTHER)
        await tg.wait_for(lambda: tg.pending_updates(TOKEN) == 0)
        bot.say("/whoami", user_id=OWNER, chat_id=OWNER)  # a marker: updates are handled in order per bot
        await bot.replies(OWNER, 2)
        assert len(tg.sent_texts(OTHER)) == 1, "the notice is not repeated to a user who keeps writing"
        assert llm.chat_requests() == []
        refused = [(e.user_id, e.action) for e in await audit(bot) if not e.allowed]
        assert refused == [(OTHER, "/admin stats")]
        bot.say(f"/admin unban {OTHER}", user_id=OWNER, chat_id=OWNER)
        await bot.replies(OWNER, 3)
        bot.say("Привіт", user_id=OTHER, chat_id=OTHER)
        assert (await bot.replies(OTHER, 2))[1] == "echo: Привіт"


async def test_invite_codes_let_one_person_in_once(tmp_path, tg, llm, monkeypatch):
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch, owner_ids=[OWNER],
                           access_mode="invite") as bot:
        bot.say("Привіт", user_id=MEMBER, chat_id=MEMBER)
        [closed] = await bot.replies(MEMBER)
        assert "приватний бот" in closed and str(MEMBER) in closed and "/start КОД" in closed
        bot.say("/admin invite", user_id=OWNER, chat_id=OWNER)
        [invite] = await bot.replies(OWNER)
        code = re.search(r"start=(\S+)", invite).group(1)
        bot.say(f"/start {code}", user_id=MEMBER, chat_id=MEMBER)
        texts = await bot.replies(MEMBER, 3)
        assert "Запрошення прийнято" in texts[1] and "Вітаю" in texts[2]
        bot.say("Привіт", user_id=MEMBER, chat_id=MEMBER)
        assert (await bot.replies(MEMBER, 4))[3] == "echo: Привіт"
        bot.say(f"/start {code}", user_id=OTHER, chat_id=OTHER)  # the same code again
        [used] = await bot.replies(OTHER)
        assert "недійсний" in used
        bot.say("Привіт", user_id=OTHER, chat_id=OTHER)
        bot.say("/whoami", user_id=OTHER, chat_id=OTHER)  # still open to a guest: they need their id
        texts = await bot.replies(OTHER, 2)
        assert str(OTHER) in texts[1]
        assert [r.json["messages"][-1]["content"] for r in llm.chat_requests()] == ["Привіт"]


async def test_allowlist_mode_and_a_group_allowed_as_a_whole(tmp_path, tg, llm, monkeypatch):
    group = -100500
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch, owner_ids=[OWNER],
                           access_mode="allowlist") as bot:
        bot.say("@dagi_bot привіт", user_id=OTHER, chat_id=group, chat_type="supergroup")
        [not_yet] = await bot.replies(group)
        assert "/admin allow" in not_yet
        bot.say("просто розмова", user_id=OTHER, chat_id=group, chat_type="supergroup")
        bot.say("/admin allow", user_id=OWNER, chat_id=group, chat_type="supergroup")
        assert "дозволено" in (await bot.replies(group, 2))[1]
        bot.say("@dagi_bot привіт", user_id=OTHER, chat_id=group, chat_type="supergroup")
        assert (await bot.replies(group, 3))[2] == "echo: привіт"
        bot.say("привіт", user_id=OTHER, chat_id=OTHER)  # a guest is not admitted to a private chat
        assert "приватний бот" in (await bot.replies(OTHER))[0]
        bot.say(f"/admin role {OTHER} member", user_id=OWNER, chat_id=OWNER)  # the allow-list: admitted by an admin
        await bot.replies(OWNER)
        bot.say("привіт знову", user_id=OTHER, chat_id=OTHER)
        assert (await bot.replies(OTHER, 2))[1] == "echo: привіт знову"


async def test_a_quota_set_from_chat_is_enforced_by_the_router(tmp_path, tg, llm, monkeypatch):
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch, owner_ids=[OWNER]) as bot:
        bot.say(f"/admin quota user {MEMBER} - 1", user_id=OWNER, chat_id=OWNER)
        assert "1 запит" in (await bot.replies(OWNER))[0]  # a real plural form, once "запитів: 1"
        bot.say("перше", user_id=MEMBER, chat_id=MEMBER)
        await bot.replies(MEMBER)
        bot.say("друге", user_id=MEMBER, chat_id=MEMBER)
        notice = (await bot.replies(MEMBER, 2))[1]
        assert "ліміт" in notice and "1 запит" in notice
        assert len(llm.chat_requests()) == 1
        bot.say(f"/admin usage {MEMBER}", user_id=OWNER, chat_id=OWNER)
        report = (await bot.replies(OWNER, 2))[1]
        assert report.startswith(f"Olena ({MEMBER})") and "DAARWIZZ — 1 запит," in report
        assert "Разом — 1 запит," in report
        bot.say(f"/admin quota user {MEMBER} reset", user_id=OWNER, chat_id=OWNER)
        await bot.replies(OWNER, 3)
        bot.say("третє", user_id=MEMBER, chat_id=MEMBER)
        assert (await bot.replies(MEMBER, 3))[2] == "echo: третє"
        bot.say("/admin quota chat -100777 0 5", user_id=OWNER, chat_id=OWNER)  # a group's quota
        assert "chat -100777" in (await bot.replies(OWNER, 4))[3]
        assert (await bot.services.ledger.totals("chat", -100777, "2026-01-01")).limit_requests == 5


async def test_a_banned_user_may_still_delete_their_data_and_stays_banned(tmp_path, tg, llm, monkeypatch):
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch, owner_ids=[OWNER]) as bot:
        bot.say("Привіт", user_id=OTHER, chat_id=OTHER)
        await bot.replies(OTHER)
        bot.say(f"/admin ban {OTHER}", user_id=OWNER, chat_id=OWNER)
        await bot.replies(OWNER)
        bot.say("/forget", user_id=OTHER, chat_id=OTHER)
        preview = (await bot.replies(OTHER, 2))[1]
        assert "повідомлення (ваші, відповіді на них" in preview and "закрив" not in preview
        question = dict(tg.messages(OTHER)[-1])  # a copy: the fake edits its message in place
        tg.press_button(TOKEN, chat_id=OTHER, user_id=OTHER, message_id=question["message_id"],
                        data=f"forget:yes:{OTHER}")
        await tg.wait_for(lambda: tg.messages(OTHER)[-1]["text"] != question["text"])
        assert "Видалено" in tg.messages(OTHER)[-1]["text"]
        assert await bot.services.ops.access.role(OTHER) == "banned", "forgetting does not lift a ban"
        bot.say("Привіт знову", user_id=OTHER, chat_id=OTHER)
        await tg.wait_for(lambda: tg.pending_updates(TOKEN) == 0)
        assert len(llm.chat_requests()) == 1


async def test_an_id_names_exactly_that_user_and_admins_cannot_limit_owners(tmp_path, tg, llm, monkeypatch):
    target = 555000111
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch, owner_ids=[OWNER]) as bot:
        bot.say("/start", user_id=100, chat_id=100, first_name=str(target))  # a name that looks like someone's id
        bot.say("/start", user_id=target, chat_id=target)
        await bot.replies(100), await bot.replies(target)
        bot.say(f"/admin role {target} admin", user_id=OWNER, chat_id=OWNER)
        assert f"({target}): роль тепер admin" in (await bot.replies(OWNER))[0]
        assert await bot.services.ops.access.role(target) == "admin"
        assert await bot.services.ops.access.role(100) == "member", "the look-alike name was not picked"
        bot.say(f"/admin quota user {OWNER} 1 1", user_id=target, chat_id=target)  # an admin limits an owner
        assert "Не можна" in (await bot.replies(target, 2))[1]
        bot.say("/admin quota user 100 % 1", user_id=target, chat_id=target)
        bot.say("/admin ban %", user_id=target, chat_id=target)  # a wildcard is not a name
        texts = await bot.replies(target, 4)
        assert "Приклад" in texts[2] and "Нікого не знайдено" in texts[3]
        assert await bot.services.ops.access.role(100) == "member"


async def test_a_name_that_fits_several_users_asks_for_the_id(tmp_path, tg, llm, monkeypatch):
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch, owner_ids=[OWNER]) as bot:
        for uid in (3001, 3002):
            bot.say("/start", user_id=uid, chat_id=uid, first_name="Olena")
            await bot.replies(uid)
        bot.say("/admin ban Olena", user_id=OWNER, chat_id=OWNER)
        assert "кілька користувачів" in (await bot.replies(OWNER))[0]
        bot.say("/admin user Olena", user_id=OWNER, chat_id=OWNER)
        cards = (await bot.replies(OWNER, 3))[1:]
        assert sorted(c.split("\n")[0] for c in cards) == ["Olena (3001)", "Olena (3002)"]
        assert {await bot.services.ops.access.role(u) for u in (3001, 3002)} == {"member"}
        card = next(m for m in tg.messages(OWNER) if m["text"].startswith("Olena (3001)"))
        data = [b["callback_data"] for row in card["reply_markup"]["inline_keyboard"] for b in row]
        assert "adm:users:role:3001:banned" in data and "adm:users:usage:3001" in data
        tg.press_button(TOKEN, chat_id=OWNER, user_id=OWNER, message_id=card["message_id"],
                        data="adm:users:role:3001:banned")
        await tg.wait_for(lambda: "роль тепер banned" in tg.messages(OWNER)[-1]["text"]
                          or any("роль тепер banned" in m["text"] for m in tg.messages(OWNER)))
        access = bot.services.ops.access
        assert await access.role(3001) == "banned" and await access.role(3002) == "member"
