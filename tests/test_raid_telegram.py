"""Raid mode on Telegram, through python-telegram-bot against the fake Bot API: a join flood
restricts every member of the window and locks the chat, the alert's buttons and /raid's verbs
work for administrators only, and the end restores the chat's permissions and releases the held
members, after a restart too."""

from __future__ import annotations

from bot.adapters.telegram import TelegramConfig, running
from bot.fakes.telegram import OPEN_CHAT
from bot.service import ModerationService
from tests.test_telegram import ADMIN, GROUP, LOG, MEMBER, bot, fake, storage  # noqa: F401

RAIDERS = [(500 + i, f"Raider {i}") for i in range(6)]
OTHER_ADMIN = 77  # administers another group, not this one
LOCKED = {k: False for k in OPEN_CHAT if k.startswith("can_")}


async def _flood(fake, bot, action="lock"):
    await bot.service.update_settings(str(GROUP), "setup", {
        "raid_joins": 5, "raid_window": 60, "raid_action": action})
    for uid, name in RAIDERS[:5]:
        fake.join(GROUP, (uid, name))
    return await fake.wait_for("sendMessage", chat_id=LOG)


async def test_a_join_flood_holds_the_window_and_locks_the_chat(fake, bot):
    (alert,) = await _flood(fake, bot)
    assert alert["text"].startswith("🚨 Chế độ chống raid đã bật (tự động): 5 thành viên")
    labels = [b["text"] for b in alert["reply_markup"]["inline_keyboard"][0]]
    assert labels == ["Tắt chế độ raid", "Cấm 5 người mới vào", "Gia hạn 30 phút"]
    held = await fake.wait_for("restrictChatMember", 5)
    assert sorted(int(h["user_id"]) for h in held) == [u for u, _ in RAIDERS[:5]]
    assert all(h["permissions"]["can_send_messages"] is False and int(h["until_date"]) > 0
               for h in held)
    (lock,) = await fake.wait_for("setChatPermissions")
    assert lock["permissions"]["can_send_messages"] is False
    # a member who joins during the raid is held at once
    fake.join(GROUP, RAIDERS[5])
    later = (await fake.wait_for("restrictChatMember", 6))[5]
    assert later["user_id"] == str(RAIDERS[5][0])

    # (the ones who joined since it began are also challenged: raid mode turns it on)
    (challenges,) = await fake.wait_for("sendMessage", chat_id=GROUP)  # one post for both
    assert [line[:9] for line in challenges["text"].split("\n\n")] == ["👋 Chào Ra"] * 2
    await fake.idle(quiet=0.2)
    fake.calls.clear()
    fake.message(GROUP, ADMIN, "/raid end")
    (reply,) = await fake.wait_for("sendMessage", chat_id=GROUP)
    assert reply["text"] == "Raid mode ended; its changes are being undone."
    (unlock,) = await fake.wait_for("setChatPermissions")
    assert unlock["permissions"] == {k: v for k, v in OPEN_CHAT.items()}
    released = await fake.wait_for("restrictChatMember", 6)
    assert sorted(int(r["user_id"]) for r in released) == [u for u, _ in RAIDERS]
    assert all(r["permissions"]["can_send_messages"] is True for r in released)
    end = (await fake.wait_for("sendMessage", chat_id=LOG))[0]
    assert end["text"].startswith("✅ Chế độ chống raid đã tắt (điều hành viên 7). 6 thành viên")


async def test_restrict_holds_members_but_leaves_the_chat_open(fake, bot):
    await _flood(fake, bot, "restrict")
    await fake.wait_for("restrictChatMember", 5)
    await fake.idle(quiet=0.2)
    assert fake.calls_to("setChatPermissions") == []


