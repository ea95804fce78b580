"""The Discord adapter (discord.py 2.x)."""

from bot.adapters.discord.app import DiscordConfig, QuytacBot, run_discord

__all__ = ["DiscordConfig", "QuytacBot", "run_discord"]
