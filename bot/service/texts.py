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
    "by_button": {
        "vi": "một điều hành viên đã xem lại vụ việc",
        "en": "a moderator reviewed the case",
    },
    "bulk_pardoned": {
        "vi": "🕊️ {n} vụ của bạn theo quy tắc {rule} đã được huỷ: {reason}",
        "en": "🕊️ {n} of your cases under the rule {rule} were overturned: {reason}",
    },
    "challenge": {
        "vi": "👋 Chào {name}! Để chứng minh bạn là người thật, hãy bấm {picture} trong "
              "{seconds} giây.",
        "en": "👋 Welcome, {name}! To show you are a person, press {picture} within "
              "{seconds} seconds.",
    },
    "request_challenge": {
        "vi": "👋 Chào {name}! Bạn vừa xin vào nhóm. Để chứng minh bạn là người thật, hãy bấm "
              "{picture} trong {seconds} giây; nếu không, yêu cầu sẽ bị từ chối (bạn có thể xin "
              "lại).",
        "en": "👋 Hello, {name}! You asked to join the group. To show you are a person, press "
              "{picture} within {seconds} seconds; otherwise the request is declined (you may "
              "ask again).",
    },
    "request_passed": {
        "vi": "✅ Cảm ơn bạn! Yêu cầu vào nhóm đã được duyệt.",
        "en": "✅ Thank you! Your request to join was approved.",
    },
    "request_failed": {
        "vi": "❌ Chưa đúng, yêu cầu vào nhóm đã bị từ chối. Bạn có thể xin vào lại và thử lần nữa.",
        "en": "❌ That was not the one: the request to join was declined. You may ask to join "
              "again and try once more.",
    },
    "held_new": {
        "vi": "⏳ Tin nhắn của bạn đã được tạm ẩn: thành viên mới chưa được gửi link, số điện thoại, "
              "tin chuyển tiếp hay gắn thẻ nhiều người trong những tin nhắn đầu tiên. Điều hành "
              "viên sẽ xem lại; bạn không bị xử phạt.",
        "en": "⏳ Your message was held: new members cannot post links, phone numbers, forwarded "
              "posts or many mentions in their first messages. A moderator will look at it; you "
              "have not been penalised.",
    },
    "misfire": {
        "vi": "quy tắc này đã xử lý nhầm, các điều hành viên đã huỷ các vụ của nó và hoàn điểm",
        "en": "the rule misfired; the moderators overturned its cases and refunded the points",
    },
    # an appeal refused, told to the member who wrote it
    "no_case": {
        "vi": "Bạn không có vụ #{case}. / You have no case #{case}.",
        "en": "You have no case #{case}.",
    },
    "appeal_not_open": {
        "vi": "Vụ #{case} đã được xoá bỏ hoặc huỷ; không còn gì để kháng nghị.",
        "en": "case #{case} is {status}; there is nothing to appeal",
    },
    "appeal_closed": {
        "vi": "Thời hạn kháng nghị {days} ngày của vụ #{case} đã hết.",
        "en": "the appeal window of {days} days for case #{case} has closed",
    },
    "appeal_twice": {
        "vi": "Vụ #{case} đã được kháng nghị rồi.",
        "en": "case #{case} has already been appealed",
    },
    "appeal_rate": {
        "vi": "Mỗi giờ chỉ được kháng nghị tối đa {n} lần; hãy đợi rồi kháng nghị lại.",
        "en": "at most {n} appeals an hour; please wait before appealing again",
    },
    "appeal_empty": {
        "vi": "Hãy viết vì sao quyết định chưa đúng.",
        "en": "write why the decision was wrong",
    },
    "appeal_long": {
        "vi": "Kháng nghị dài tối đa {max} ký tự (bản này có {n}).",
        "en": "an appeal may be at most {max} characters (this one has {n})",
    },
    "pardoned": {
        "vi": "🕊️ Vụ #{case} đã được xoá bỏ: {reason}",
        "en": "🕊️ Case #{case} was pardoned: {reason}",
    },
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
