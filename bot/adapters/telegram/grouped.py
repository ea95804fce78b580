"""Posts to one chat, grouped while a raid lasts: the mod log, and warnings in a group.

Telegram lets a bot post about 20 messages a minute in one group. A raid of 600 violations would
make 600 mod-log posts and 600 warnings: half an hour of 429s, moderators scrolling through
them, and a chat the bot was meant to keep clean buried in its own notices. Here a post goes out
at once when the chat is quiet (a warning then replies to the message it is about, as a lone
notice should); entries that arrive while it is on its way wait and go together in the next
post (up to ``MAX_ENTRIES`` of them, within Telegram's 4,096 characters), each with its own row
of buttons, labelled with its case. Each entry learns the outcome of the post that carried it
(the message id, or the error), so the performer records it on the entry's case and retries as
for any call.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, ReplyParameters

if TYPE_CHECKING:
    from telegram import Bot

MAX_ENTRIES = 10
MAX_TEXT = 4096
SEPARATOR = "\n\n"


@dataclass
class _Entry:
    text: str
    row: list[InlineKeyboardButton]
    done: asyncio.Future[int] = field(repr=False)  # the id of the post that carried it
    reply_to: int | None = None


def take(entries: list[_Entry]) -> list[_Entry]:
    """The first entries that fit one post (always at least one)."""
    batch = entries[:1]
    size = len(batch[0].text)
    for entry in entries[1:MAX_ENTRIES]:
        size += len(SEPARATOR) + len(entry.text)
        if size > MAX_TEXT:
            break
        batch.append(entry)
    return batch


class GroupedPoster:
    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self._waiting: dict[int, list[_Entry]] = {}
        self._senders: dict[int, asyncio.Task[None]] = {}

    async def post(self, chat: int, text: str, row: list[InlineKeyboardButton],
                   reply_to: int | None = None) -> int:
        """Post ``text`` with its buttons to ``chat``, alone or with others (``reply_to`` is
        kept only by a post that goes alone); the message id of the post, or raise what the
        post raised."""
        done: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(chat, []).append(_Entry(text, row, done, reply_to))
        if chat not in self._senders:
            self._senders[chat] = asyncio.get_running_loop().create_task(self._send(chat))
        return await done

    def close(self) -> None:
        """Stop posting; whoever waits on an entry not yet posted sees it cancelled."""
        for task in list(self._senders.values()):
            task.cancel()

    async def _send(self, chat: int) -> None:
        batch: list[_Entry] = []
        try:
            while self._waiting.get(chat):
                waiting = self._waiting[chat]
                batch = take(waiting)
                del waiting[: len(batch)]
                rows = [e.row for e in batch if e.row]
                reply_to = batch[0].reply_to if len(batch) == 1 else None
                try:
                    sent = await self.bot.send_message(
                        chat_id=chat, text=SEPARATOR.join(e.text for e in batch),
                        reply_markup=InlineKeyboardMarkup(rows) if rows else None,
                        reply_parameters=ReplyParameters(
                            reply_to, allow_sending_without_reply=True) if reply_to else None)
                except Exception as exc:  # each entry's performer decides what to do with it
                    _settle(batch, exc)
                else:
                    _settle(batch, sent.message_id)
        finally:  # stopped: nobody waits for ever on a post that will not be made
            del self._senders[chat]
            for entry in [*batch, *self._waiting.pop(chat, [])]:
                if not entry.done.done():
                    entry.done.cancel()


def _settle(batch: list[_Entry], outcome: int | Exception) -> None:
    for entry in batch:
        if entry.done.done():
            continue  # its performer stopped waiting
        if isinstance(outcome, Exception):
            entry.done.set_exception(outcome)
        else:
            entry.done.set_result(outcome)
