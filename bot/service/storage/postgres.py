"""PostgreSQL through asyncpg, for communities that outgrow one process.

A connection pool; every method is one transaction on one pooled connection, and PostgreSQL's row
locks (the per-community counter row) keep case numbers gapless across processes.
"""

from __future__ import annotations

import re
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator

from bot.service.storage.sql import Dialect, SqlStorage

_PLACEHOLDER = re.compile(r"\?")


def numbered(sql: str) -> str:
    """``?`` placeholders as PostgreSQL's ``$1, $2, ...``."""
    counter = iter(range(1, 10_000))
    return _PLACEHOLDER.sub(lambda _: f"${next(counter)}", sql)


class _PgConn:
    def __init__(self, con: Any) -> None:
        self.con = con

    async def fetchone(self, sql: str, *args: Any) -> Any:
        return await self.con.fetchrow(numbered(sql), *args)

    async def fetchall(self, sql: str, *args: Any) -> list[Any]:
        return list(await self.con.fetch(numbered(sql), *args))

    async def execute(self, sql: str, *args: Any) -> int:
        status = await self.con.execute(numbered(sql), *args)  # e.g. "UPDATE 3"
        tail = status.rsplit(" ", 1)[-1]
        return int(tail) if tail.isdigit() else 0

    async def insert(self, sql: str, *args: Any) -> int:
        return await self.con.fetchval(numbered(sql) + " RETURNING id", *args)


async def _keep(con: Any) -> None:
    """A pooled connection goes back as it is (see ``open``)."""


class PostgresDialect(Dialect):
    name = "postgresql"
    skip_locked = " FOR UPDATE SKIP LOCKED"  # two processes never wait on, or take, one row

    def __init__(self, url: str, schema: str | None = None) -> None:
        self.url = url
        self.schema = schema  # tests give each run its own schema
        self._pool: Any = None

    async def open(self) -> None:
        import asyncpg

        if self.schema:
            con = await asyncpg.connect(self.url)
            try:
                await con.execute(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"')
            except asyncpg.UniqueViolationError:
                pass  # another process created it at the same moment (IF NOT EXISTS races)
            finally:
                await con.close()
        # a startup parameter, not SET: the pool's RESET ALL on release would undo a SET
        settings = {"search_path": f'"{self.schema}"'} if self.schema else None
        # reset=_keep: on release asyncpg would otherwise run "RESET ALL; UNLISTEN *; ..." (a
        # round trip per use of the pool) to undo session state that nothing here creates: the
        # search path is a startup parameter, advisory locks are transaction-scoped, and
        # nothing listens. An open transaction is still rolled back on release.
        self._pool = await asyncpg.create_pool(self.url, min_size=1, max_size=10,
                                               server_settings=settings, reset=_keep)

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    @asynccontextmanager
    async def tx(self) -> AsyncIterator[_PgConn]:
        async with self._pool.acquire() as con, con.transaction():
            yield _PgConn(con)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[_PgConn]:
        async with self._pool.acquire() as con:
            yield _PgConn(con)

    async def migration_lock(self, conn: Any) -> None:
        await conn.execute("SELECT pg_advisory_xact_lock(727100)")

    async def apply_migration(self, version: int, script: str) -> bool:
        async with self._pool.acquire() as con, con.transaction():
            # one migrator at a time across processes
            await con.execute("SELECT pg_advisory_xact_lock(727100)")
            done = await con.fetchval("SELECT 1 FROM schema_version WHERE version = $1", version)
            if done:
                return False
            await con.execute(script)
            await con.execute("INSERT INTO schema_version VALUES ($1, now()::text)", version)
            return True

    def json_has(self, column: str) -> str:
        return f"jsonb_exists({column}::jsonb, ?)"

    def json_items(self, column: str) -> str:
        return f"jsonb_array_elements_text({column}::jsonb) AS j(value)"

    async def lock_row(self, conn: Any, table: str, key: str) -> None:
        # (the row may not exist yet: a lock on its name, held until the transaction ends)
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext(?), hashtext(?))", table, key)

    async def reset_ids(self, conn: Any, table: str) -> None:
        await conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                           f"GREATEST((SELECT MAX(id) FROM {table}), 1))")

    async def lift_audit_guard(self, conn: Any) -> None:
        await conn.execute("ALTER TABLE audit DISABLE TRIGGER audit_no_update")

    async def restore_audit_guard(self, conn: Any) -> None:
        await conn.execute("ALTER TABLE audit ENABLE TRIGGER audit_no_update")


class PostgresStorage(SqlStorage):
    """The storage on a PostgreSQL database (``DATABASE_URL=postgresql://...``)."""

    def __init__(self, url: str, schema: str | None = None) -> None:
        super().__init__(PostgresDialect(url, schema))
        self.url = url
