"""Telegram posts grouped while a raid lasts: the mod log, and warnings in a group.

Telegram lets a bot post about 20 messages a minute in one group: a raid would bury the log and
the chat the bot keeps clean in its own notices, and lag half an hour behind (see
``bot/adapters/grouped.py``). A post carries up to ``MAX_ENTRIES`` entries within Telegram's
4,096 characters, each with its own row of buttons (labelled with its case). A warning that goes
alone still replies to the message it is about; a shared post replies to none.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Hashable

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, ReplyParameters

from bot.adapters.grouped import Grouper, fit_by_size

if TYPE_CHECKING:
    from telegram import Bot

MAX_ENTRIES = 10
MAX_TEXT = 4096
SEPARATOR = "\n\n"


@dataclass(frozen=True)
class Entry:
    text: str
    row: list[InlineKeyboardButton]
    reply_to: int | None = None


def take(entries: list[Entry], most: int = MAX_ENTRIES) -> int:
    """How many of the first entries fit one post (always at least one)."""
    return fit_by_size([len(e.text) for e in entries[:most]], most, MAX_TEXT, len(SEPARATOR))


class GroupedPoster:
    def __init__(self, bot: Bot, most: int = MAX_ENTRIES, linger: float = 0.0) -> None:
        """``most``: entries a post carries at most (a message holds 100 buttons at most);
        ``linger``: see ``Grouper``."""
        self.bot = bot
        self._grouper: Grouper[Entry, int] = Grouper(self._send, lambda e: take(e, most),
                                                     linger)

    async def post(self, chat: int, text: str, row: list[InlineKeyboardButton],
                   reply_to: int | None = None) -> int:
        """Post ``text`` with its buttons to ``chat``, alone or with others; the message id of
        the post, or raise what the post raised."""
        return await self._grouper.post(chat, Entry(text, row, reply_to))

    def close(self) -> None:
        self._grouper.close()

    async def _send(self, chat: Hashable, batch: list[Entry]) -> int:
        rows = [e.row for e in batch if e.row]
        reply_to = batch[0].reply_to if len(batch) == 1 else None
        sent = await self.bot.send_message(
            chat_id=chat, text=SEPARATOR.join(e.text for e in batch),
            reply_markup=InlineKeyboardMarkup(rows) if rows else None,
            reply_parameters=ReplyParameters(reply_to, allow_sending_without_reply=True)
            if reply_to else None)
        return sent.message_id
