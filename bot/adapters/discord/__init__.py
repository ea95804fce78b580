"""The Discord adapter (discord.py 2.x)."""

from bot.adapters.discord.app import (
    DiscordConfig, QuytacBot, ShardedQuytacBot, make_bot, run_discord,
)

__all__ = ["DiscordConfig", "QuytacBot", "ShardedQuytacBot", "make_bot", "run_discord"]
