"""What moderators read in the mod log, in the community's language (Vietnamese or English).

Every mod-log text the service posts is built here: case entries, review items, appeals,
reminders, failure and outage notices, the outcome line and the buttons' labels. A member is
named as moderators know them (display name, @username) with the id that commands take, and a
case links the message or its place when the platform gave a link.
"""

from __future__ import annotations

from datetime import tzinfo

from bot.service.texts import when

LOG: dict[str, dict[str, str]] = {
    "case": {"vi": "Vụ #{number} · {member} · {outcome}",
             "en": "Case #{number} · {member} · {outcome}"},
    "shadow": {"vi": "[chế độ thử] ", "en": "[shadow] "},
    "removed": {"vi": "đã xoá tin nhắn", "en": "message removed"},
    "points": {"vi": "{points} điểm", "en": "{points} points"},
    "until": {"vi": "đến {until}", "en": "until {until}"},
    "rule": {"vi": "Quy tắc: {rules} — {cites}", "en": "Rule: {rules} — {cites}"},
    "excerpt": {"vi": "Trích: {excerpt}", "en": "Excerpt: {excerpt}"},
    "link": {"vi": "Tin nhắn: {link}", "en": "Message: {link}"},
    "by_auto": {"vi": "Bởi: tự động{confidence}", "en": "By: automatic{confidence}"},
    "by_moderator": {"vi": "Bởi: điều hành viên {actor}{confidence}",
                     "en": "By: moderator {actor}{confidence}"},
    "confidence": {"vi": ", độ tin cậy {value:.2f}", "en": ", confidence {value:.2f}"},
    "member_id": {"vi": "thành viên {id}", "en": "member {id}"},
    "review": {"vi": "Cần xem xét #{id} ({why}) · {member} · {rules} · độ tin cậy {confidence:.2f}"
                     "\nTrích: {excerpt}",
               "en": "Review #{id} ({why}) · {member} · {rules} · confidence {confidence:.2f}"
                     "\nExcerpt: {excerpt}"},
    "review_moderator": {"vi": "tin nhắn của điều hành viên", "en": "moderator's message"},
    "review_low_confidence": {"vi": "độ tin cậy thấp", "en": "low confidence"},
    "review_new_member": {"vi": "thành viên mới, tin nhắn đã tạm xoá",
                          "en": "new member, message held"},
    "appeal": {"vi": "Kháng nghị vụ #{number} của {member} ({rules}):\n{text}",
               "en": "Appeal of case #{number} by {member} ({rules}):\n{text}"},
    "appeal_reminder": {"vi": "⏰ Kháng nghị vụ #{number} vẫn đang chờ quyết định.",
                        "en": "⏰ The appeal of case #{number} is still waiting for a decision."},
    "failure": {"vi": "⚠️ Vụ #{number}: không thể {kind} {member}: {reason}. "
                      "Hãy kiểm tra quyền của bot.",
                "en": "⚠️ Case #{number}: could not {kind} {member}: {reason}. "
                      "Check the bot's permissions."},
    "outage": {"vi": "⚠️ Phát hiện spam và tin nhắn lặp đang đếm riêng trong từng tiến trình "
                     "của bot: kho dùng chung (REDIS_URL) không trả lời ({error}). Spam rải qua "
                     "nhiều tiến trình có thể bị bỏ sót cho đến khi nó trả lời; mọi tin nhắn vẫn "
                     "được kiểm tra.",
               "en": "⚠️ Flood and duplicate detection is counting in each bot process alone: "
                     "the shared store (REDIS_URL) does not answer ({error}). A flood spread "
                     "over several processes may be missed until it answers; every message is "
                     "still judged."},
    "outage_over": {"vi": "✅ Kho dùng chung đã trả lời lại: spam được đếm trên mọi tiến trình.",
                    "en": "✅ The shared flood store answers again: floods are counted across "
                          "processes."},
    "bulk_pardon": {"vi": "🕊️ Điều hành viên {moderator} đã huỷ {cases} vụ của quy tắc {rule} từ "
                          "{since} ({members} thành viên; bỏ {mutes} lệnh cấm chat, {bans} lệnh "
                          "cấm).",
                    "en": "🕊️ Moderator {moderator} overturned {cases} cases of the rule {rule} "
                          "since {since} ({members} members; {mutes} mutes and {bans} bans "
                          "lifted)."},
    "failure_raid": {"vi": "⚠️ Không thể {kind} {target}: {reason}. Hãy kiểm tra quyền của bot.",
                     "en": "⚠️ Could not {kind} {target}: {reason}. Check the bot's permissions."},
    "raid_started": {"vi": "🚨 Chế độ chống raid đã bật ({by}): {joins} thành viên vào nhóm từ "
                           "{since}. Biện pháp: {action}. Tự tắt sau {cooldown} phút không có ai "
                           "vào thêm và không có tin nhắn của người mới vào.",
                     "en": "🚨 Raid mode is on ({by}): {joins} members joined since {since}. "
                           "Action: {action}. It ends after {cooldown} min with no more joins "
                           "and no message from those who joined."},
    "raid_ended": {"vi": "✅ Chế độ chống raid đã tắt ({by}). {joins} thành viên vào nhóm từ "
                         "{since}; {released} người được bỏ hạn chế; mọi thay đổi đã được hoàn "
                         "lại.",
                   "en": "✅ Raid mode is over ({by}). {joins} members joined since {since}; "
                         "{released} released; every change it made was undone."},
    "raid_banned": {"vi": "⛔ Điều hành viên {moderator} đã cấm {members} thành viên vào nhóm "
                          "từ {since}.",
                    "en": "⛔ Moderator {moderator} banned the {members} members who joined "
                          "since {since}."},
    "blocklist_down": {"vi": "⚠️ Danh sách chặn dùng chung không trả lời ({error}); thành viên mới "
                             "vẫn được vào cho đến khi nó trả lời lại.",
                       "en": "⚠️ The shared block list does not answer ({error}); members who "
                             "join are let in until it answers again."},
    "raid_by_auto": {"vi": "tự động", "en": "automatic"},
    "raid_by_moderator": {"vi": "điều hành viên {moderator}", "en": "moderator {moderator}"},
    "raid_action_alert": {"vi": "chỉ cảnh báo", "en": "alert only"},
    "raid_action_restrict": {"vi": "hạn chế thành viên mới", "en": "new members held"},
    "raid_action_lock": {"vi": "hạn chế thành viên mới và khoá nhóm",
                         "en": "new members held and the chat locked"},
    "button_raid_end": {"vi": "Tắt chế độ raid", "en": "End raid mode"},
    "button_raid_ban": {"vi": "Cấm {n} người mới vào", "en": "Ban the {n} who joined"},
    "button_raid_extend": {"vi": "Gia hạn {minutes} phút", "en": "Extend {minutes} min"},
    "outcome": {"vi": "Kết quả: {parts}", "en": "Outcome: {parts}"},
    "button_pardon": {"vi": "Xoá bỏ #{number}", "en": "Pardon #{number}"},
    "button_confirm": {"vi": "Xác nhận #{id}", "en": "Confirm review #{id}"},
    "button_dismiss": {"vi": "Bỏ qua #{id}", "en": "Dismiss review #{id}"},
    "button_approve": {"vi": "Chấp nhận #{number}", "en": "Approve #{number}"},
    "button_reject": {"vi": "Từ chối #{number}", "en": "Reject #{number}"},
}

