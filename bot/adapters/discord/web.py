"""What the dashboard needs from Discord: whether a user moderates a server (Moderate Members or
Administrator there, read by the bot from the server's roles and the member's, a minute old at
most, never from the browser), and a performer for what a moderator's change on the web sets
off, over a REST-only client of the dashboard's own (no gateway connection)."""

from __future__ import annotations

import time
from contextlib import asynccontextmanager
from typing import AsyncIterator, Callable

import discord

from bot.adapters.discord.app import DiscordConfig, point_at
from bot.adapters.discord.perform import Performer
from bot.service import LRU, ModerationService

RIGHTS_SECONDS = 60.0


class DiscordRights:
    def __init__(self, client: discord.Client,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.client = client
        self.clock = clock
        self._answers: LRU[tuple[str, str], tuple[float, bool]] = LRU(100_000)

    def claims(self, community: str) -> bool:
        """Discord servers have positive snowflake ids; Telegram groups negative ones."""
        return community.isdigit()

    async def moderates(self, community: str, user: str) -> bool:
        if not user.isdigit():
            return False
        now = self.clock()
        cached = self._answers.get((community, user))
        if cached is not None and now - cached[0] < RIGHTS_SECONDS:
            return cached[1]
        try:
            guild = await self.client.fetch_guild(int(community))
            member = await guild.fetch_member(int(user))
            perms = member.guild_permissions
            answer = perms.moderate_members or perms.administrator
        except discord.HTTPException:  # not a member, or the bot is not in that server
            answer = False
        self._answers[(community, user)] = (now, answer)
        return answer


@asynccontextmanager
async def for_web(config: DiscordConfig, service: ModerationService,
                  clock: Callable[[], float] = time.monotonic
                  ) -> AsyncIterator[tuple[DiscordRights, Performer]]:
    point_at(config)
    # (no gateway: the intents only keep discord.py from warning about the cache it keeps)
    client = discord.Client(intents=discord.Intents(guilds=True))
    await client.login(config.token)
    performer = Performer(client, service)  # type: ignore[arg-type] (REST calls only)
    try:
        yield DiscordRights(client, clock), performer
    finally:
        performer.close()
        await client.close()
