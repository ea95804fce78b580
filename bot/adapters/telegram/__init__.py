"""The Telegram adapter (python-telegram-bot v22)."""

from bot.adapters.telegram.app import TelegramConfig, build_application, run_telegram, running

__all__ = ["TelegramConfig", "build_application", "run_telegram", "running"]
