"""The mod log's buttons: pardon a case, approve or reject an appeal, confirm or dismiss a
review item, end or extend raid mode or ban those who joined during it. Each press checks again that the presser administers the group; the decided
entry's row of buttons goes, and the entry says who decided."""

from __future__ import annotations

from typing import Callable

from telegram import (
    CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message as TgMessage, Update,
)
from telegram.constants import ChatType
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
        if verb.startswith("verify-"):  # a new member's challenge: theirs to answer, not a mod's
            await self._verify(query, verb, arg, community)
            return
        mod = str(query.from_user.id)
        if not await self.s.directory.is_admin(int(community), query.from_user.id):
            await query.answer("Only moderators of that group can do this.", show_alert=True)
            return
        number = int(arg)
        try:
            if verb.startswith("raid-"):
                await self._raid(query, verb, number, community, mod)
                return
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
        # a mod-log post may carry several entries, each with a row of buttons: the row of the
        # one decided goes, the others stay
        await self._mark_done(query, f"{verb} #{number}",
                              lambda row: any(b.callback_data == query.data for b in row))

    async def _verify(self, query: CallbackQuery, verb: str, member: str, community: str
                      ) -> None:
        try:
            said, actions = await self.s.service.verify_answer(
                community, member, str(query.from_user.id), verb.removeprefix("verify-"))
        except ServiceError as exc:
            await query.answer(str(exc), show_alert=True)
            return
        await query.answer(said)
        self.s.performer.submit(actions)
        message = query.message
        if isinstance(message, TgMessage) and message.chat.type == ChatType.PRIVATE:
            # a join request's challenge, asked in private: the outcome replaces its buttons
            try:
                await query.edit_message_text(f"{message.text or ''}\n\n{said}")
            except TelegramError:
                pass

    async def _raid(self, query: CallbackQuery, verb: str, raid: int, community: str,
                    mod: str) -> None:
        """The raid alert's buttons. Their actions (hundreds of bans) go in the background; the
        first press of "ban" only says how many it would ban."""
        text, actions = await self.s.service.raid_button(community, verb, raid, mod)
        self.s.performer.submit(actions)
        await query.answer(text, show_alert=not actions and verb == "raid-ban")
        if actions or verb == "raid-extend":
            # ending raid mode retires the whole alert, a ban its own button; extending may
            # be done again
            await self._mark_done(query, verb, lambda row: verb == "raid-end",
                                  query.data if verb == "raid-ban" else None)

    async def _mark_done(self, query: CallbackQuery, fallback: str,
                         drop_row: Callable[[tuple[InlineKeyboardButton, ...]], bool],
                         drop_button: str | None = None) -> None:
        """Say under the entry what was done, by whom (the button's own label, in the log's
        language), and take away the buttons it retires."""
        if query.message is None or not isinstance(query.message, TgMessage):
            return
        name = query.from_user.username or query.from_user.first_name
        keyboard = query.message.reply_markup.inline_keyboard if query.message.reply_markup else ()
        done = next((b.text for row in keyboard for b in row if b.callback_data == query.data),
                    fallback)
        rows = [[b for b in row if b.callback_data != drop_button]
                for row in keyboard if not drop_row(row)]
        rows = [row for row in rows if row]
        try:
            await query.edit_message_text(
                f"{query.message.text or ''}\n✔ {done} — {name}",
                reply_markup=InlineKeyboardMarkup(rows) if rows else None)
        except TelegramError:
            pass
