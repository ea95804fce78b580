"""The moderation service on a real SQLite file, with a clock the tests control."""

import asyncio
import json
import re
import sqlite3

import pytest
from zoneinfo import ZoneInfo

from bot.service import Incoming, ModerationService, ServiceError, SqliteStorage
from bot.service.export import export
from tests.conftest import raw

T0 = 1_800_000_000.0
DAY = 86400.0
G = "guild-1"


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
async def service(storage, engine, clock):
    svc = ModerationService(storage, engine, clock)
    await svc.update_settings(G, "admin", {"log_channel": "-1009"})
    return svc


_counter = iter(range(1, 10**9))


def msg(text, author="u1", *, clock=None, mod=False, community=G):
    return Incoming("telegram", community, "chat", str(next(_counter)), author, text,
                    clock() if clock else T0, author_is_moderator=mod)


def kinds(actions):
    return [a.kind for a in actions]


async def test_clean_message_does_nothing(service, storage):
    assert await service.on_message(msg("các bạn ơi, buổi học hôm nay đủ rồi")) == []
    assert await storage.list_cases(G) == []


async def test_ladder_escalates_and_decays(service, storage, clock):
    # severity 3 insult: 3 points -> delete+warn, 6 -> mute 10 min, 9 -> mute 1 h
    a1 = await service.on_message(msg("địt mẹ mày", clock=clock))
    assert kinds(a1) == ["delete", "warn", "modlog"]
    a2 = await service.on_message(msg("địt mẹ mày", clock=clock))
    assert kinds(a2) == ["delete", "mute", "dm", "modlog"]
    mute = a2[1]
    assert mute.until == clock.now + 600
    a3 = await service.on_message(msg("địt mẹ mày", clock=clock))
    assert a3[1].until == clock.now + 3600
    cases = await storage.list_cases(G)
    assert [(c.number, c.action) for c in cases] == [(3, "mute"), (2, "mute"), (1, "delete_warn")]
    # 60 days = two half-lives: 9 points decay to 2.25; +3 = 5.25 -> delete+warn again
    clock.advance(60 * DAY)
    a4 = await service.on_message(msg("địt mẹ mày", clock=clock))
    assert kinds(a4) == ["delete", "warn", "modlog"]
    history = await storage.case_history((await storage.get_case(G, 4)).id)
    assert history[0].detail["points_after"] == 5.25


async def test_warning_text_in_member_language_with_clause(service):
    (_, warn, _) = await service.on_message(msg("địt mẹ mày"))
    assert warn.language == "vi"
    assert warn.text.startswith(
        "🗑️ Tin nhắn đã bị xoá; cảnh cáo, 3 điểm (vụ #1): Chửi bới, xúc phạm cha mẹ")
    assert "QĐ 874/QĐ-BTTTT, Điều 4 khoản 6" in warn.text
    assert warn.buttons == (("Kháng nghị #1", "appeal:1"),)
    assert warn.delete_after == 60
    (_, warn_en, _) = await service.on_message(msg("kill yourself you idiot", author="u2"))
    assert warn_en.language == "en" and warn_en.text.startswith(
        "🗑️ Your message was removed; warning, 4 points (case #2)")


async def test_case_stores_excerpt_not_message(service, storage):
    long = "xin chào " * 40 + "thằng ngu" + " hôm nay trời đẹp" * 40
    await service.on_message(msg(long))
    case = await storage.get_case(G, 1)
    assert len(case.excerpt) <= 122 and "thằng ngu" in case.excerpt
    assert case.rule_ids == ("vi.insult.stupid",) and case.clauses == ("874-4.6-insult",)
    assert long[case.span[0]:case.span[1]] == "thằng ngu"
    rows = await raw(storage, "SELECT * FROM cases")
    assert long not in repr([dict(r) for r in rows])


async def test_modlog_entry(service):
    actions = await service.on_message(msg("địt mẹ mày", author="u9"))
    log = actions[-1]
    assert log.channel_id == "-1009"
    # a community that writes Vietnamese reads its mod log in Vietnamese
    assert log.text.splitlines() == [
        "Vụ #1 · thành viên u9 · đã xoá tin nhắn · cảnh cáo, 3 điểm",
        "Quy tắc: vi.insult.mother — QĐ 874/QĐ-BTTTT, Điều 4 khoản 6",
        "Trích: địt mẹ mày",
        "Bởi: tự động, độ tin cậy 0.95",
    ]
    assert log.buttons == (("Xoá bỏ #1", "pardon:1"),)


async def test_modlog_names_the_member_and_links_the_message(service):
    await service.update_settings(G, "admin", {"language": "en"})
    incoming = Incoming("telegram", G, "chat", "77", "u9", "địt mẹ mày", T0,
                        author_name="Lan  Anh", author_username="lananh",
                        link="https://t.me/c/1234567890/77")
    log = (await service.on_message(incoming))[-1]
    assert log.text.splitlines() == [
        "Case #1 · Lan Anh (@lananh, u9) · message removed · warn, 3 points",
        "Rule: vi.insult.mother — Decision 874/QĐ-BTTTT, Article 4(6)",
        "Excerpt: địt mẹ mày",
        "Message: https://t.me/c/1234567890/77",
        "By: automatic, confidence 0.95",
    ]
    assert log.buttons == (("Pardon #1", "pardon:1"),)
    # a moderator's own action names the member the same way
    _, actions = await service.manual(G, "telegram", "u7", "mod1", "warn", "spam",
                                      member_username="spammer")
    assert actions[-1].text.splitlines()[0] == "Case #2 · @spammer (u7) · warn, 2 points"
    assert actions[-1].text.splitlines()[-1] == "By: moderator mod1"