# what was done, as the log names it (a case's action and the platform actions of its outcome)
DONE: dict[str, dict[str, str]] = {
    "vi": {"none": "không xử phạt", "warn": "cảnh cáo", "mute": "tạm cấm chat", "ban": "cấm",
           "delete": "xoá", "dm": "nhắn riêng", "unmute": "bỏ cấm chat", "unban": "bỏ cấm",
           "modlog": "nhật ký", "purge": "xoá loạt tin nhắn", "hold": "hạn chế",
           "release": "bỏ hạn chế", "lockdown": "khoá", "unlock": "mở khoá",
           "slowmode": "đặt chế độ chậm", "challenge": "gửi thử thách cho", "kick": "mời ra",
           "grant": "cấp vai trò cho", "approve": "duyệt yêu cầu vào nhóm của",
           "decline": "từ chối yêu cầu vào nhóm của"},
    "en": {"none": "none", "warn": "warn", "mute": "mute", "ban": "ban", "delete": "delete",
           "dm": "dm", "unmute": "unmute", "unban": "unban", "modlog": "modlog",
           "purge": "purge", "hold": "hold", "release": "release", "lockdown": "lock down",
           "unlock": "unlock", "slowmode": "set slow mode in", "challenge": "challenge",
           "kick": "remove", "grant": "grant the role to",
           "approve": "approve the join request of", "decline": "decline the join request of"},
}


