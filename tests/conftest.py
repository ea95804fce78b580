"""Shared fixtures: one engine over the shipped rulesets (compiling it is the slow part), a real
SQLite file per test, and a clock the tests can move forward."""

import time

import pytest

from bot.core import Engine
from bot.service import SqliteStorage


class OffsetClock:
    """The real time plus an offset the test advances (the adapters' libraries see real time)."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


@pytest.fixture
async def storage(tmp_path):
    s = SqliteStorage(tmp_path / "quytac.db")
    await s.open()
    await s.migrate()
    yield s
    await s.close()


@pytest.fixture(scope="session")
def engine() -> Engine:
    return Engine.load()
