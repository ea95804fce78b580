"""Mod-log posts to one chat, grouped while a raid lasts.

Telegram lets a bot post about 20 messages a minute in one group. A raid of 600 violations would
make 600 posts: half an hour of 429s, and moderators scrolling through them. Here a post goes out
at once when the chat is quiet; entries that arrive while it is on its way wait and go together
in the next post (up to ``MAX_ENTRIES`` of them, within Telegram's 4,096 characters), each with
its own row of buttons. Each entry learns the outcome of the post that carried it, so the
performer records it on the entry's case and retries as for any call.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

if TYPE_CHECKING:
    from telegram import Bot

MAX_ENTRIES = 10
MAX_TEXT = 4096
SEPARATOR = "\n\n"


@dataclass
class _Entry:
    text: str
    row: list[InlineKeyboardButton]
    done: asyncio.Future[None] = field(repr=False)


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


class ModLogPoster:
    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self._waiting: dict[int, list[_Entry]] = {}
        self._senders: dict[int, asyncio.Task[None]] = {}

    async def post(self, chat: int, text: str, row: list[InlineKeyboardButton]) -> None:
        """Post ``text`` with its buttons to ``chat``, alone or with others; raise what the post
        raised."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(chat, []).append(_Entry(text, row, done))
        if chat not in self._senders:
            self._senders[chat] = asyncio.get_running_loop().create_task(self._send(chat))
        await done

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
                try:
                    await self.bot.send_message(
                        chat_id=chat, text=SEPARATOR.join(e.text for e in batch),
                        reply_markup=InlineKeyboardMarkup(rows) if rows else None)
                except Exception as exc:  # each entry's performer decides what to do with it
                    _settle(batch, exc)
                else:
                    _settle(batch, None)
        finally:  # stopped: nobody waits for ever on a post that will not be made
            del self._senders[chat]
            for entry in [*batch, *self._waiting.pop(chat, [])]:
                if not entry.done.done():
                    entry.done.cancel()


def _settle(batch: list[_Entry], exc: Exception | None) -> None:
    for entry in batch:
        if entry.done.done():
            continue  # its performer stopped waiting
        if exc is None:
            entry.done.set_result(None)
        else:
            entry.done.set_exception(exc)
