"""Shared fixtures: one engine over the shipped rulesets (compiling it is the slow part)."""

import pytest

from bot.core import Engine


@pytest.fixture(scope="session")
def engine() -> Engine:
    return Engine.load()
