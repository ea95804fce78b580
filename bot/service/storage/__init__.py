"""Storage for the moderation service: an interface, one SQL implementation, two databases."""

from __future__ import annotations

import re

from bot.service.config import ConfigError
from bot.service.storage.base import Storage
from bot.service.storage.postgres import PostgresStorage
from bot.service.storage.sql import SqlStorage
from bot.service.storage.sqlite import SqliteStorage, database_path, database_url


def make_storage(url: str | None = None) -> SqlStorage:
    """The storage ``DATABASE_URL`` (or ``url``) names: ``postgresql://...`` or a SQLite file."""
    resolved = database_url(url)
    if resolved.startswith(("postgresql://", "postgres://")):
        return PostgresStorage(resolved)
    scheme = resolved.partition("://")[0] if "://" in resolved else ""
    if scheme and scheme != "sqlite":
        # never taken as a SQLite file name ("mysql:/u@h/db" in the working folder)
        shown = re.sub(r"//([^:@/]+):[^@/]*@", r"//\1:***@", resolved)
        raise ConfigError([f"DATABASE_URL: {shown!r}: {scheme} is not supported; use a SQLite "
                           f"path, sqlite:///path, or postgresql://user@host/db"])
    return SqliteStorage(database_path(resolved))


def describe(storage: SqlStorage) -> str:
    """Where the storage lives, for messages (never a password)."""
    if isinstance(storage, PostgresStorage):
        return re.sub(r"//([^:@/]+):[^@/]*@", r"//\1:***@", storage.url)
    return str(getattr(storage, "path", "?"))


async def open_storage(url: str | None = None) -> SqlStorage:
    """Open (creating if needed) and migrate the configured database."""
    storage = make_storage(url)
    await storage.open()
    await storage.migrate()
    return storage


__all__ = ["PostgresStorage", "SqlStorage", "SqliteStorage", "Storage", "database_path",
           "describe", "make_storage", "open_storage"]