async def test_alert_buttons_end_extend_and_ban_on_a_second_press(fake, bot):
    (alert,) = await _flood(fake, bot)
    await fake.wait_for("restrictChatMember", 5)
    data = {b["text"]: b["callback_data"] for b in alert["reply_markup"]["inline_keyboard"][0]}
    log_msg = {"message_id": 1, "date": 0, "chat": {"id": LOG, "type": "supergroup"},
               "text": alert["text"], "reply_markup": alert["reply_markup"]}
    # someone who is not an administrator of the group gets nothing done
    fake.callback(MEMBER, data["Cấm 5 người mới vào"], log_msg)
    (refused,) = await fake.wait_for("answerCallbackQuery")
    assert refused["text"] == "Only moderators of that group can do this."
    fake.callback(ADMIN, data["Cấm 5 người mới vào"], log_msg)
    (first,) = (await fake.wait_for("answerCallbackQuery", 2))[1:]
    assert first["text"].startswith("This would ban the 5 member(s)")
    assert first["show_alert"] is True and fake.calls_to("banChatMember") == []
    fake.callback(ADMIN, data["Cấm 5 người mới vào"], log_msg)
    banned = await fake.wait_for("banChatMember", 5)
    assert sorted(int(b["user_id"]) for b in banned) == [u for u, _ in RAIDERS[:5]]
    (edited,) = await fake.wait_for("editMessageText")
    assert edited["text"].endswith("✔ Cấm 5 người mới vào — Mod")
    assert [b["text"] for b in edited["reply_markup"]["inline_keyboard"][0]] == [
        "Tắt chế độ raid", "Gia hạn 30 phút"]
    fake.callback(ADMIN, data["Gia hạn 30 phút"], log_msg)
    extended = (await fake.wait_for("answerCallbackQuery", 4))[3]
    assert extended["text"].startswith("Raid mode stays on until at least")
    await fake.wait_for("editMessageText", 2)
    fake.calls.clear()
    fake.callback(ADMIN, data["Tắt chế độ raid"], log_msg)
    await fake.wait_for("setChatPermissions")
    (edited,) = await fake.wait_for("editMessageText")
    assert "reply_markup" not in edited  # the alert is settled: no button left
    # the banned are not released: there is nothing to lift
    await fake.idle(quiet=0.2)
    assert fake.calls_to("restrictChatMember") == []


async def test_raid_commands_for_administrators_of_this_group_only(fake, bot):
    fake.admins[-3003] = {OTHER_ADMIN}
    for who in (MEMBER, OTHER_ADMIN):
        for text in ("/raid start", "/raid status", "/raid end", "/raid ban-joined 10m yes"):
            fake.calls.clear()
            fake.message(GROUP, who, text)
            (reply,) = await fake.wait_for("sendMessage", chat_id=GROUP)
            assert reply["text"].startswith("Chỉ quản trị viên"), text
    assert (await bot.service.raid_status(str(GROUP))).raid is None
    fake.calls.clear()
    fake.message(GROUP, ADMIN, "/raid")
    (reply,) = await fake.wait_for("sendMessage", chat_id=GROUP)
    assert reply["text"].startswith("Raid mode is off. 0 join(s) in the last 60s")
    fake.message(GROUP, ADMIN, "/raid sideways")
    reply = (await fake.wait_for("sendMessage", 2, chat_id=GROUP))[1]
    assert reply["text"].startswith("use: /raid status | start | end")


async def test_ban_joined_previews_then_bans(fake, bot):
    for uid, name in RAIDERS[:3]:
        fake.join(GROUP, (uid, name))
    await fake.idle(quiet=0.2)
    fake.message(GROUP, ADMIN, "/raid ban-joined 10m")
    (preview,) = await fake.wait_for("sendMessage", chat_id=GROUP)
    assert preview["text"].startswith("This would ban the 3 member(s) who joined since")
    assert preview["text"].endswith("To do it: /raid ban-joined 10m yes")
    assert fake.calls_to("banChatMember") == []
    fake.message(GROUP, ADMIN, "/raid ban-joined 10m yes")
    banned = await fake.wait_for("banChatMember", 3)
    assert sorted(int(b["user_id"]) for b in banned) == [u for u, _ in RAIDERS[:3]]


