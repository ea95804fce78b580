"""quytac: a moderation bot for Vietnamese and English communities on Discord and Telegram."""

__version__ = "0.1.0"
