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
    # a later joiner is held at once
    later = await join(service, clock, "r6")
    assert [(a.kind, a.member_id) for a in later] == [("hold", "r6")]
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
    # quiet for less than the cooldown, then a raider posts: still on
    clock.advance(250)
    assert await service.run_due() == []
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
    assert [(a.kind, a.text, a.channel_id, a.seconds, a.member_id) for a in actions
            if a.kind != "modlog"] == [
        ("unlock", '{"can_send_messages": true}', "", 0, ""),
        ("slowmode", "", "chat-1", 0, ""),
        ("release", "", "", 0, "r0"), ("release", "", "", 0, "r1"),
        ("release", "", "", 0, "r3"), ("release", "", "", 0, "r4")]
    (end,) = said(actions, "modlog")
    assert end.text.startswith("✅ Chế độ chống raid đã tắt (tự động). 5 thành viên")
    assert "4 người được bỏ hạn chế" in end.text
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
    assert [(a.kind, a.member_id) for a in await join(again, clock, "r9")] == [("hold", "r9")]
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
