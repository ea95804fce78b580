"""Storage for the moderation service: an interface and its SQLite implementation."""

from bot.service.storage.base import Storage
from bot.service.storage.sqlite import SqliteStorage, database_path, open_storage

__all__ = ["SqliteStorage", "Storage", "database_path", "open_storage"]
