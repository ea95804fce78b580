"""Shared fixtures: one engine over the shipped rulesets (compiling it is the slow part), a real
SQLite file per test, and a clock the tests can move forward."""

import os
import socket
import time
import uuid
from contextlib import asynccontextmanager
from typing import AsyncIterator

import pytest

from bot.core import Engine
from bot.service import PostgresStorage, SqliteStorage

PG_URL = os.environ.get("QUYTAC_TEST_POSTGRES", "postgresql://127.0.0.1:5432/test")


def _up(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def _postgres_up() -> bool:
    return _up(5432)


def require_server(name: str, port: int, url: str) -> None:
    """Skip, with the reason, when the server does not answer; under CI, fail instead."""
    if _up(port):
        return
    if os.environ.get("CI"):
        pytest.fail(f"CI is set but no {name} answers at {url}")
    pytest.skip(f"no {name} at {url}")


@asynccontextmanager
async def pg_schema(prefix: str, migrate: bool = True) -> AsyncIterator[str]:
    """A PostgreSQL schema of this test's own (migrated unless told not to), dropped afterwards.
    Skips without a server, or fails under CI (``require_server``)."""
    require_server("PostgreSQL", 5432, PG_URL)
    import asyncpg

    schema = f"{prefix}_{uuid.uuid4().hex[:10]}"
    if migrate:
        setup = PostgresStorage(PG_URL, schema=schema)
        await setup.open()
        await setup.migrate()
        await setup.close()
    try:
        yield schema
    finally:
        con = await asyncpg.connect(PG_URL)
        try:
            await con.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        finally:
            await con.close()


async def raw(storage, sql: str, *args) -> list:
    """Rows straight from the database, whichever it is (for assertions on what is stored)."""
    async with storage.d.read() as db:
        return await db.fetchall(sql, *args)


class OffsetClock:
    """The real time plus an offset the test advances (the adapters' libraries see real time)."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


@pytest.fixture
def clock() -> OffsetClock:
    """For the adapter tests; the service tests, which control time fully, have their own."""
    return OffsetClock()


@pytest.fixture
async def sqlite_storage(tmp_path):
    s = SqliteStorage(tmp_path / "quytac.db")
    await s.open()
    await s.migrate()
    yield s
    await s.close()


@pytest.fixture(params=["sqlite", "postgresql"])
async def storage(request, tmp_path):
    """Every storage-backed test runs on both databases."""
    if request.param == "sqlite":
        s = SqliteStorage(tmp_path / "quytac.db")
        await s.open()
        await s.migrate()
        yield s
        await s.close()
        return
    async with pg_schema("t", migrate=False) as schema:
        s = PostgresStorage(PG_URL, schema=schema)
        await s.open()
        await s.migrate()
        yield s
        await s.close()


@pytest.fixture(scope="session")
def engine() -> Engine:
    return Engine.load()


def pytest_sessionfinish(session, exitstatus):
    """Stop the thread of any SQLite connection a failed test left open: aiosqlite's thread is
    not a daemon, so one left running would keep pytest from exiting and reporting the failure
    (CI would time out instead of saying what failed)."""
    import gc

    import aiosqlite

    for obj in gc.get_objects():
        if isinstance(obj, aiosqlite.Connection):  # (stopping a stopped one does nothing)
            # (aiosqlite 0.20, the declared floor, has no public stop)
            (getattr(obj, "stop", None) or obj._stop_running)()
