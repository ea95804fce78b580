"""Raid mode in the service, on both databases: a flood of joins starts it over the whole window,
members who join during it are held, raiders' messages keep it going and slow their channels, it
ends after the cooldown or by a moderator with every change undone, it survives a restart, and a
moderator can ban everyone who joined (after a preview)."""

from __future__ import annotations

import pytest

from bot.service import Action, Incoming, ModerationService, ServiceError
from tests.conftest import raw
from tests.test_service import G, T0, clock  # noqa: F401 (the service tests' own clock)

LOG = "-1009"


@pytest.fixture
async def service(storage, engine, clock):
    svc = ModerationService(storage, engine, clock)
    await svc.update_settings(G, "admin", {"log_channel": LOG, "raid_joins": 5,
                                           "raid_window": 60, "raid_cooldown": 300})
    return svc


async def join(service, clock, member, seconds=2.0, platform="telegram"):
    clock.advance(seconds)
    return await service.on_member_joined(platform, G, member, f"Name {member}")


def said(actions, kind):
    return [a for a in actions if a.kind == kind]


async def test_a_join_flood_starts_raid_mode_over_the_whole_window(service, storage, clock):
    # two joins long before do not count; four within the minute do not reach five
    for m in ("old1", "old2"):
        assert await join(service, clock, m, 200) == []
    clock.advance(200)
    for m in ("r1", "r2", "r3", "r4"):
        assert await join(service, clock, m) == []
    actions = await join(service, clock, "r5")
    alert = said(actions, "modlog")
    assert len(alert) == 1 and alert[0].text.startswith("🚨 Chế độ chống raid đã bật (tự động): 5")
    assert [label for label, _ in alert[0].buttons] == [
        "Tắt chế độ raid", "Cấm 5 người mới vào", "Gia hạn 30 phút"]
    assert said(actions, "lockdown")[0].text == "restrict"
    # every member of the window that triggered it is held, not only later joiners
    assert [a.member_id for a in said(actions, "hold")] == ["r1", "r2", "r3", "r4", "r5"]
    assert all(a.until == clock.now + 86400 for a in said(actions, "hold"))
    # the one whose join started it, and every later joiner, is held and challenged (raid mode
    # turns verification on): a person gets in by passing it, without waiting for the end
    assert challenge_of(actions).member_id == "r5"
    later = await join(service, clock, "r6")
    assert [(a.kind, a.member_id) for a in later] == [("hold", "r6"), ("challenge", "r6")]
    status = await service.raid_status(G)
    assert status.raid is not None and status.joined == 6 and status.held == 6
    assert "Raid mode is ON" in status.said(None)
    (audit,) = [e for e in await storage.audit_log(G) if e.action == "raid_started"]
    assert audit.actor == "auto" and audit.detail["joins"] == 5


async def test_alert_only_changes_nothing_and_zero_joins_never_starts(service, clock):
    await service.update_settings(G, "admin", {"raid_action": "alert"})
    actions = []
    for i in range(5):
        actions = await join(service, clock, f"a{i}")
    assert [a.kind for a in actions] == ["modlog"]
    assert "chỉ cảnh báo" in actions[0].text
    await service.raid_end(G, "mod1")
    await service.update_settings(G, "admin", {"raid_joins": 0})
    for i in range(20):
        assert await join(service, clock, f"b{i}", 0.5) == []
    assert (await service.raid_status(G)).raid is None


async def test_raiders_messages_keep_it_on_and_slow_their_channel(service, clock):
    for i in range(5):
        await join(service, clock, f"r{i}")
    def post(author, channel="chat-1"):
        return Incoming("discord", G, channel, str(int(clock.now * 1000)), author,
                        "hello everyone", clock.now)
    first = await service.on_message(post("r1"))
    assert [(a.kind, a.channel_id, a.seconds) for a in first] == [("slowmode", "chat-1", 30)]
    assert await service.on_message(post("r2")) == []  # asked once per channel
    assert await service.on_message(post("regular")) == []  # an old member is no raid activity
    # quiet for less than the cooldown, then a raider posts: still on (the one challenged when
    # it began did not answer in time, and is removed)
    clock.advance(250)
    assert [(a.kind, a.member_id) for a in await service.run_due()] == [("kick", "r4")]
    await service.on_message(post("r3", "chat-2"))
    clock.advance(250)
    assert await service.run_due() == []
    assert (await service.raid_status(G)).raid is not None
    assert await service.next_due() == pytest.approx(clock.now + 50)