async def test_auto_modlog_follows_what_most_members_write(service):
    # under `auto` the member reads their own language; the moderators read the community's
    for i in range(12):
        await service.on_message(msg("see you all at the meetup tonight", author=f"e{i}"))
    for i in range(3):
        await service.on_message(msg("hẹn gặp mọi người tối nay nhé", author=f"v{i}"))
    actions = await service.on_message(msg("địt mẹ mày", author="v9"))
    warn, log = actions[1], actions[-1]
    assert warn.text.startswith("🗑️ Tin nhắn đã bị xoá; cảnh cáo, 3 điểm (vụ #1)")
    assert log.text.startswith("Case #1 · member v9 · message removed · warn, 3 points")
    assert log.text.splitlines()[1] == (
        "Rule: vi.insult.mother — Decision 874/QĐ-BTTTT, Article 4(6)")
    # and a review item, a failure and the outcome line in the same language
    review = await service.on_message(msg("đéo hiểu gì", author="v8"))
    assert review[0].text.startswith("Review #1 (low confidence) · member v8 · ")
    failed = await service.confirm(actions[0].id, False, "Forbidden: not enough rights")
    assert failed[0].text == ("⚠️ Case #1: could not delete member v9: Forbidden: not enough "
                              "rights. Check the bot's permissions.")
    assert await service.outcome_line(G, 1) == "Outcome: delete ✗ Forbidden: not enough rights, warn …"


async def test_rule_overrides(service, storage):
    # doxxing always deletes, even on a first offence that the ladder would only warn
    a = await service.on_message(msg("sdt nó 0912345678", author="p1"))
    assert kinds(a) == ["delete", "warn", "modlog"]
    # a warn-only rule never goes past a warning
    await service.update_settings(G, "admin", {"rule_overrides": [
        ["vi.insult.mother", "max_action", "warn"]]})
    for _ in range(4):  # (the message is removed: that is not the ladder's to say)
        got = await service.on_message(msg("địt mẹ mày", author="p2"))
        assert kinds(got) == ["delete", "warn", "modlog"]


async def test_shadow_mode_records_and_does_nothing(service, storage):
    """Nothing is done to the member or the message; the moderators read, marked, what would
    have been done (a community tries the bot for a day), with no button to press."""
    await service.update_settings(G, "admin", {"shadow": True})
    (log,) = await service.on_message(msg("địt mẹ mày"))
    assert log.kind == "modlog" and log.buttons == ()
    assert log.text.splitlines()[0] == (
        "[chế độ thử] Vụ #1 · thành viên u1 · đã xoá tin nhắn · cảnh cáo, 3 điểm")
    (case,) = await storage.list_cases(G)
    assert (case.status, case.action) == ("shadow", "delete_warn")
    assert await storage.member_points(G, "u1") == []  # shadow cases do not count


async def test_shadow_per_rule(service, storage):
    await service.update_settings(G, "admin", {"shadow_rules": ["en.obscene.profanity"]})
    assert kinds(await service.on_message(msg("fuck", author="s1"))) == ["modlog"]
    assert (await storage.get_case(G, 1)).status == "shadow"
    assert kinds(await service.on_message(msg("địt mẹ mày", author="s1")))[0] == "delete"


async def test_low_confidence_goes_to_review(service, storage):
    actions = await service.on_message(msg("đéo hiểu gì", author="r1"))
    assert [(a.kind, a.id) for a in actions] == [("modlog", 0)]
    assert actions[0].buttons == (("Xác nhận #1", "review-confirm:1"),
                                  ("Bỏ qua #1", "review-dismiss:1"))
    assert await storage.list_cases(G) == []
    (item,) = await service.review_queue(G)
    assert (item.why, item.rule_ids, item.member_id) == ("low_confidence",
                                                        ("vi.obscene.crude-intensifier",), "r1")
    confirmed = await service.confirm_review(G, item.id, "mod1")
    assert kinds(confirmed) == ["delete", "warn", "modlog"]
    case = await storage.get_case(G, 1)
    assert (case.actor, case.reason) == ("mod1", "confirmed from review #1")
    assert await service.review_queue(G) == []
    with pytest.raises(ServiceError, match="already confirmed"):
        await service.confirm_review(G, item.id, "mod2")


async def test_dismissed_review_punishes_nobody(service, storage):
    await service.on_message(msg("đéo hiểu gì", author="r2"))
    (item,) = await service.review_queue(G)
    await service.dismiss_review(G, item.id, "mod1")
    assert await storage.list_cases(G) == [] and await service.review_queue(G) == []


async def test_moderators_are_never_auto_punished(service, storage):
    actions = await service.on_message(msg("địt mẹ mày", author="boss", mod=True))
    assert kinds(actions) == ["modlog"] and actions[0].id == 0
    assert "(tin nhắn của điều hành viên)" in actions[0].text
    assert await storage.list_cases(G) == []
    assert [i.why for i in await service.review_queue(G)] == ["moderator"]


async def test_manual_actions_share_the_ladder(service, storage, clock):
    case, actions = await service.manual(G, "telegram", "u5", "mod1", "warn", "spamming DMs")
    assert (case.number, case.actor, case.points) == (1, "mod1", 2.0)
    assert kinds(actions) == ["dm", "modlog"]
    # 2 manual points + 3 -> delete+warn rather than a plain warning
    assert kinds(await service.on_message(msg("địt mẹ mày", author="u5")))[:2] == ["delete", "warn"]
    case, actions = await service.manual(G, "telegram", "u5", "mod1", "mute", "raid", minutes=30)
    assert case.until == clock.now + 1800 and kinds(actions) == ["mute", "dm", "modlog"]
    with pytest.raises(ServiceError, match="needs a duration"):
        await service.manual(G, "telegram", "u5", "mod1", "mute", "x")


async def test_unmute_and_pardon(service, storage, clock):
    await service.manual(G, "telegram", "u6", "mod1", "mute", "raid", minutes=60)
    actions = await service.unmute(G, "u6", "mod2")
    assert kinds(actions) == ["unmute", "dm"]
    assert (await storage.get_case(G, 1)).status == "expired"
    with pytest.raises(ServiceError, match="no running mute"):
        await service.unmute(G, "u6", "mod2")
    await service.on_message(msg("địt mẹ mày", author="u7"))
    assert await storage.member_points(G, "u7") == [(3.0, T0)]
    actions = await service.pardon(G, 2, "mod1", "context was a quote")
    assert kinds(actions) == ["dm"] and "context was a quote" in actions[0].text
    assert (await storage.get_case(G, 2)).status == "pardoned"
    assert await storage.member_points(G, "u7") == []


async def test_edit_reason_is_audited(service, storage):
    await service.on_message(msg("địt mẹ mày"))
    case = await service.edit_reason(G, 1, "mod1", "repeat offender")
    assert case.reason == "repeat offender"
    _, history, _ = await service.show_case(G, 1)
    assert [h.action for h in history] == ["case_created", "reason_edited"]
    assert history[1].detail["reason"] == "repeat offender" and history[1].actor == "mod1"


