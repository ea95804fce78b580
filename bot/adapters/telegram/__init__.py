"""The Telegram adapter (python-telegram-bot v22)."""

from bot.adapters.telegram.app import TelegramConfig, build_application, run_telegram, running
from bot.adapters.telegram.web import TelegramRights, for_web

__all__ = ["TelegramConfig", "TelegramRights", "build_application", "for_web", "run_telegram",
           "running"]
