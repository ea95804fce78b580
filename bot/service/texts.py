"""What members and moderators read, in Vietnamese and English.

Member-facing texts never contain the member's message, only the rule, the clause and the case.
"""

from __future__ import annotations

from datetime import datetime, timezone, tzinfo

TEXTS: dict[str, dict[str, str]] = {
    "warn": {
        "vi": "⚠️ Cảnh cáo (vụ #{case}): {why}\nNếu bạn thấy không đúng, hãy kháng nghị trong {days} ngày.",
        "en": "⚠️ Warning (case #{case}): {why}\nIf you think this is wrong, you can appeal within {days} days.",
    },
    "delete_warn": {
        "vi": "🗑️ Tin nhắn đã bị xoá; cảnh cáo, {points} điểm (vụ #{case}): {why}\nBạn có thể kháng nghị trong {days} ngày.",
        "en": "🗑️ Your message was removed; warning, {points} points (case #{case}): {why}\nYou can appeal within {days} days.",
    },
    "removed": {
        "vi": "🗑️ Tin nhắn của bạn đã bị xoá.",
        "en": "🗑️ Your message was removed.",
    },
    "mute": {
        "vi": "🔇 Bạn bị tạm cấm chat đến {until} (vụ #{case}): {why}\nBạn có thể kháng nghị trong {days} ngày.",
        "en": "🔇 You are muted until {until} (case #{case}): {why}\nYou can appeal within {days} days.",
    },
    "ban": {
        "vi": "⛔ Bạn bị cấm khỏi cộng đồng (vụ #{case}): {why}\nĐể kháng nghị, hãy nhắn riêng cho bot: /appeal {case}",
        "en": "⛔ You are banned from the community (case #{case}): {why}\nTo appeal, message the bot privately: /appeal {case}",
    },
    "name": {
        "vi": "⚠️ Tên hiển thị của bạn vi phạm nội quy (vụ #{case}): {why}\nHãy đổi tên. Bạn có thể kháng nghị trong {days} ngày.",
        "en": "⚠️ Your display name breaks the rules (case #{case}): {why}\nPlease change it. You can appeal within {days} days.",
    },
    "rules_header": {
        "vi": "Nội quy cộng đồng (theo Bộ Quy tắc ứng xử trên mạng xã hội):",
        "en": "Community rules (after the Code of Conduct on Social Networks):",
    },
    "appeal_approved": {
        "vi": "✅ Kháng nghị vụ #{case} được chấp nhận: {reason}",
        "en": "✅ Your appeal of case #{case} was approved: {reason}",
    },
    "appeal_rejected": {
        "vi": "❌ Kháng nghị vụ #{case} bị từ chối: {reason}",
        "en": "❌ Your appeal of case #{case} was rejected: {reason}",
    },
    "unmuted": {
        "vi": "🔈 Bạn đã được bỏ cấm chat (vụ #{case}).",
        "en": "🔈 Your mute has been lifted (case #{case}).",
    },
    "pardoned": {
        "vi": "🕊️ Vụ #{case} đã được xoá bỏ: {reason}",
        "en": "🕊️ Case #{case} was pardoned: {reason}",
    },
}

ACTION_NAMES = {
    "warn": "warn", "delete_warn": "delete + warn", "mute": "mute", "ban": "ban", "none": "none",
}


def when(ts: float, zone: tzinfo | None = None) -> str:
    """A time as its reader reads it: in the community's time zone (UTC where none is given),
    the offset said ("2026-12-04 16:30 UTC+07:00")."""
    at = datetime.fromtimestamp(ts, tz=zone or timezone.utc)
    offset = at.strftime("%z")
    shown = "UTC" if offset in ("+0000", "") else f"UTC{offset[:3]}:{offset[3:]}"
    return f"{at.strftime('%Y-%m-%d %H:%M')} {shown}"


def member_text(kind: str, language: str, **values: object) -> str:
    lang = "vi" if language == "vi" else "en"
    return TEXTS[kind][lang].format(**values)


def modlog_case(number: int, member: str, rules: tuple[str, ...], cites: list[str], excerpt: str,
                action: str, until: float | None, actor: str, confidence: float | None,
                shadow: bool = False, removed: bool = False, points: float | None = None,
                zone: tzinfo | None = None) -> str:
    """One mod-log entry for a case: everything a moderator needs at 2 a.m., on a few lines.
    What happened to the message and to the member are said apart: "message removed · warn,
    2 points"."""
    sanction = "warn" if action == "delete_warn" else action
    parts = (["message removed"] if removed else []) + [
        f"{ACTION_NAMES.get(sanction, sanction)}"
        + (f", {points:g} points" if points is not None and sanction != "none" else "")
        + (f" until {when(until, zone)}" if until else "")]
    lines = [
        f"{'[shadow] ' if shadow else ''}Case #{number} · member {member} · " + " · ".join(parts),
        f"Rule: {', '.join(rules) or '-'} — {'; '.join(cites) or '-'}",
    ]
    if excerpt:
        lines.append(f"Excerpt: {excerpt}")
    by = "automatic" if actor == "auto" else f"moderator {actor}"
    conf = f", confidence {confidence:.2f}" if confidence is not None else ""
    lines.append(f"By: {by}{conf}")
    return "\n".join(lines)