async def test_numbers_past_the_database_integers_are_no_such_case(service):
    # forged buttons and commands carry any number; the databases hold 64-bit integers
    await service.on_message(msg("địt mẹ mày", author="a1"))
    huge = 2**63
    with pytest.raises(ServiceError, match=f"You have no case #{huge}"):
        await service.appeal(G, huge, "a1", "x")
    with pytest.raises(ServiceError, match=f"no case #{huge}"):
        await service.pardon(G, huge, "mod1", "x")
    with pytest.raises(ServiceError):
        await service.confirm_review(G, -huge - 1, "mod1")


async def test_appeal_own_case_only_once_within_window(service, clock):
    await service.on_message(msg("địt mẹ mày", author="a1"))
    with pytest.raises(ServiceError, match="You have no case #1"):
        await service.appeal(G, 1, "a2", "not me")
    with pytest.raises(ServiceError, match="You have no case #9"):
        await service.appeal(G, 9, "a1", "no such case")
    # (the member wrote Vietnamese: the refusals are in Vietnamese)
    with pytest.raises(ServiceError, match="tối đa 1000 ký tự \\(bản này có 1001\\)"):
        await service.appeal(G, 1, "a1", "x" * 1001)
    appeal, actions = await service.appeal(G, 1, "a1", "I was quoting a song")
    assert appeal.status == "open" and appeal.case_number == 1
    assert kinds(actions) == ["modlog"]
    assert actions[0].buttons == (("Chấp nhận #1", "appeal-approve:1"),
                                  ("Từ chối #1", "appeal-reject:1"))
    with pytest.raises(ServiceError, match="Vụ #1 đã được kháng nghị rồi"):
        await service.appeal(G, 1, "a1", "again")
    await service.on_message(msg("địt mẹ mày", author="a1", clock=clock))
    clock.advance(15 * DAY)
    with pytest.raises(ServiceError, match="Thời hạn kháng nghị 14 ngày của vụ #2 đã hết"):
        await service.appeal(G, 2, "a1", "late")


async def test_approved_appeal_refunds_points_and_lifts_mute(service, storage, clock):
    for _ in range(2):
        await service.on_message(msg("địt mẹ mày", author="m1", clock=clock))
    case = await storage.get_case(G, 2)
    assert case.action == "mute" and case.until == T0 + 600
    await service.appeal(G, 2, "m1", "the bot misread me")
    await service.manual(G, "telegram", "x", "mod1", "warn", "to register mod1")
    actions = await service.decide_appeal(G, 2, "mod1", True, "sorry, our mistake")
    assert kinds(actions) == ["unmute", "dm"]
    assert actions[1].text == "✅ Kháng nghị vụ #2 được chấp nhận: sorry, our mistake"
    case = await storage.get_case(G, 2)
    assert case.status == "overturned"
    assert await storage.member_points(G, "m1") == [(3.0, T0)]  # case 1's points remain
    # the mute expiry no longer fires: the appeal lifted it
    clock.advance(3600)
    assert await service.run_due() == []
    _, history, appeals = await service.show_case(G, 2)
    assert [h.action for h in history] == ["case_created", "appeal_opened", "appeal_posted",
                                          "appeal_approved"]
    assert history[-1].detail == {"appeal": appeals[0].id, "reason": "sorry, our mistake",
                                  "refunded": True}
    assert (appeals[0].status, appeals[0].decided_by) == ("approved", "mod1")


async def test_rejected_appeal_keeps_case_and_tells_reason(service, storage):
    await service.on_message(msg("địt mẹ mày", author="m2"))
    await service.appeal(G, 1, "m2", "no")
    with pytest.raises(ServiceError, match="give a reason"):
        await service.decide_appeal(G, 1, "mod1", False, " ")
    actions = await service.decide_appeal(G, 1, "mod1", False, "the words speak for themselves")
    assert kinds(actions) == ["dm"]
    assert "bị từ chối: the words speak for themselves" in actions[0].text
    assert (await storage.get_case(G, 1)).status == "active"
    assert await storage.member_points(G, "m2") == [(3.0, T0)]
    with pytest.raises(ServiceError, match="no open appeal"):
        await service.decide_appeal(G, 1, "mod1", True, "changed my mind")


async def test_acting_moderator_cannot_decide_own_case_when_another_exists(service):
    solo = "solo-community"  # the fixture's admin is a moderator of G, not of this one
    await service.manual(solo, "telegram", "m3", "mod1", "warn", "rude")
    await service.appeal(solo, 1, "m3", "I was not rude")
    # alone, the acting moderator may decide
    assert kinds(await service.decide_appeal(solo, 1, "mod1", False, "you were")) == ["dm"]
    await service.manual(solo, "telegram", "m4", "mod1", "warn", "rude")
    await service.appeal(solo, 2, "m4", "I was not rude")
    await service.manual(solo, "telegram", "zz", "mod2", "warn", "mod2 exists now")
    with pytest.raises(ServiceError, match="another moderator must decide"):
        await service.decide_appeal(solo, 2, "mod1", False, "you were")
    assert kinds(await service.decide_appeal(solo, 2, "mod2", True, "fair")) == ["dm"]


async def test_appeal_reminder(service, clock):
    await service.on_message(msg("địt mẹ mày", author="m5"))
    await service.appeal(G, 1, "m5", "please")
    clock.advance(49 * 3600)
    (reminder,) = await service.run_due()
    assert reminder.kind == "modlog" and reminder.text == (
        "⏰ Kháng nghị vụ #1 vẫn đang chờ quyết định.")


