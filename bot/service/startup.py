"""Starting while the surroundings are not up yet: a bot started at boot may come before the
network or the database server. What cannot answer yet is tried again with a growing pause
(capped), logged once and then once a minute, while the process stays up; what answers with a
refusal (a rejected token) is not retried.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Awaitable, Callable, TypeVar

log = logging.getLogger("quytac")
T = TypeVar("T")

PAUSES = (1.0, 2.0, 4.0, 8.0, 15.0, 30.0)  # then 30 s each time
LOG_EVERY = 60.0


async def until_up(what: str, attempt: Callable[[], Awaitable[T]],
                   transient: Callable[[BaseException], bool],
                   stop: asyncio.Event | None = None,
                   pauses: tuple[float, ...] = PAUSES,
                   clock: Callable[[], float] = time.monotonic) -> T | None:
    """``attempt()`` until it succeeds: its result, or None if ``stop`` was set first. An error
    that ``transient`` does not accept is raised at once."""
    tries = 0
    logged_at: float | None = None
    while True:
        try:
            result = await attempt()
        except Exception as exc:  # noqa: BLE001 - ``transient`` decides
            if not transient(exc):
                raise
            now = clock()
            if logged_at is None or now - logged_at >= LOG_EVERY:
                log.warning("%s not reachable yet (%s: %s); trying again, up to every %g s",
                            what, type(exc).__name__, exc, pauses[-1])
                logged_at = now
            pause = pauses[min(tries, len(pauses) - 1)]
            tries += 1
            if stop is not None:
                try:
                    await asyncio.wait_for(stop.wait(), pause)
                    return None
                except asyncio.TimeoutError:
                    continue
            await asyncio.sleep(pause)
            continue
        if tries:
            log.warning("%s reachable: started after %d tries", what, tries + 1)
        return result