async def test_the_end_undoes_every_change_as_reported(service, storage, clock):
    for i in range(5):
        await join(service, clock, f"r{i}")
    lock = Incoming("telegram", G, "chat-1", "1", "r1", "hi", clock.now)
    (slow,) = await service.on_message(lock)
    # the adapter reports each change with what was there before
    await service.confirm_untracked(Action(0, "lockdown", G, text="lock"), True,
                                    '{"can_send_messages": true}')
    await service.confirm_untracked(slow, True, "0")
    # a held member muted for a violation of their own stays muted at the end
    await service.manual(G, "telegram", "r2", "mod1", "mute", "spam", minutes=60)
    clock.advance(301)
    actions = await service.run_due()
    # (r4, whose join started it, was challenged and never answered: removed, not released)
    assert [(a.kind, a.text, a.channel_id, a.seconds, a.member_id) for a in actions
            if a.kind != "modlog"] == [
        ("kick", "", "", 0, "r4"),
        ("unlock", '{"can_send_messages": true}', "", 0, ""),
        ("slowmode", "", "chat-1", 0, ""),
        ("release", "", "", 0, "r0"), ("release", "", "", 0, "r1"),
        ("release", "", "", 0, "r3")]
    (end,) = said(actions, "modlog")
    assert end.text.startswith("✅ Chế độ chống raid đã tắt (tự động). 5 thành viên")
    assert "3 người được bỏ hạn chế" in end.text
    assert (await service.raid_status(G)).raid is None
    assert [r["held_by"] for r in await raw(storage, "SELECT held_by FROM member_joins")] \
        == [None] * 5
    assert [e.action for e in await storage.audit_log(G) if e.action.startswith("raid")] == [
        "raid_started", "raid_ended"]
    assert await service.run_due() == []  # ended once


async def test_raid_mode_survives_a_restart(storage, engine, clock, service):
    for i in range(5):
        await join(service, clock, f"r{i}")
    await service.confirm_untracked(Action(0, "lockdown", G, text="restrict"), True, "paused")
    # a new process on the same database
    again = ModerationService(storage, engine, clock)
    status = await again.raid_status(G)
    assert status.raid is not None and status.joined == 5 and status.held == 5
    assert [(a.kind, a.member_id) for a in await join(again, clock, "r9")] == [
        ("hold", "r9"), ("challenge", "r9")]
    actions = await again.raid_end(G, "mod7")
    assert [a.kind for a in actions] == ["unlock", *["release"] * 6, "modlog"]
    assert actions[0].text == "paused"
    assert "điều hành viên mod7" in actions[-1].text


async def test_moderators_start_extend_end_and_ban_the_joined(service, storage, clock):
    for m in ("x1", "x2"):
        await join(service, clock, m)
    with pytest.raises(ServiceError, match="not on"):
        await service.raid_end(G, "mod1")
    actions = await service.raid_start("telegram", G, "mod1")
    assert [(a.kind, a.member_id) for a in actions if a.kind == "hold"] == [
        ("hold", "x1"), ("hold", "x2")]
    with pytest.raises(ServiceError, match="already on"):
        await service.raid_start("telegram", G, "mod1")
    until = await service.raid_extend(G, "mod1", 3600)
    assert until == clock.now + 3600
    clock.advance(600)  # past the cooldown, not past the extension
    assert await service.run_due() == []
    # ban the joined: a preview first, moderators spared
    await storage.touch_moderator(G, "x2", clock.now)
    preview, none = await service.raid_ban_joined(G, T0, "mod1")
    assert (preview.members, preview.done, none) == (1, False, [])
    assert "This would ban the 1 member(s)" in preview.said(None, "/raid ban-joined 1h yes")
    done, actions = await service.raid_ban_joined(G, T0, "mod1", confirm=True)
    assert done.done and [(a.kind, a.member_id) for a in actions] == [
        ("ban", "x1"), ("modlog", "")]
    (audit,) = [e for e in await storage.audit_log(G) if e.action == "raid_ban_joined"]
    assert audit.detail["members"] == ["x1"] and audit.actor == "mod1"
    clock.advance(3600)
    ended = await service.run_due()
    # the banned member is not released at the end: there is nothing to lift
    assert [(a.kind, a.member_id) for a in ended if a.kind == "release"] == [("release", "x2")]