async def test_failure_recorded_and_reported_once(service, storage):
    actions = await service.on_message(msg("địt mẹ mày", author="f1"))
    delete = actions[0]
    notice = await service.confirm(delete.id, False, "missing permission: can_delete_messages")
    assert kinds(notice) == ["modlog"]
    assert "không thể xoá thành viên f1: missing permission" in notice[0].text
    case = await storage.get_case(G, 1)
    assert ("delete", "failed", "missing permission: can_delete_messages") in case.outcomes
    # the same failure on the next case is recorded but not reported again
    again = await service.on_message(msg("địt mẹ mày", author="f2"))
    assert await service.confirm(again[0].id, False, "missing permission: can_delete_messages") == []
    assert ("delete", "failed", "missing permission: can_delete_messages") in (
        await storage.get_case(G, 2)).outcomes
    assert await service.confirm(again[1].id, True) == []
    assert ("warn", "done", "") in (await storage.get_case(G, 2)).outcomes
    with pytest.raises(ServiceError, match="unknown action"):
        await service.confirm(99999, True)
    # each outcome is in the case's audit history, with the kind and the reason, in order
    history = await storage.case_history((await storage.get_case(G, 2)).id)
    outcomes = [(h.actor, h.action, h.detail) for h in history if h.action.startswith("action_")]
    assert outcomes == [
        ("platform", "action_failed",
         {"kind": "delete", "reason": "missing permission: can_delete_messages"}),
        ("platform", "action_done", {"kind": "warn", "reason": ""}),
    ]
    assert all(h.community_id == G for h in history)


async def test_restart_lifts_expired_mutes_and_keeps_later_ones(tmp_path, engine, clock):
    path = tmp_path / "restart.db"
    s1 = SqliteStorage(path)
    await s1.open()
    await s1.migrate()
    svc = ModerationService(s1, engine, clock)
    await svc.manual(G, "telegram", "short", "mod1", "mute", "a", minutes=10)
    await svc.manual(G, "telegram", "long", "mod1", "mute", "b", minutes=120)
    await s1.close()
    clock.advance(30 * 60)  # the bot is down for half an hour
    s2 = SqliteStorage(path)
    await s2.open()
    assert await s2.migrate() == []
    svc2 = ModerationService(s2, engine, clock)
    lifted = await svc2.run_due()  # what start-up does
    assert [(a.kind, a.member_id) for a in lifted] == [("unmute", "short")]
    assert (await s2.get_case(G, 1)).status == "expired"
    assert await svc2.run_due() == []
    clock.advance(90 * 60)
    assert [(a.kind, a.member_id) for a in await svc2.run_due()] == [("unmute", "long")]
    await s2.close()


async def test_migrations_empty_idempotent_and_durable(tmp_path, engine, clock):
    path = tmp_path / "m.db"
    s = SqliteStorage(path)
    await s.open()
    assert await s.schema_version() == 0
    assert await s.migrate() == [1, 2, 3, 4, 5, 6, 7]
    assert await s.migrate() == []
    assert await s.schema_version() == 7
    await ModerationService(s, engine, clock).on_message(msg("địt mẹ mày", author="d1"))
    await s.close()
    s = SqliteStorage(path)
    await s.open()
    assert await s.migrate() == []
    case = await s.get_case(G, 1)
    assert (case.member_id, case.action, case.rule_ids) == ("d1", "delete_warn",
                                                            ("vi.insult.mother",))
    mode = sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"
    await s.close()


async def test_audit_log_is_append_only(service, storage):
    await service.on_message(msg("địt mẹ mày"))
    for sql in ("UPDATE audit SET actor = 'someone else'", "DELETE FROM audit"):
        with pytest.raises(Exception, match="append-only"):
            async with storage.d.tx() as db:
                await db.execute(sql)
    assert len(await raw(storage, "SELECT * FROM audit")) >= 1


async def test_settings_changes_validated_and_audited(service, storage):
    with pytest.raises(ServiceError, match="unknown setting 'ladderr'"):
        await service.update_settings(G, "admin", {"ladderr": []})
    with pytest.raises(ServiceError, match="a mute needs a duration"):
        await service.update_settings(G, "admin", {"ladder": "0:warn, 2:mute"})
    with pytest.raises(ServiceError, match=r"setting 'half_life_days': expected a number above "
                                           r"0 and at most 3650 \(days\) \(got '-1'\)"):
        await service.update_settings(G, "admin", {"half_life_days": -1})
    await service.update_settings(G, "admin2", {"ladder": "0:warn, 2:mute 5m, 4:ban",
                                                "half_life_days": 7})
    log = [e for e in await storage.audit_log(G) if e.action == "settings"]
    assert log[-1].actor == "admin2"
    assert log[-1].detail["half_life_days"] == {"from": 30.0, "to": 7}
    assert log[-1].detail["ladder"]["to"] == ["0:warn", "2:mute 5m", "4:ban"]
    # a fresh service reads the stored settings
    fresh = ModerationService(storage, service.engine, service.clock)
    assert [s.as_text() for s in (await fresh.settings(G)).ladder] == ["0:warn", "2:mute 5m", "4:ban"]
    assert kinds(await fresh.on_message(msg("địt mẹ mày", author="l1")))[:2] == ["delete", "mute"]


async def test_settings_extra_terms_and_disabled_categories(service):
    await service.update_settings(G, "admin", {"extra_terms": [{"term": "bánh bao chiều",
                                                                "category": "spam"}],
                                               "disabled_categories": ["obscene"]})
    assert kinds(await service.on_message(msg("bánh bao chiều đây", author="e1")))[:2] == [
        "delete", "warn"]
    assert await service.on_message(msg("con cặc", author="e2")) == []


async def test_member_sees_only_own_cases(service):
    await service.on_message(msg("địt mẹ mày", author="own"))
    await service.on_message(msg("địt mẹ mày", author="other"))
    assert [c.number for c in await service.my_cases(G, "own")] == [1]
    assert (await service.member_case(G, 1, "own")).number == 1
    with pytest.raises(ServiceError, match="You have no case #2"):
        await service.member_case(G, 2, "own")


async def test_communities_are_separate(service, storage):
    await service.on_message(msg("địt mẹ mày", author="c1", community="A"))
    await service.on_message(msg("địt mẹ mày", author="c1", community="B"))
    assert (await storage.get_case("A", 1)).community_id == "A"
    assert (await storage.get_case("B", 1)).community_id == "B"
    assert await storage.member_points("A", "c1") == [(3.0, T0)]