async def test_raid_mode_and_its_lock_survive_a_restart(fake, storage, engine, clock):
    service = ModerationService(storage, engine, clock)
    await service.update_settings(str(GROUP), "setup", {"log_channel": str(LOG),
                                                        "raid_action": "lock"})
    config = TelegramConfig(token=fake.token, api_base_url=fake.base_url)
    async with running(config, service, engine):
        fake.join(GROUP, RAIDERS[0])
        await fake.idle(quiet=0.2)
        fake.message(GROUP, ADMIN, "/raid start")
        await fake.wait_for("setChatPermissions")
        await fake.wait_for("restrictChatMember")
    fake.calls.clear()
    again = ModerationService(storage, engine, clock)
    async with running(config, again, engine):
        fake.message(GROUP, ADMIN, "/raid status")
        (status,) = await fake.wait_for("sendMessage", chat_id=GROUP)
        assert status["text"].startswith("Raid mode is ON since")
        assert "(started by 7, action lock): 1 member(s) joined" in status["text"]
        fake.join(GROUP, RAIDERS[1])
        (held,) = await fake.wait_for("restrictChatMember")
        assert held["user_id"] == str(RAIDERS[1][0])
        fake.message(GROUP, ADMIN, "/raid end")
        (unlock,) = await fake.wait_for("setChatPermissions")
        assert unlock["permissions"] == OPEN_CHAT  # as it was before the first process locked it
        await fake.wait_for("restrictChatMember", 3)


async def test_a_refused_restriction_is_told_to_moderators(fake, bot):
    fake.fail("restrictChatMember", 400, "Bad Request: not enough rights to restrict/unrestrict "
              "chat member", times=100)
    await _flood(fake, bot, "restrict")
    told = (await fake.wait_for("sendMessage", 2, chat_id=LOG))[1]
    assert told["text"].startswith("⚠️ Không thể hạn chế thành viên 50")
    assert "Not enough rights to restrict/unrestrict chat member" in told["text"]
    await fake.idle(quiet=0.3)
    # once an hour, not once per member
    assert len([c for c in fake.calls_to("sendMessage") if c["chat_id"] == str(LOG)]) == 2


# -- a new member's first messages --------------------------------------------------------------

NEWBIE = 640


def _raw_message(fake, user_id, **content):
    fake.push({"message": {
        "message_id": 7000 + len(fake.calls), "date": 0,
        "chat": {"id": GROUP, "type": "supergroup", "title": "Group"},
        "from": {"id": user_id, "is_bot": False, "first_name": "New"}, **content}})


async def test_a_new_members_link_is_removed_to_review_an_old_members_is_left(fake, bot,
                                                                             storage):
    fake.message(GROUP, MEMBER, "tài liệu ở https://example.com/docs")  # there before the bot
    await fake.idle(quiet=0.2)
    assert fake.calls_to("deleteMessage") == []
    fake.join(GROUP, (NEWBIE, "New"))
    await fake.idle(quiet=0.2)
    sent = fake.message(GROUP, NEWBIE, "kiếm tiền online https://example.com/dang-ky")
    (deleted,) = await fake.wait_for("deleteMessage")
    assert deleted["message_id"] == str(sent["message_id"])
    (notice,) = await fake.wait_for("sendMessage", chat_id=GROUP)
    assert notice["text"].startswith("⏳ Tin nhắn của bạn đã được tạm ẩn")
    assert "reply_parameters" not in notice and "reply_to_message_id" not in notice
    (review,) = await fake.wait_for("sendMessage", chat_id=LOG)
    assert "thành viên mới, tin nhắn đã tạm xoá" in review["text"]
    assert [b["text"] for b in review["reply_markup"]["inline_keyboard"][0]] == [
        "Xác nhận #1", "Bỏ qua #1"]
    assert await storage.list_cases(str(GROUP)) == []