async def test_the_ban_button_needs_a_second_press(service, clock):
    for i in range(5):
        await join(service, clock, f"r{i}")
    raid = (await service.raid_status(G)).raid
    text, actions = await service.raid_button(G, "raid-ban", raid.id, "mod1")
    assert actions == [] and "This would ban the 5 member(s)" in text
    clock.advance(61)  # too late: a new first press
    _, actions = await service.raid_button(G, "raid-ban", raid.id, "mod1")
    assert actions == []
    clock.advance(5)
    text, actions = await service.raid_button(G, "raid-ban", raid.id, "mod1")
    assert [a.kind for a in actions] == ["ban"] * 5 + ["modlog"]
    text, _ = await service.raid_button(G, "raid-extend", raid.id, "mod2")
    assert text.startswith("Raid mode stays on until at least")
    _, actions = await service.raid_button(G, "raid-end", raid.id, "mod2")
    assert actions[-1].kind == "modlog"
    with pytest.raises(ServiceError, match="over"):
        await service.raid_button(G, "raid-end", raid.id, "mod2")


async def test_a_failed_raid_change_is_told_to_moderators_once(service, storage, clock):
    hold = Action(0, "hold", G, member_id="r1")
    told = await service.confirm_untracked(hold, False, "Forbidden: not enough rights")
    assert [a.kind for a in told] == ["modlog"]
    assert told[0].text == ("⚠️ Không thể hạn chế thành viên r1: Forbidden: not enough rights. "
                            "Hãy kiểm tra quyền của bot.")
    assert await service.confirm_untracked(hold, False, "Forbidden: not enough rights") == []
    assert [e.action for e in await storage.audit_log(G)][-1] == "failure_reported"


# -- a new member's first messages --------------------------------------------------------------

def said_by(author, text, clock, **extra):
    return Incoming("telegram", G, "chat", str(int(clock.now * 1000)), author, text, clock.now,
                    **extra)


async def test_a_new_members_link_is_held_for_review_and_an_old_members_is_not(
        service, storage, clock):
    await service.update_settings(G, "admin", {"raid_joins": 0})
    await join(service, clock, "newbie")
    actions = await service.on_message(said_by("newbie", "kiếm tiền tại https://example.com/x",
                                               clock))
    assert [a.kind for a in actions] == ["delete", "warn", "modlog"]
    assert actions[1].text.startswith("⏳ Tin nhắn của bạn đã được tạm ẩn")
    assert actions[1].message_id == ""  # not a reply: the message is gone
    assert "thành viên mới, tin nhắn đã tạm xoá" in actions[2].text
    (item,) = await service.review_queue(G)
    assert (item.rule_ids, item.why, item.member_id) == (("new.link",), "new_member", "newbie")
    assert await storage.list_cases(G) == []  # nobody punished until a moderator confirms
    # a member the bot never saw join (there before it) posts the same: nothing
    assert await service.on_message(said_by("oldtimer", "kiếm tiền tại https://example.com/x",
                                            clock)) == []
    # a moderator confirms: the ladder decides as for any violation
    confirmed = await service.confirm_review(G, item.id, "mod1")
    (case,) = await storage.list_cases(G)
    assert case.rule_ids == ("new.link",) and case.member_id == "newbie"
    assert "delete" in [a.kind for a in confirmed]


async def test_new_until_three_messages_and_a_day_then_like_anyone(service, clock):
    await service.update_settings(G, "admin", {"raid_joins": 0})
    await join(service, clock, "n1")
    for text in ("chào mọi người", "mình ở Hà Nội", "rất vui được làm quen"):
        assert await service.on_message(said_by("n1", text, clock)) == []
    # three messages, but still the first day: a number is held
    held = await service.on_message(said_by("n1", "zalo mình 0912345678", clock))
    assert [a.kind for a in held][:2] == ["delete", "warn"]
    clock.advance(86400 + 1)
    # a day later, past three messages: a seller's own number is everyday chat again
    assert await service.on_message(said_by("n1", "zalo mình 0912345678", clock)) == []