async def test_concurrent_messages_get_gapless_unique_numbers(service, storage):
    results = await asyncio.gather(*(
        service.on_message(msg("địt mẹ mày", author=f"m{i % 37}")) for i in range(1000)))
    numbers = sorted(a.case_number for actions in results for a in actions[:1])
    assert numbers == list(range(1, 1001))
    (row,) = await raw(storage, "SELECT COUNT(*) AS n, COUNT(DISTINCT number) AS d, "
                                "MIN(number) AS lo, MAX(number) AS hi FROM cases")
    assert (row["n"], row["d"], row["lo"], row["hi"]) == (1000, 1000, 1, 1000)


async def test_stats_and_overturn_rate(service):
    for author in ("s1", "s2", "s3", "s4"):
        await service.on_message(msg("địt mẹ mày", author=author))
    await service.appeal(G, 1, "s1", "wrong")
    await service.decide_appeal(G, 1, "mod1", True, "yes")
    stats = await service.stats(G)
    assert stats["by_rule"]["vi.insult.mother"] == {
        "cases": 4, "appealed": 1, "overturned": 1, "overturn_rate": 0.25}
    assert stats["by_status"] == {"active": 3, "overturned": 1}
    assert stats["by_platform"] == {"telegram": 4}


async def test_export_csv_and_jsonl(service, storage):
    await service.on_message(msg("địt mẹ mày", author="x1"))
    cases, audit = await storage.list_cases(G), await storage.audit_log(G)
    lines = export(cases, audit, "jsonl").splitlines()
    first = json.loads(lines[0])
    assert first["type"] == "case" and first["number"] == 1 and first["member_id"] == "x1"
    assert {json.loads(l)["type"] for l in lines} == {"case", "audit"}
    csv_text = export(cases, audit, "csv")
    assert csv_text.startswith("number,platform,member_id,")
    assert "case_created" in csv_text and "id,case_id,actor,action,detail,at" in csv_text
    import csv as csv_module
    import io

    first = next(csv_module.DictReader(io.StringIO(csv_text)))
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", first["created_at"])
    with pytest.raises(ValueError, match="unknown export format 'xml'"):
        export(cases, audit, "xml")


async def test_scheduler_loop_fires_expiry_on_time(storage, engine):
    """The real loop with the real clock: a 1-second mute is lifted about a second later."""
    import time

    from bot.service import Scheduler

    svc = ModerationService(storage, engine)  # system clock
    performed = []

    async def perform(actions):
        performed.extend(actions)
        for a in actions:
            await svc.confirm(a.id, True)

    scheduler = Scheduler(svc, perform, max_sleep=0.2)
    stop = asyncio.Event()
    task = asyncio.create_task(scheduler.run(stop))
    case, _ = await svc.manual(G, "discord", "t1", "mod1", "mute", "test", minutes=1 / 60)
    scheduler.wake()
    started = time.time()
    while not performed and time.time() - started < 5:
        await asyncio.sleep(0.05)
    stop.set()
    await task
    assert [(a.kind, a.member_id) for a in performed] == [("unmute", "t1")]
    assert time.time() - case.created_at >= 1.0
    done = await storage.get_case(G, case.number)
    assert done.status == "expired" and ("unmute", "done", "") in done.outcomes


async def test_milliseconds_of_decay_do_not_skip_a_step(storage, engine):
    """Real clock: two quick messages must reach exactly the next step, not a hair below it."""
    svc = ModerationService(storage, engine)
    await svc.on_message(msg("thằng ngu", author="q1"))
    await svc.on_message(msg("thằng ngu", author="q1"))
    assert kinds(await svc.on_message(msg("thằng ngu", author="q1")))[:2] == ["delete", "mute"]


async def test_capped_mute_is_renewed_until_its_end(service, storage, clock):
    case, actions = await service.manual(G, "discord", "long", "mod1", "mute", "raid",
                                         minutes=40 * 1440)
    mute = actions[0]
    # the platform could apply only 28 days
    await service.confirm(mute.id, True, "capped at 28 days", applied_until=T0 + 28 * DAY)
    clock.advance(27 * DAY)
    assert await service.run_due() == []
    clock.advance(1 * DAY)
    (renew,) = await service.run_due()
    assert (renew.kind, renew.member_id, renew.until) == ("mute", "long", T0 + 40 * DAY)
    await service.confirm(renew.id, True)  # this time the rest fits
    clock.advance(12 * DAY)
    assert [a.kind for a in await service.run_due()] == ["unmute"]
    _, history, _ = await service.show_case(G, case.number)
    assert [h.action for h in history if h.action.startswith("mute")] == ["mute_renewed",
                                                                         "mute_expired"]


async def test_pardon_cancels_a_pending_renewal(service, clock):
    _, actions = await service.manual(G, "discord", "p", "mod1", "mute", "x", minutes=40 * 1440)
    await service.confirm(actions[0].id, True, applied_until=T0 + 28 * DAY)
    await service.pardon(G, 1, "mod2", "sorry")
    clock.advance(29 * DAY)
    assert await service.run_due() == []


async def test_platform_action_recorded_as_case(service, storage):
    actions = await service.record_external("discord", G, "am1", "discord.automod.42",
                                            "delete_warn", "buy cheap followers now", "chan",
                                            "m1")
    (case,) = await storage.list_cases(G)
    assert (case.actor, case.rule_ids, case.action, case.points) == (
        "discord.automod.42", ("discord.automod.42",), "delete_warn", 1.0)
    assert kinds(actions) == ["modlog"] and actions[0].text.startswith(
        "Vụ #1 · thành viên am1 · cảnh cáo, 1 điểm\n")


async def test_display_name_check_only_when_enabled(service, storage):
    assert await service.check_name("discord", G, "n1", "Nhà cái FB88 uy tín") == []
    await service.update_settings(G, "admin", {"check_names": "on"})
    actions = await service.check_name("discord", G, "n1", "Nhà cái FB88 uy tín")
    assert kinds(actions) == ["warn", "modlog"]
    assert actions[0].text.startswith("⚠️ Tên hiển thị của bạn vi phạm nội quy (vụ #1)")


