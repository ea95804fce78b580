"""A member's private chat with the bot: the Appeal button's deep link (``/start appeal-...``)
begins an appeal, and the member's next message there is its text; ``/dashboard`` opens the
moderators' dashboard as a Mini App."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update, WebAppInfo
from telegram.ext import ContextTypes

from bot.adapters.telegram.perform import decode_chat
from bot.adapters.telegram.shared import Shared
from bot.service import ServiceError

PRIVATE_COMMANDS = [("appeal", "appeal one of your cases"), ("start", "start")]


class PrivateChat:
    def __init__(self, shared: Shared) -> None:
        self.s = shared

    async def cmd_start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        msg, user = update.effective_message, update.effective_user
        if msg is None or user is None:
            return
        arg = (context.args or [""])[0]
        if not arg.startswith("appeal-"):
            await msg.reply_text("Xin chào! Dùng nút Kháng nghị trong tin cảnh báo để kháng nghị.\n"
                                 "Hello! Use the Appeal button on a warning to appeal it.")
            return
        try:
            encoded, _, number = arg[len("appeal-"):].rpartition("-")
            community, case_no = decode_chat(encoded), int(number)
            case = await self.s.service.begin_appeal("telegram", community, case_no, str(user.id))
        except (ValueError, ServiceError) as exc:
            await msg.reply_text(str(exc) if isinstance(exc, ServiceError) else "Unknown link.")
            return
        vi = case.language == "vi"
        await msg.reply_text(
            (f"Vụ #{case.number}, quy tắc {', '.join(case.rule_ids) or '-'}.\n"
             "Hãy viết lý do kháng nghị trong một tin nhắn.") if vi else
            (f"Case #{case.number}, rule {', '.join(case.rule_ids) or '-'}.\n"
             "Write why you appeal, in one message."))

    async def cmd_dashboard(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """In private, the dashboard opens as a Mini App (Telegram allows its buttons only in
        private chats): it logs in with the app's signed initData."""
        msg, web_url = update.effective_message, self.s.performer.web_url
        if msg is None:
            return
        if not web_url:
            await msg.reply_text("Bảng điều khiển chưa được bật ở đây (QUYTAC_WEB_URL). / "
                                 "The dashboard is not set up here (QUYTAC_WEB_URL).")
            return
        button = InlineKeyboardButton("Mở bảng điều khiển / Open the dashboard",
                                      web_app=WebAppInfo(f"{web_url}/login"))
        await msg.reply_text("Các cộng đồng bạn điều hành. / The communities you moderate.",
                             reply_markup=InlineKeyboardMarkup([[button]]))

    async def cmd_appeal(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.effective_message is not None:
            await update.effective_message.reply_text(
                "Bấm nút Kháng nghị trong tin cảnh báo hoặc tin nhắn riêng của bot.\n"
                "Press the Appeal button on the warning or on the bot's direct message.")

    async def on_private_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        msg, user = update.effective_message, update.effective_user
        if msg is None or user is None:
            return
        try:
            begun = await self.s.service.appeal_begun("telegram", str(user.id), msg.text or "",
                                                    user.full_name, user.username or "")
        except ServiceError as exc:
            await msg.reply_text(str(exc))
            return
        if begun is None:
            return
        number, _, actions = begun
        await self.s.performer.perform(actions)
        await msg.reply_text(f"Đã gửi kháng nghị vụ #{number}. / Your appeal of case #{number} "
                             "was sent to the moderators.")