async def test_a_new_members_forward_and_contact_card_are_held(fake, bot):
    fake.join(GROUP, (NEWBIE, "New"))
    await fake.idle(quiet=0.2)
    _raw_message(fake, NEWBIE, text="tin nóng", forward_origin={
        "type": "channel", "date": 0, "message_id": 5,
        "chat": {"id": -100777, "type": "channel", "title": "Kênh"}})
    _raw_message(fake, NEWBIE, contact={"phone_number": "0912345678", "first_name": "Hỗ trợ"})
    await fake.wait_for("deleteMessage", 2)
    reviews = await fake.wait_for("sendMessage", 2, chat_id=LOG)
    assert ["new.forwarded-post" in r["text"] for r in reviews] == [True, False]
    assert ["new.contact-card" in r["text"] for r in reviews] == [False, True]


async def test_a_member_on_the_shared_block_list_is_banned_on_joining(fake, storage, engine,
                                                                     clock):
    from bot.fakes.blocklist import FakeBlockList
    from bot.service.blocklist import SharedBlockList

    cas = FakeBlockList()
    await cas.start()
    cas.listed.add("650")
    shared = SharedBlockList(cas.url)
    service = ModerationService(storage, engine, clock, blocklist=shared)
    await service.update_settings(str(GROUP), "setup", {"log_channel": str(LOG)})
    config = TelegramConfig(token=fake.token, api_base_url=fake.base_url)
    try:
        async with running(config, service, engine):
            fake.join(GROUP, (650, "Spam"), (651, "Fine"))
            (ban,) = await fake.wait_for("banChatMember")
            assert ban["user_id"] == "650"
            (log,) = await fake.wait_for("sendMessage", chat_id=LOG)
            assert "blocklist.shared" in log["text"]
            await fake.idle(quiet=0.2)
            assert len(fake.calls_to("banChatMember")) == 1 and cas.asked == ["650", "651"]
    finally:
        await shared.close()
        await cas.stop()


async def test_a_members_next_message_is_removed_without_waiting_for_an_earlier_warning(
        fake, bot):
    # the first warning into the group is slow to go out (Telegram's pace, or a slow answer)
    fake.hold("sendMessage", 3.0, chat_id=GROUP)
    first = fake.message(GROUP, MEMBER, "địt mẹ mày")
    await fake.wait_for("deleteMessage")
    second = fake.message(GROUP, MEMBER, "đồ ngu")
    # removed within two seconds: not after the first warning's three
    deleted = await fake.wait_for("deleteMessage", 2, timeout=2.0)
    assert [d["message_id"] for d in deleted] == [str(first["message_id"]),
                                                  str(second["message_id"])]
    await fake.wait_for("sendMessage", 2, chat_id=GROUP, timeout=10.0)  # both warnings, later


# -- verification ---------------------------------------------------------------------------------

async def _challenged(fake, bot, storage, uid):
    from tests.test_raids import right_letter

    await bot.service.update_settings(str(GROUP), "setup", {"verify": "on",
                                                            "verify_seconds": 30})
    fake.join(GROUP, (uid, "Vy"))
    (held,) = await fake.wait_for("restrictChatMember")
    assert held["user_id"] == str(uid) and held["permissions"]["can_send_messages"] is False
    (challenge,) = await fake.wait_for("sendMessage", chat_id=GROUP)
    assert challenge["text"].startswith("👋 Chào Vy! Để chứng minh bạn là người thật, hãy bấm ")
    buttons = challenge["reply_markup"]["inline_keyboard"][0]
    assert len(buttons) == 4
    right = await right_letter(storage, str(uid))
    data = {b["callback_data"].split(":")[0][-1]: b["callback_data"] for b in buttons}
    sent = next(c.result for c in fake.calls if c.method == "sendMessage")
    return data, right, sent


async def test_a_new_member_passes_the_button_challenge(fake, bot, storage):
    data, right, sent = await _challenged(fake, bot, storage, 660)
    fake.callback(MEMBER, data[right], sent)  # someone else cannot answer for them
    (refused,) = await fake.wait_for("answerCallbackQuery")
    assert refused["text"] == "Nút này dành cho người khác. / This button is for someone else."
    fake.callback(660, data[right], sent)
    released = (await fake.wait_for("restrictChatMember", 2))[1]
    assert released["user_id"] == "660" and released["permissions"]["can_send_messages"] is True
    # (the post may carry other members' challenges too: it goes when its time is up)
    assert fake.calls_to("deleteMessage") == []
    # they leave and come back: never asked again
    fake.calls.clear()
    fake.join(GROUP, (660, "Vy"))
    await fake.idle(quiet=0.3)
    assert fake.calls_to("sendMessage") == [] and fake.calls_to("restrictChatMember") == []


