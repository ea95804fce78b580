"""Fake platform servers for the adapter tests, and what they share."""

from __future__ import annotations

import asyncio
import time
from typing import Callable, TypeVar

T = TypeVar("T")


async def poll_until(found: Callable[[], T | None], timeout: float, failure: Callable[[], str]) -> T:
    """Return ``found()`` as soon as it is truthy; fail with ``failure()`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        got = found()
        if got:
            return got
        if time.monotonic() > deadline:
            raise AssertionError(failure())
        await asyncio.sleep(0.02)