async def test_member_export_has_everything_about_them(service, storage):
    await service.on_message(msg("địt mẹ mày", author="priv"))
    await service.on_message(msg("đéo hiểu gì", author="priv"))
    await service.on_message(msg("địt mẹ mày", author="someone-else"))
    await service.appeal(G, 1, "priv", "lời bài hát thôi")
    await service.on_member_joined("telegram", G, "priv", "Priv")
    data = await service.export_member(G, "priv", "mod1")
    assert [j["member_id"] for j in data["joins"]] == ["priv"]
    assert [c["number"] for c in data["cases"]] == [1]
    assert data["cases"][0]["excerpt"] == "địt mẹ mày"
    assert [a["text"] for a in data["appeals"]] == ["lời bài hát thôi"]
    assert [r["rule_ids"] for r in data["review_items"]] == ['["vi.obscene.crude-intensifier"]']
    assert [p["points"] for p in data["points"]] == [3.0]
    assert {a["action"] for a in data["audit"]} == {"appeal_opened", "appeal_posted"}
    assert (await storage.audit_log(G))[-1].action == "member_exported"


async def test_forget_member_removes_texts_and_id_everywhere(service, storage):
    await service.on_member_joined("telegram", G, "gone", "Gone")  # when they joined, too
    await service.on_message(msg("địt mẹ mày", author="gone"))
    await service.on_message(msg("đéo hiểu gì", author="gone"))
    await service.appeal(G, 1, "gone", "bí mật của tôi")
    counts = await service.forget_member(G, "gone", "mod1")
    assert counts == {"appeals": 1, "review_items": 1, "points": 1, "cases": 1, "audit": 2,
                      "learned_examples": 0, "appeal_drafts": 0, "joins": 1,
                      "blocked": 0}
    for table in ("cases", "appeals", "review_queue", "points", "audit", "case_actions",
                  "scheduled", "learned_examples", "member_joins"):
        rows = [dict(r) for r in await raw(storage, f"SELECT * FROM {table}")]
        assert "'gone'" not in repr(rows) and "bí mật của tôi" not in repr(rows), table
    case = await storage.get_case(G, 1)
    assert case.member_id.startswith("forgotten-") and case.excerpt == ""
    assert case.rule_ids == ("vi.insult.mother",)  # the case itself stays, for statistics
    assert await service.export_member(G, "gone", "mod1") == {
        "community": G, "member": "gone", "cases": [], "appeals": [], "review_items": [],
        "points": [], "audit": [], "learned_examples": [], "joins": [], "blocked": []}
    # the audit log is append-only again afterwards
    with pytest.raises(Exception, match="append-only"):
        async with storage.d.tx() as db:
            await db.execute("UPDATE audit SET actor = 'x'")
    assert (await storage.audit_log(G))[-2].action == "member_forgotten"


async def test_excerpts_purged_after_retention(storage, engine, clock):
    svc = ModerationService(storage, engine, clock, retention_days=90)
    await svc.on_message(msg("địt mẹ mày", author="old"))
    clock.advance(60 * DAY)
    await svc.on_message(msg("thằng ngu", author="new"))
    clock.advance(31 * DAY)
    assert await svc.purge_excerpts() == 1
    old, new = await storage.get_case(G, 1), await storage.get_case(G, 2)
    assert (old.excerpt, old.rule_ids, old.status) == ("", ("vi.insult.mother",), "active")
    assert new.excerpt == "thằng ngu"
    assert await svc.purge_excerpts() == 0


async def test_timed_action_claimed_once_by_competing_services(storage, engine, clock):
    """Two services (two processes' worth) over one database: an expiry fires in exactly one."""
    a = ModerationService(storage, engine, clock)
    b = ModerationService(storage, engine, clock)
    for i in range(20):
        await a.manual(G, "telegram", f"m{i}", "mod1", "mute", "x", minutes=10)
    clock.advance(11 * 60)
    got_a, got_b = await asyncio.gather(a.run_due(), b.run_due())
    members = sorted(x.member_id for x in got_a + got_b)
    assert members == sorted(f"m{i}" for i in range(20))  # each once, none twice
    assert await a.run_due() == [] and await b.run_due() == []


async def test_lapsed_claim_is_taken_over(storage, engine, clock):
    """A process that claimed an expiry and died: after the lease, another one acts on it."""
    svc = ModerationService(storage, engine, clock)
    await svc.manual(G, "telegram", "crash", "mod1", "mute", "x", minutes=10)
    clock.advance(11 * 60)
    (claimed,) = await storage.due(clock(), lease=60)  # claimed, then the process dies
    assert await svc.run_due() == []  # still leased
    clock.advance(61)
    assert [a.member_id for a in await svc.run_due()] == ["crash"]


async def test_offences_arriving_together_escalate_in_order(service, storage):
    results = await asyncio.gather(*(service.on_message(msg("thằng ngu", author="burst"))
                                     for _ in range(3)))
    assert all(results)  # each offence produced actions
    cases = sorted((c.number, c.action) for c in await storage.list_cases(G, "burst"))
    assert cases == [(1, "warn"), (2, "delete_warn"), (3, "mute")]
    assert service._member_locks == {}  # locks do not pile up


async def test_redelivered_message_gets_no_second_case(service, storage):
    first = msg("địt mẹ mày", author="re")
    assert kinds(await service.on_message(first))[:2] == ["delete", "warn"]
    assert await service.on_message(first) == []  # the platform delivered it again
    assert [c.number for c in await storage.list_cases(G)] == [1]
    assert await storage.member_points(G, "re") == [(3.0, T0)]


async def test_unconfirmed_actions_are_issued_again_after_a_crash(service, storage, clock):
    actions = await service.on_message(msg("địt mẹ mày", author="cr"))
    await service.confirm(actions[0].id, True)  # the delete went through, then the bot died
    clock.advance(60)
    assert await service.unfinished_actions(grace=120) == []  # maybe still in flight elsewhere
    again = await service.unfinished_actions()
    assert [(a.kind, a.id) for a in again] == [(a.kind, a.id) for a in actions[1:]]
    assert again[0].text == actions[1].text  # the same warning, rebuilt from the case
    for a in again:
        await service.confirm(a.id, True)
    assert await service.unfinished_actions() == []


async def test_appeals_are_rate_limited_per_member(service, clock):
    for _ in range(4):
        await service.manual(G, "telegram", "rl", "mod1", "warn", "x")
    for number in (1, 2, 3):
        await service.appeal(G, number, "rl", "please")
    with pytest.raises(ServiceError, match="tối đa 3 lần"):
        await service.appeal(G, 4, "rl", "please")
    clock.advance(3601)
    appeal, _ = await service.appeal(G, 4, "rl", "please")
    assert appeal.case_number == 4


