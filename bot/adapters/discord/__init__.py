"""The Discord adapter (discord.py 2.x)."""

from bot.adapters.discord.app import (
    DiscordConfig, QuytacBot, ShardedQuytacBot, make_bot, run_discord,
)
from bot.adapters.discord.web import DiscordRights, for_web

__all__ = ["DiscordConfig", "DiscordRights", "QuytacBot", "ShardedQuytacBot", "for_web",
           "make_bot", "run_discord"]
