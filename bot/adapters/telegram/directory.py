"""Who is who in the bot's chats, as far as Telegram says: which users administer a chat (the
chat's administrator list, asked for at most once a minute) and which id an @username stands
for (learned from the messages the bot sees; Telegram has no lookup for it)."""

from __future__ import annotations

import time
from typing import Callable

from telegram import Bot, User
from telegram.constants import ChatMemberStatus
from telegram.error import TelegramError

from bot.service import LRU

ADMIN_CACHE_SECONDS = 60.0
ANONYMOUS_ADMIN = 1087968824  # the "Group" user Telegram shows for anonymous administrators


class ChatDirectory:
    def __init__(self, bot: Bot, clock: Callable[[], float] = time.monotonic) -> None:
        self.bot = bot
        self.clock = clock
        # bounded: a long-running bot in busy groups must not grow without limit
        self._admins: LRU[tuple[int, int], tuple[float, bool]] = LRU(100_000)
        self._admin_lists: LRU[int, tuple[float, frozenset[int]]] = LRU(10_000)
        self._usernames: LRU[str, int] = LRU(100_000)

    def remember(self, user: User) -> None:
        """A user seen writing: their @username now names them in commands."""
        if user.username:
            self._usernames[user.username.lower()] = user.id

    def user_id(self, username: str) -> int | None:
        """The id of ``@username`` (without the @), if the bot has seen them write."""
        return self._usernames.get(username.lower())

    async def is_admin(self, chat_id: int, user_id: int) -> bool:
        """Whether the user administers the chat, from the chat's administrator list.

        One getChatAdministrators per chat and minute answers for every member: a raid of a
        thousand new accounts costs one call, not a thousand getChatMember calls.
        """
        now = self.clock()
        cached = self._admin_lists.get(chat_id)
        if cached is None or now - cached[0] >= ADMIN_CACHE_SECONDS:
            try:
                admins = await self.bot.get_chat_administrators(chat_id)
                cached = (now, frozenset(m.user.id for m in admins if m.status in (
                    ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)))
            except TelegramError:
                return await self._is_admin_one(chat_id, user_id, now)
            self._admin_lists[chat_id] = cached
        return user_id in cached[1]

    async def _is_admin_one(self, chat_id: int, user_id: int, now: float) -> bool:
        """The same for one user, when the list is refused (a chat the bot cannot list)."""
        key = (chat_id, user_id)
        cached = self._admins.get(key)
        if cached and now - cached[0] < ADMIN_CACHE_SECONDS:
            return cached[1]
        try:
            member = await self.bot.get_chat_member(chat_id, user_id)
            admin = member.status in (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)
        except TelegramError:
            admin = False
        self._admins[key] = (now, admin)
        return admin