async def test_forwards_contacts_and_mentions_from_a_new_member(service, clock):
    await service.update_settings(G, "admin", {"raid_joins": 0})
    for m in ("f", "c", "m"):
        await join(service, clock, m)
    forwarded = await service.on_message(said_by("f", "tin hot", clock, forwarded=True))
    contact = await service.on_message(said_by("c", "", clock, contact=True))
    mentions = await service.on_message(said_by("m", "@an @binh @chi xem này", clock,
                                                mention_count=3))
    assert [a.kind for a in forwarded][:2] == [a.kind for a in contact][:2] == \
        [a.kind for a in mentions][:2] == ["delete", "warn"]
    rules = [i.rule_ids for i in await service.review_queue(G)]
    assert rules == [("new.forwarded-post",), ("new.contact-card",), ("new.mentions",)]


async def test_a_new_members_real_violation_is_punished_as_anyones(service, storage, clock):
    await service.update_settings(G, "admin", {"raid_joins": 0})
    await join(service, clock, "rude")
    actions = await service.on_message(said_by("rude", "địt mẹ mày https://example.com", clock))
    (case,) = await storage.list_cases(G)
    assert case.rule_ids[0] == "vi.insult.mother" and "new.link" not in case.rule_ids
    assert "warn" in [a.kind for a in actions]


async def test_first_message_scrutiny_off_and_new_members_known_after_a_restart(
        service, storage, engine, clock):
    await service.update_settings(G, "admin", {"raid_joins": 0})
    await join(service, clock, "n2")
    await service.on_message(said_by("n2", "chào", clock))
    again = ModerationService(storage, engine, clock)  # a restart: counts come from the database
    held = await again.on_message(said_by("n2", "https://example.com", clock))
    assert [a.kind for a in held][:2] == ["delete", "warn"]
    assert [r["messages"] for r in await raw(storage, "SELECT messages FROM member_joins")] == [2]
    await again.update_settings(G, "admin", {"new_member_messages": 0})
    assert await again.on_message(said_by("n2", "https://example.com", clock)) == []


# -- verification of new members ----------------------------------------------------------------

def challenge_of(actions):
    (challenge,) = [a for a in actions if a.kind == "challenge"]
    return challenge


async def right_letter(storage, member):
    import json
    from bot.service.verification import LETTERS
    (row,) = await raw(storage, "SELECT challenge FROM member_joins WHERE member_id = ?", member)
    return LETTERS[json.loads(row["challenge"])["right"]]


async def test_a_challenge_passed_lets_the_member_in_and_is_never_asked_again(
        service, storage, clock):
    await service.update_settings(G, "admin", {"verify": "on", "raid_joins": 0})
    actions = await join(service, clock, "v1")
    assert [a.kind for a in actions] == ["hold", "challenge"]
    challenge = challenge_of(actions)
    assert challenge.text.startswith("👋 Chào Name v1! Để chứng minh bạn là người thật, hãy bấm ")
    assert len(challenge.buttons) == 4 and all(p.endswith(":v1") for _, p in challenge.buttons)
    await service.confirm_untracked(challenge, True, "chat:77")  # where the adapter posted it
    with pytest.raises(ServiceError, match="someone else"):
        await service.verify_answer(G, "v1", "someone", "a")
    said, done = await service.verify_answer(G, "v1", "v1", await right_letter(storage, "v1"))
    assert said == "✓"
    assert [(a.kind, a.channel_id, a.message_id) for a in done] == [
        ("delete", "chat", "77"), ("release", "", "")]
    # they leave and come back: never asked again
    assert await join(service, clock, "v1") == []
    assert [e.action for e in await storage.audit_log(G)][-1] == "verified"


async def test_a_wrong_answer_or_no_answer_removes_the_member_without_a_case(
        service, storage, clock):
    await service.update_settings(G, "admin", {"verify": "on", "raid_joins": 0,
                                               "verify_seconds": 60})
    await join(service, clock, "w1")
    right = await right_letter(storage, "w1")
    wrong = next(x for x in "abcd" if x != right)
    said, done = await service.verify_answer(G, "w1", "w1", wrong)
    assert said == "✗" and [a.kind for a in done] == ["kick"]
    actions = await join(service, clock, "t1")
    await service.confirm_untracked(challenge_of(actions), True, "chat:88")
    clock.advance(30)
    assert await service.run_due() == []
    assert await service.next_due() == pytest.approx(clock.now + 30)
    clock.advance(31)
    assert [(a.kind, a.message_id, a.member_id) for a in await service.run_due()] == [
        ("delete", "88", "t1"), ("kick", "", "t1")]
    assert await storage.list_cases(G) == []  # not a violation
    failed = [e.detail for e in await storage.audit_log(G) if e.action == "verification_failed"]
    assert failed == [{"member": "w1", "why": "wrong answer"},
                      {"member": "t1", "why": "no answer in time"}]
    with pytest.raises(ServiceError, match="no challenge"):
        await service.verify_answer(G, "t1", "t1", "a")