async def test_cancelled_writer_leaves_no_open_transaction(sqlite_storage, engine):
    """A task cancelled while its BEGIN is in flight (a shutdown, a cancelled poll): BEGIN still
    runs in aiosqlite's thread, and the transaction must not be left open for the next caller."""
    storage = sqlite_storage
    svc = ModerationService(storage, engine)
    db = storage.d.db
    real = db.execute
    fired = []

    def execute(sql, *args, **kwargs):
        result = real(sql, *args, **kwargs)
        if sql.startswith("BEGIN") and not fired:
            fired.append(sql)

            async def begin_then_cancelled():
                inflight = asyncio.ensure_future(result)  # BEGIN goes ahead in the thread
                asyncio.current_task().cancel()
                return await asyncio.shield(inflight)  # ...while this task is cancelled

            return begin_then_cancelled()
        return result

    db.execute = execute
    task = asyncio.create_task(svc.on_message(msg("địt mẹ mày", author="cancelled")))
    await asyncio.gather(task, return_exceptions=True)
    assert fired and task.cancelled()
    db.execute = real
    actions = await svc.on_message(msg("địt mẹ mày", author="after"))
    assert actions and actions[0].kind == "delete"


async def test_no_table_holds_more_member_text_than_an_excerpt(service, storage):
    """Every way member text reaches the database (a case, a review item and its confirmation,
    a moderator's warn on a replied message, Discord AutoMod, a display name): no stored value
    holds more of it than ``excerpt_length`` characters. Appeals are the member's own words to
    the moderators and are left out."""
    limit = 120
    filler = " ".join(f"zq{i:04d}" for i in range(400))  # 2,800 characters, each word unique
    await service.on_message(msg(f"{filler} thằng ngu {filler}", "a1"))
    await service.on_message(msg(f"{filler} đéo hiểu gì {filler}", "a2"))  # to review
    (item,) = await service.review_queue(G)
    await service.confirm_review(G, item.id, "mod")
    await service.manual(G, "telegram", "a3", "mod", "warn", "spam", text=f"{filler} mua ngay")
    await service.record_external("discord", G, "a4", "discord.automod.1", "delete", filler)
    await service.update_settings(G, "admin", {"check_names": True})
    await service.check_name("telegram", G, "a5", f"{filler} địt mẹ mày {filler}")
    if storage.d.name == "sqlite":
        tables = [r[0] for r in await raw(storage, "SELECT name FROM sqlite_master "
                                                   "WHERE type = 'table'")]
    else:
        tables = [r[0] for r in await raw(storage, "SELECT table_name FROM "
                                                   "information_schema.tables WHERE "
                                                   "table_schema = current_schema()")]
    assert {"cases", "review_queue", "audit", "learned_examples"} <= set(tables)
    import re

    longest = {}
    for table in tables:
        if table == "appeals":
            continue
        for row in await raw(storage, f"SELECT * FROM {table}"):
            for value in dict(row).values():
                words = list(re.finditer(r"zq\d{4}", str(value)))
                if words:
                    held = words[-1].end() - words[0].start()
                    longest[table] = max(longest.get(table, 0), held)
    assert longest and max(longest.values()) <= limit, longest


async def test_a_settings_change_reaches_another_process_within_seconds(storage, engine, clock):
    """Two processes on one database: each keeps settings at hand, and reads them again after
    SETTINGS_CHECK_SECONDS, so a change made in one is in force in the other soon after."""
    from bot.service.service import SETTINGS_CHECK_SECONDS

    one = ModerationService(storage, engine, clock)
    two = ModerationService(storage, engine, clock)
    bad = "thằng ngu"
    assert kinds(await two.on_message(msg(bad, "p1", clock=clock))) == ["delete", "warn"]
    await one.configure(G, "admin", "disabled_rules", "vi.insult.stupid")
    clock.advance(SETTINGS_CHECK_SECONDS / 2)
    assert kinds(await two.on_message(msg(bad, "p2", clock=clock))) == ["delete", "warn"]  # not yet
    clock.advance(SETTINGS_CHECK_SECONDS)
    assert await two.on_message(msg(bad, "p3", clock=clock)) == []
    assert (await two.settings(G)).disabled_rules == frozenset({"vi.insult.stupid"})


async def test_a_first_offence_removes_the_message_and_the_ladder_sanctions(service, storage):
    """What happens to the message is apart from the member's sanction: the first offence of
    a mild rule is removed and warned (the ladder's first step is a warning), and a category the
    community keeps stays up, the member still warned."""
    first = await service.on_message(msg("thằng ngu", author="k1"))
    assert kinds(first) == ["delete", "warn", "modlog"]
    case = await storage.get_case(G, 1)
    assert case.action == "warn" and [k for k, _, _ in case.outcomes] == ["delete", "warn",
                                                                            "modlog"]
    assert first[1].text.startswith("🗑️ Tin nhắn đã bị xoá; cảnh cáo, 2 điểm (vụ #1)")
    assert first[2].text.splitlines()[0] == "Vụ #1 · thành viên k1 · đã xoá tin nhắn · cảnh cáo, 2 điểm"
    await service.configure(G, "admin", "keep_message", "insult")
    kept = await service.on_message(msg("thằng ngu", author="k2"))
    assert kinds(kept) == ["warn", "modlog"]
    assert kept[0].text.startswith("⚠️ Cảnh cáo (vụ #2)")
    assert kept[1].text.splitlines()[0] == "Vụ #2 · thành viên k2 · cảnh cáo, 2 điểm"


async def test_times_in_the_communitys_time_zone(service, clock):
    """A Vietnamese community reads Vietnam's time by default; a setting chooses another."""
    from bot.service.texts import when

    assert when(0.0) == "1970-01-01 00:00 UTC"
    for _ in range(3):  # the third offence mutes
        actions = await service.on_message(msg("địt mẹ mày", author="tz", clock=clock))
    (mute,) = [a for a in actions if a.kind == "mute"]
    until = mute.until
    (dm,) = [a for a in actions if a.kind == "dm"]
    local = when(until, ZoneInfo("Asia/Ho_Chi_Minh"))
    assert local.endswith("UTC+07:00") and f"đến {local}" in dm.text
    (log,) = [a for a in actions if a.kind == "modlog"]
    assert f"tạm cấm chat, 3 điểm đến {local}" in log.text.splitlines()[0]
    await service.configure(G, "admin", "timezone", "Europe/Berlin")
    assert (await service.settings(G)).zone == ZoneInfo("Europe/Berlin")
    with pytest.raises(ServiceError, match="setting 'timezone': expected a time zone name"):
        await service.configure(G, "admin", "timezone", "Mars/Olympus")


