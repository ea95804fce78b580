"""What the dashboard needs from Telegram: whether a user administers a chat (the chat's
administrator list, a minute old at most, as for the commands) and a performer for what a
moderator's change on the web sets off (a mute lifted by a pardon)."""

from __future__ import annotations

import time
from contextlib import asynccontextmanager
from typing import AsyncIterator, Callable

from telegram import Bot

from bot.adapters.telegram.app import TelegramConfig, _transports, api_base
from bot.adapters.telegram.directory import ChatDirectory
from bot.adapters.telegram.perform import Performer
from bot.service import ModerationService


class TelegramRights:
    def __init__(self, directory: ChatDirectory) -> None:
        self.directory = directory

    def claims(self, community: str) -> bool:
        """Telegram groups have negative ids; Discord servers do not."""
        return community.startswith("-") and community[1:].isdigit()

    async def moderates(self, community: str, user: str) -> bool:
        return user.isdigit() and await self.directory.is_admin(int(community), int(user))


@asynccontextmanager
async def for_web(config: TelegramConfig, service: ModerationService,
                  clock: Callable[[], float] = time.monotonic
                  ) -> AsyncIterator[tuple[TelegramRights, Performer, str]]:
    """Rights, a performer and the bot's @username, over a Bot of the dashboard's own."""
    actions, _ = _transports(config)
    base = api_base(config)
    bot = Bot(config.token, request=actions, **({"base_url": base} if base else {}))
    async with bot:
        performer = Performer(bot, service, bot.username)
        try:
            yield TelegramRights(ChatDirectory(bot, clock)), performer, bot.username
        finally:
            await performer.close()