async def test_raid_mode_and_young_accounts_are_challenged_and_a_role_gates_instead(
        service, clock):
    await service.update_settings(G, "admin", {"raid_joins": 3})
    assert await join(service, clock, "o1") == []  # verification off, no raid: nothing asked
    await join(service, clock, "o2")
    during = await join(service, clock, "o3")  # the third join starts raid mode
    assert "challenge" in [a.kind for a in during]
    await service.raid_end(G, "mod1")
    await service.update_settings(G, "admin", {"min_account_age_days": 7,
                                               "verify_role": "5555", "raid_joins": 0})
    old = await service.on_member_joined("discord", G, "d1", "Old", "en",
                                         account_created=clock.now - 30 * 86400)
    assert old == []
    young = await service.on_member_joined("discord", G, "d2", "Young", "en",
                                           account_created=clock.now - 2 * 86400)
    assert [a.kind for a in young] == ["challenge"]  # the role gates them: no timeout
    assert young[0].text.startswith("👋 Welcome, Young! To show you are a person, press ")


async def test_join_requests_are_asked_in_private_when_verifying_or_in_a_raid(
        service, storage, clock):
    ask = service.on_join_request
    assert await ask("telegram", G, "q0", "Lan") == []  # left to the group's administrators
    await service.update_settings(G, "admin", {"raid_joins": 3})
    for m in ("j1", "j2", "j3"):
        await join(service, clock, m)  # a raid: requests are challenged now
    (asked,) = await ask("telegram", G, "q1", "Lan", "en")
    assert (asked.kind, asked.channel_id, asked.member_id) == ("challenge", "q1", "q1")
    assert asked.text.startswith("👋 Hello, Lan! You asked to join the group.")
    assert "within 120 seconds" in asked.text
    # someone who asked is not in: not counted as a join, not held, not a raider
    assert [m for m, _ in await storage.joins_since(G, 0)] == ["j1", "j2", "j3"]
    said, done = await service.verify_answer(G, "q1", "q1", await right_letter(storage, "q1"))
    assert said == "✅ Thank you! Your request to join was approved."
    assert [(a.kind, a.member_id) for a in done] == [("approve", "q1")]
    # approved, they join during the raid: passed already, so neither held nor asked again
    assert [a.kind for a in await join(service, clock, "q1")] == []
    await service.raid_end(G, "mod1")
    clock.advance(121)
    assert [(a.kind, a.member_id) for a in await service.run_due()] == [("kick", "j3")]
    # a long verify time is cut to what Telegram allows for writing to them (five minutes)
    await service.update_settings(G, "admin", {"verify": "on", "verify_seconds": 600})
    (asked,) = await ask("telegram", G, "q2", "Lan")
    clock.advance(289)
    assert await service.run_due() == []
    clock.advance(2)
    assert [(a.kind, a.member_id) for a in await service.run_due()] == [("decline", "q2")]
    (asked,) = await ask("telegram", G, "q3", "Lan")
    right = await right_letter(storage, "q3")
    wrong = next(x for x in "abcd" if x != right)
    said, done = await service.verify_answer(G, "q3", "q3", wrong)
    assert said.startswith("❌ Chưa đúng") and [a.kind for a in done] == ["decline"]
    failed = [e.detail for e in await storage.audit_log(G) if e.action == "verification_failed"]
    assert failed == [{"member": "j3", "why": "no answer in time"},
                      {"member": "q2", "why": "no answer in time", "request": True},
                      {"member": "q3", "why": "wrong answer", "request": True}]
    assert await storage.list_cases(G) == []
    # passed before: approved at once
    assert [a.kind for a in await ask("telegram", G, "q1", "Lan")] == ["approve"]


async def test_shadow_mode_holds_nothing_back_and_only_records_the_review(service, clock):
    await service.update_settings(G, "admin", {"raid_joins": 0, "shadow": "on"})
    await join(service, clock, "s1")
    actions = await service.on_message(said_by("s1", "https://example.com/x", clock))
    assert [a.kind for a in actions] == ["modlog"]
    assert [i.rule_ids for i in await service.review_queue(G)] == [("new.link",)]
