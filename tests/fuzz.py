"""Hypothesis against a bot running in the test's event loop.

Hypothesis drives a synchronous function, and the bot and its fake server live in the running
event loop; so the examples are drawn in a worker thread and each batch is played in the loop.
Examples are derandomised: CI sees the same batches every run, and a failure shows its batch.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st


async def fuzz(batches: st.SearchStrategy[list[Any]], play: Callable[[list[Any]], Awaitable[None]],
               explicit: tuple[list[Any], ...] = (), max_examples: int = 150,
               timeout: float = 120.0) -> int:
    """Play ``max_examples`` batches (and the ``explicit`` ones first); the items played."""
    loop = asyncio.get_running_loop()
    played = 0

    def run(batch: list[Any]) -> None:
        nonlocal played
        asyncio.run_coroutine_threadsafe(play(batch), loop).result(timeout)
        played += len(batch)

    for batch in explicit:
        run = example(batch)(run)
    test = settings(max_examples=max_examples, deadline=None, database=None, derandomize=True,
                    suppress_health_check=list(HealthCheck))(given(batches)(run))
    await loop.run_in_executor(None, test)
    return played
