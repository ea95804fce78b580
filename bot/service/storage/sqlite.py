"""SQLite through aiosqlite: one file, WAL mode, the embedded default.

One connection per process; an asyncio lock makes each transaction one isolated unit (a single
connection would otherwise interleave two coroutines' statements), and writes take the database
lock at ``BEGIN IMMEDIATE``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, AsyncIterator

import aiosqlite

from bot.service.storage.sql import Dialect, SqlStorage

log = logging.getLogger(__name__)


def database_url(url: str | None = None) -> str:
    """``DATABASE_URL`` (or the argument), default ``quytac.db`` in the user's data directory."""
    url = url if url is not None else os.environ.get("DATABASE_URL", "")
    if not url:
        from platformdirs import user_data_dir

        return str(Path(user_data_dir("quytac")) / "quytac.db")
    return url


def database_path(url: str | None = None) -> Path:
    """A SQLite URL as a path: ``sqlite:///abs/path``, ``sqlite:rel/path`` or a plain path."""
    url = database_url(url)
    for prefix in ("sqlite:///", "sqlite://", "sqlite:"):
        if url.startswith(prefix):
            rest = url[len(prefix):]
            return Path("/" + rest if prefix == "sqlite:///" and not rest.startswith("/") else rest)
    return Path(url)


class _SqliteConn:
    """Each call is one trip to aiosqlite's thread: executing and fetching in two trips would
    double the wait for a busy event loop to take the answer back."""

    def __init__(self, db: aiosqlite.Connection) -> None:
        self.db = db

    async def fetchone(self, sql: str, *args: Any) -> Any:
        rows = await self.db.execute_fetchall(sql, args)
        return next(iter(rows), None)

    async def fetchall(self, sql: str, *args: Any) -> list[Any]:
        return list(await self.db.execute_fetchall(sql, args))

    async def execute(self, sql: str, *args: Any) -> int:
        return (await self.db.execute(sql, args)).rowcount

    async def insert(self, sql: str, *args: Any) -> int:
        return (await self.db.execute(sql, args)).lastrowid or 0


class SqliteDialect(Dialect):
    name = "sqlite"

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._db: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()

    async def open(self) -> None:
        if not self.path.parent.is_dir():
            # (the default lives in the user's data folder, which may not exist yet; a typo in
            # DATABASE_URL shows here, with the path)
            self.path.parent.mkdir(parents=True, exist_ok=True)
            log.warning("database folder %s did not exist: created it", self.path.parent)
        self._db = await aiosqlite.connect(self.path, isolation_level=None)
        self._db.row_factory = aiosqlite.Row
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON",
                       "busy_timeout=5000"):
            await self._db.execute(f"PRAGMA {pragma}")

    async def close(self) -> None:
        if self._db is not None:
            await self._db.close()
            self._db = None

    @property
    def db(self) -> aiosqlite.Connection:
        if self._db is None:
            raise RuntimeError("storage is not open")
        return self._db

    @asynccontextmanager
    async def tx(self) -> AsyncIterator[_SqliteConn]:
        async with self._lock:
            # A task cancelled while awaiting BEGIN still has BEGIN run in aiosqlite's thread,
            # so BEGIN sits inside the guard; ROLLBACK and COMMIT are shielded from a cancel so
            # no transaction is ever left open for the next caller.
            try:
                await self.db.execute("BEGIN IMMEDIATE")
                yield _SqliteConn(self.db)
            except BaseException:
                await asyncio.shield(self._rollback())
                raise
            await asyncio.shield(self.db.execute("COMMIT"))

    async def _rollback(self) -> None:
        try:
            await self.db.execute("ROLLBACK")
        except sqlite3.OperationalError:
            pass  # BEGIN itself failed: nothing to roll back

    @asynccontextmanager
    async def read(self) -> AsyncIterator[_SqliteConn]:
        async with self._lock:
            yield _SqliteConn(self.db)

    async def apply_migration(self, version: int, script: str) -> bool:
        async with self._lock:
            # executescript commits first; wrapping the script keeps each migration atomic
            await self.db.executescript(f"BEGIN;\n{script}\nINSERT INTO schema_version VALUES "
                                        f"({version}, datetime('now'));\nCOMMIT;")
        return True

    def json_has(self, column: str) -> str:
        return f"EXISTS (SELECT 1 FROM json_each({column}) WHERE value = ?)"

    def json_items(self, column: str) -> str:
        return f"json_each({column}) AS j"

    async def lift_audit_guard(self, conn: Any) -> None:
        await conn.execute("DROP TRIGGER audit_no_update")

    async def restore_audit_guard(self, conn: Any) -> None:
        await conn.execute("CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN "
                           "SELECT RAISE(ABORT, 'audit log is append-only'); END")


class SqliteStorage(SqlStorage):
    """The storage on one SQLite file."""

    def __init__(self, path: Path | str) -> None:
        super().__init__(SqliteDialect(path))
        self.path = Path(path)
