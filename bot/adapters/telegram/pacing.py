"""Calls that send messages paced within Telegram's limits, before Telegram refuses them.

Telegram answers 429 past about 30 messages a second in all, 20 a minute in one group and one a
second in one private chat. During a raid the bot's warnings and mod-log posts would hit those
limits, fail five times and be recorded as failed; paced, a post waits its turn instead, and
the entries that arrive meanwhile go out together in it (``bot.adapters.grouped``). Deleting,
muting and banning are not paced: they are what stops a raid.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from dataclasses import dataclass
from typing import Awaitable, Callable

from bot.service import LRU

SENDING = frozenset({"sendMessage", "sendDocument", "sendPhoto", "copyMessage",
                     "forwardMessage", "editMessageText", "editMessageReplyMarkup"})


@dataclass(frozen=True)
class Limits:
    per_second: float = 30.0  # messages a second, all chats together
    per_group: int = 20  # messages in one group ...
    group_window: float = 60.0  # ... within this many seconds
    private_interval: float = 1.0  # seconds between messages to one private chat


class Pacer:
    """Reserves each sending call a moment within the limits, and waits for it."""

    def __init__(self, limits: Limits = Limits(), clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.limits = limits
        self.clock = clock
        self.sleep = sleep
        # All chats together: time cut in turns of 1/per_second, one message a turn. A message
        # held back for its chat takes a turn at its own moment, later, and none meanwhile; so
        # messages held back for many chats, going when their chats allow, cannot pile up on
        # the turns of the others (a group's minute ending as private messages go out made 40
        # in one second).
        self._taken: set[int] = set()
        self._sent: LRU[int, deque[float]] = LRU(10_000)  # per chat: its reserved moments

    def reserve(self, method: str, chat_id: int | None) -> float:
        """The seconds to wait before this call may go (0: at once), its moment reserved."""
        if method not in SENDING:
            return 0.0
        now = self.clock()
        at = now if chat_id is None else self._chat_slot(chat_id, now)
        at = self._turn(at, now)
        if chat_id is not None:
            self._sent.setdefault(chat_id, deque()).append(at)
        return at - now

    def _turn(self, at: float, now: float) -> float:
        """The first free turn from ``at`` on, taken."""
        rate = self.limits.per_second
        turn = math.ceil(at * rate - 1e-9)
        if len(self._taken) > 4096:  # turns past are free to forget
            self._taken = {t for t in self._taken if t >= now * rate - 1}
        while turn in self._taken:
            turn += 1
        self._taken.add(turn)
        return max(at, turn / rate)

    def _chat_slot(self, chat_id: int, at: float) -> float:
        sent = self._sent.get(chat_id)
        if not sent:
            return at
        limits = self.limits
        if chat_id > 0:  # a private chat
            return max(at, sent[-1] + limits.private_interval)
        while sent and sent[0] <= at - limits.group_window:
            sent.popleft()
        if len(sent) < limits.per_group:
            return at
        # the window is full: the first moment one of its messages has left it, with a margin
        # (Telegram counts a message when it arrives, and arrivals wander)
        return sent[-limits.per_group] + limits.group_window * 1.05

    async def wait(self, method: str, chat_id: int | None) -> None:
        delay = self.reserve(method, chat_id)
        if delay > 0:
            await self.sleep(delay)