async def test_a_wrong_press_or_the_time_running_out_removes_them(fake, bot, storage, clock):
    data, right, sent = await _challenged(fake, bot, storage, 661)
    wrong = next(k for k in data if k != right)
    fake.callback(661, data[wrong], sent)
    (ban,) = await fake.wait_for("banChatMember")
    (unban,) = await fake.wait_for("unbanChatMember")  # a kick: free to join and try again
    assert ban["user_id"] == unban["user_id"] == "661" and unban["only_if_banned"] is True
    fake.calls.clear()
    fake.join(GROUP, (662, "Vy"))
    await fake.wait_for("sendMessage", chat_id=GROUP)
    await fake.idle(quiet=0.2)  # (its time counts from the post, once the post is confirmed)
    clock.offset += 31
    bot.scheduler.wake()
    (ban,) = await fake.wait_for("banChatMember")
    assert ban["user_id"] == "662"
    assert await storage.list_cases(str(GROUP)) == []


async def test_joiners_challenges_share_posts_and_each_counts_from_its_post(fake, bot,
                                                                           storage):
    # a post waits a moment for others to join it: six joins, one post
    await bot.service.update_settings(str(GROUP), "setup", {"verify": "on"})
    fake.join(GROUP, *[(670 + i, f"Vy{i}") for i in range(6)])
    (post,) = await fake.wait_for("sendMessage", chat_id=GROUP)
    await fake.idle(quiet=0.3)
    assert len(fake.calls_to("sendMessage")) == 1
    rows = post["reply_markup"]["inline_keyboard"]
    assert sorted(int(r[0]["callback_data"].split(":")[1]) for r in rows) == list(
        range(670, 676))
    assert all(len(r) == 4 for r in rows)
    # each member's time counts from when their challenge was posted (two seconds late here)
    from tests.conftest import raw
    for row in await raw(storage, "SELECT joined_at, challenge_until FROM member_joins"):
        assert row["challenge_until"] - row["joined_at"] >= 120 + 1.5


# -- join requests ----------------------------------------------------------------------------

async def _asked(fake, bot, storage, uid, settings=None):
    """Someone asks to join a group that verifies: the challenge comes by private message."""
    from tests.test_raids import right_letter

    await bot.service.update_settings(str(GROUP), "setup", settings or {"verify": "on"})
    fake.request_join(GROUP, uid, "Lan")
    (challenge,) = await fake.wait_for("sendMessage", chat_id=uid)
    assert challenge["text"].startswith("👋 Chào Lan! Bạn vừa xin vào nhóm. Để chứng minh bạn là "
                                        "người thật, hãy bấm ")
    buttons = challenge["reply_markup"]["inline_keyboard"][0]
    assert len(buttons) == 4 and all(b["callback_data"].endswith(f":{uid}:{GROUP}")
                                     for b in buttons)
    right = await right_letter(storage, str(uid))
    data = {b["callback_data"].split(":")[0][-1]: b["callback_data"] for b in buttons}
    sent = next(c.result for c in fake.calls if c.method == "sendMessage")
    assert sent["chat"]["type"] == "private"
    assert fake.calls_to("approveChatJoinRequest") == fake.calls_to("restrictChatMember") == []
    return data, right, sent