def _lang(language: str) -> str:
    return "vi" if language == "vi" else "en"


def log_text(key: str, language: str, **values: object) -> str:
    return LOG[key][_lang(language)].format(**values)


def done_name(kind: str, language: str) -> str:
    return DONE[_lang(language)].get(kind, kind)


def member_label(member_id: str, language: str, name: str = "", username: str = "") -> str:
    """A member as moderators know them: "Lan Anh (@lananh, 1234)", or by id alone when the
    platform gave no name (a case rebuilt after a restart)."""
    name = " ".join(name.split())
    if name == username:
        name = ""  # a Discord member without a display name of their own
    handle = f"@{username}" if username else ""
    if not name and not handle:
        return log_text("member_id", language, id=member_id)
    known = ", ".join(p for p in (handle, member_id) if p)
    return f"{name or handle} ({known})" if name else f"{handle} ({member_id})"


def case_entry(language: str, number: int, member: str, rules: tuple[str, ...],
               cites: list[str], excerpt: str, action: str, until: float | None, actor: str,
               confidence: float | None, shadow: bool = False, removed: bool = False,
               points: float | None = None, zone: tzinfo | None = None, link: str = "") -> str:
    """One mod-log entry for a case: everything a moderator needs at 2 a.m., on a few lines.
    What happened to the message and to the member are said apart: "message removed · warn,
    2 points"."""
    sanction = "warn" if action == "delete_warn" else action
    said = done_name(sanction, language)
    if points is not None and sanction != "none":
        said += ", " + log_text("points", language, points=f"{points:g}")
    if until:
        said += " " + log_text("until", language, until=when(until, zone))
    outcome = " · ".join(([log_text("removed", language)] if removed else []) + [said])
    lines = [
        (log_text("shadow", language) if shadow else "")
        + log_text("case", language, number=number, member=member, outcome=outcome),
        log_text("rule", language, rules=", ".join(rules) or "-", cites="; ".join(cites) or "-"),
    ]
    if excerpt:
        lines.append(log_text("excerpt", language, excerpt=excerpt))
    if link:
        lines.append(log_text("link", language, link=link))
    sure = log_text("confidence", language, value=confidence) if confidence is not None else ""
    lines.append(log_text("by_auto", language, confidence=sure) if actor == "auto"
                 else log_text("by_moderator", language, actor=actor, confidence=sure))
    return "\n".join(lines)


def outcome_text(outcomes: list[tuple[str, str, str]], language: str) -> str:
    """How a case's platform actions went: "Outcome: delete ✓, warn ✗ Forbidden"."""
    parts = [f"{done_name(kind, language)} "
             f"{'✓' if state == 'done' else '✗ ' + reason if state == 'failed' else '…'}"
             for kind, state, reason in outcomes if kind != "modlog"]
    return log_text("outcome", language, parts=", ".join(parts)) if parts else ""
