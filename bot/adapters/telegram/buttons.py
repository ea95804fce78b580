"""The mod log's buttons: pardon a case, approve or reject an appeal, confirm or dismiss a
review item. Each press checks again that the presser administers the group; the decided
entry's row of buttons goes, and the entry says who decided."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Message as TgMessage, Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.adapters.telegram.shared import Shared
from bot.service import ServiceError


class Buttons:
    def __init__(self, shared: Shared) -> None:
        self.s = shared

    async def on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None or query.data is None:
            return
        verb, arg, community = (query.data.split(":", 2) + ["", ""])[:3]
        if not arg.isdigit() or not community.lstrip("-").isdigit():
            await query.answer("Unknown button.", show_alert=True)
            return
        mod = str(query.from_user.id)
        if not await self.s.directory.is_admin(int(community), query.from_user.id):
            await query.answer("Only moderators of that group can do this.", show_alert=True)
            return
        number = int(arg)
        try:
            if verb == "pardon":
                actions = await self.s.service.pardon(community, number, mod, None)
            elif verb in ("appeal-approve", "appeal-reject"):
                approve = verb == "appeal-approve"
                actions = await self.s.service.decide_appeal(community, number, mod, approve, None)
            elif verb == "review-confirm":
                actions = await self.s.service.confirm_review(community, number, mod)
            elif verb == "review-dismiss":
                await self.s.service.dismiss_review(community, number, mod)
                actions = []
            else:
                await query.answer("Unknown button.", show_alert=True)
                return
        except ServiceError as exc:
            await query.answer(str(exc), show_alert=True)
            return
        await self.s.performer.perform(actions)
        await query.answer("✓")
        if query.message is not None and isinstance(query.message, TgMessage):
            # a mod-log post may carry several entries, each with a row of buttons: the row of
            # the one decided goes, the others stay
            name = query.from_user.username or query.from_user.first_name
            keyboard = query.message.reply_markup.inline_keyboard \
                if query.message.reply_markup else ()
            # the button's own label says what was done, in the log's language
            done = next((b.text for row in keyboard for b in row if b.callback_data == query.data),
                        f"{verb} #{number}")
            rows = [row for row in keyboard if not any(b.callback_data == query.data for b in row)]
            try:
                await query.edit_message_text(
                    f"{query.message.text or ''}\n✔ {done} — {name}",
                    reply_markup=InlineKeyboardMarkup(rows) if rows else None)
            except TelegramError:
                pass