async def test_a_join_request_is_approved_after_the_private_challenge(fake, bot, storage):
    data, right, sent = await _asked(fake, bot, storage, 680)
    fake.callback(680, data[right], sent)
    (approve,) = await fake.wait_for("approveChatJoinRequest")
    assert approve["chat_id"] == str(GROUP) and approve["user_id"] == "680"
    (edited,) = await fake.wait_for("editMessageText")
    assert edited["text"].endswith("\n\n✅ Cảm ơn bạn! Yêu cầu vào nhóm đã được duyệt.")
    assert "reply_markup" not in edited  # the buttons are gone
    # Telegram posts their join: they passed already, so they are neither held nor asked again
    await fake.idle(quiet=0.3)
    assert fake.calls_to("restrictChatMember") == [] and \
        fake.calls_to("sendMessage") == [sent_params(fake, 680)]
    assert (await storage.joins_since(str(GROUP), 0))[0][0] == "680"
    # they leave and ask again: approved at once
    fake.calls.clear()
    fake.request_join(GROUP, 680, "Lan")
    await fake.wait_for("approveChatJoinRequest")
    await fake.idle(quiet=0.3)
    assert fake.calls_to("sendMessage") == [] and fake.calls_to("restrictChatMember") == []


def sent_params(fake, chat):
    return next(c.params for c in fake.calls if c.method == "sendMessage"
                and c.params["chat_id"] == str(chat))


async def test_a_wrong_press_or_no_answer_declines_the_request(fake, bot, storage, clock):
    data, right, sent = await _asked(fake, bot, storage, 681)
    wrong = next(k for k in data if k != right)
    fake.callback(681, data[wrong], sent)
    (decline,) = await fake.wait_for("declineChatJoinRequest")
    assert decline["user_id"] == "681"
    (edited,) = await fake.wait_for("editMessageText")
    assert edited["text"].endswith("❌ Chưa đúng, yêu cầu vào nhóm đã bị từ chối. Bạn có thể "
                                   "xin vào lại và thử lần nữa.")
    # a second press finds nothing waiting, and nobody was kicked (they were never in)
    fake.callback(681, data[right], sent)
    (_, late) = await fake.wait_for("answerCallbackQuery", 2)
    assert late["text"] == "Không có thử thách nào đang chờ. / There is no challenge waiting."
    fake.calls.clear()
    fake.request_join(GROUP, 682, "Lan")
    await fake.wait_for("sendMessage", chat_id=682)
    await fake.idle(quiet=0.2)
    clock.offset += 121
    bot.scheduler.wake()
    (decline,) = await fake.wait_for("declineChatJoinRequest")
    assert decline["user_id"] == "682"
    await fake.idle(quiet=0.2)
    assert fake.calls_to("banChatMember") == [] and fake.calls_to("approveChatJoinRequest") == []
    assert await storage.list_cases(str(GROUP)) == []
    kinds = [(e.action, e.detail.get("why")) for e in await storage.audit_log(str(GROUP))
             if e.action == "verification_failed"]
    assert kinds == [("verification_failed", "wrong answer"),
                     ("verification_failed", "no answer in time")]
    # neither counts as a join (a flood of requests is not members in the group)
    assert await storage.joins_since(str(GROUP), 1) == []


async def test_a_request_is_left_to_administrators_unless_the_group_verifies(fake, bot):
    fake.request_join(GROUP, 683, "Lan")
    await fake.idle(quiet=0.3)
    assert fake.calls == [c for c in fake.calls if c.method == "getUpdates"]
    assert (GROUP, 683) in fake.requests


async def test_a_request_from_a_blocked_member_is_declined_and_banned(fake, bot, storage):
    await storage.block_members(str(GROUP), [("684", "spam")], "7", 0.0)
    fake.request_join(GROUP, 684, "Spam")
    (ban,) = await fake.wait_for("banChatMember")
    (decline,) = await fake.wait_for("declineChatJoinRequest")
    assert ban["user_id"] == decline["user_id"] == "684"
    assert [c.rule_ids for c in await storage.list_cases(str(GROUP))] == [("blocklist.community",)]


async def test_an_administrator_settling_the_request_first_is_no_failure(fake, bot, storage):
    data, right, sent = await _asked(fake, bot, storage, 685)
    fake.requests.discard((GROUP, 685))  # an administrator approved it by hand meanwhile
    fake.callback(685, data[right], sent)
    await fake.wait_for("approveChatJoinRequest")
    await fake.idle(quiet=0.3)
    assert fake.calls_to("sendMessage") == [sent_params(fake, 685)]  # nothing told to the log