async def test_config_lists_the_community_id_first(service):
    """What `quytac check --community` and `quytac cases list --community` take."""
    shown = (await service.configure(G, "admin")).splitlines()
    assert shown[0] == f"community: {G}"
    assert "shadow: false" in shown and "language: \"auto\"" in shown


async def test_a_refused_appeal_is_told_in_the_members_language(service):
    await service.on_message(msg("fuck you, you idiot", author="en1"))
    await service.appeal(G, 1, "en1", "I was joking with a friend")
    with pytest.raises(ServiceError, match="^case #1 has already been appealed$"):
        await service.appeal(G, 1, "en1", "again")
    # the language is the case's: a Vietnamese message made a Vietnamese case
    await service.on_message(msg("địt mẹ mày", author="en1"))
    with pytest.raises(ServiceError, match="^Hãy viết vì sao quyết định chưa đúng.$"):
        await service.appeal(G, 2, "en1", "   ")


async def test_a_misfired_rule_is_overturned_in_bulk(service, storage, clock):
    """Every automatic case of the rule in the window, and nothing else: points refunded,
    mutes and bans lifted, each member told once; a preview first, one audit decision."""
    clock.advance(-7200)
    await service.on_message(msg("thằng ngu", author="old", clock=clock))  # before the window
    clock.advance(7200)
    since = clock.now - 3600
    # 2 points a message: the fourth mutes (8 points)
    for text in ("thằng ngu", "đồ ngu", "mày ngu như bò", "thằng ngu"):
        clock.advance(1)
        await service.on_message(msg(text, author="m1", clock=clock))
    await service.on_message(msg("đồ ngu", author="m2", clock=clock))
    await service.update_settings(G, "admin", {"rule_overrides": [
        ["vi.insult.stupid", "min_action", "ban"]]})
    await service.on_message(msg("thằng ngu", author="m3", clock=clock))
    await service.on_message(msg("địt mẹ mày", author="m4", clock=clock))  # another rule
    await service.manual(G, "telegram", "m2", "mod1", "warn", "by hand")  # not automatic
    assert await storage.member_points(G, "m1") != []

    preview, nothing = await service.pardon_rule(G, "vi.insult.stupid", since, "mod2")
    assert nothing == [] and not preview.done
    assert (preview.cases, preview.members, preview.mutes, preview.bans) == (6, 3, 1, 1)
    assert "To do it: X" in preview.said(None, "X")
    assert [c.status for c in await storage.list_cases(G, status="overturned")] == []

    done, actions = await service.pardon_rule(G, "vi.insult.stupid", since, "mod2", True)
    assert done.done and done.cases == 6
    by_kind = sorted((a.kind, a.member_id) for a in actions if a.kind != "modlog")
    assert by_kind == [("dm", "m1"), ("dm", "m2"), ("dm", "m3"), ("unban", "m3"),
                       ("unmute", "m1")]
    (dm,) = [a for a in actions if a.kind == "dm" and a.member_id == "m1"]
    assert dm.text.startswith("🕊️ 4 vụ của bạn theo quy tắc vi.insult.stupid đã được huỷ")
    (log,) = [a for a in actions if a.kind == "modlog"]
    assert log.text.startswith("🕊️ Điều hành viên mod2 đã huỷ 6 vụ của quy tắc vi.insult.stupid")
    overturned = {(c.member_id, c.number) for c in await storage.list_cases(G, status="overturned")}
    assert {m for m, _ in overturned} == {"m1", "m2", "m3"} and len(overturned) == 6
    untouched = {c.member_id: c.status for c in await storage.list_cases(G)
                 if c.status != "overturned"}
    assert untouched == {"old": "active", "m4": "active", "m2": "active"}  # (m2's: by hand)
    assert await storage.member_points(G, "m1") == []  # refunded
    entries = [e for e in await storage.audit_log(G) if e.action == "bulk_pardon"]
    assert len(entries) == 1 and entries[0].actor == "mod2"
    assert len(entries[0].detail["cases"]) == 6
    again, _ = await service.pardon_rule(G, "vi.insult.stupid", since, "mod2", True)
    assert again.cases == 0 and "nothing to overturn" in again.said(None)
    with pytest.raises(ServiceError, match="no rule 'vi.nope'"):
        await service.pardon_rule(G, "vi.nope", since, "mod2")


async def test_letters_that_tell_no_language_are_read_in_the_communitys(service, storage):
    """Under language auto, once the bot has read what a community writes, a message in no
    language of its own ("Cc", the Vietnamese swear abbreviated) is read in it."""
    assert await service.on_message(msg("Cc", author="v0")) == []  # nothing read yet
    for text in ("chào mọi người", "hôm nay đi đâu", "ăn cơm chưa", "mai họp lớp nhé",
                 "ok để mình xem"):
        await service.on_message(msg(text, author="v1"))
    actions = await service.on_message(msg("Cc", author="v2"))
    assert kinds(actions) == ["modlog"] and actions[0].id == 0  # to review; nobody punished
    (item,) = await service.review_queue(G)
    assert (item.rule_ids, item.member_id) == (("vi.obscene.genitals",), "v2")
    assert await storage.list_cases(G) == []
    # an English-speaking community's "cc" is a copy
    other = "guild-en"
    for text in ("hello everyone", "see you at the meeting", "thanks for the notes",
                 "what time is it", "good morning all"):
        await service.on_message(msg(text, author="e1", community=other))
    assert await service.on_message(msg("Cc", author="e2", community=other)) == []
    # a community that says it writes Vietnamese is read so from its first message
    third = "guild-vi"
    await service.update_settings(third, "admin", {"language": "vi"})
    await service.on_message(msg("Cc", author="t1", community=third))  # (no mod log set)
    assert [i.member_id for i in await service.review_queue(third)] == ["t1"]
