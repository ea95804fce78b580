"""Fake Telegram and Discord servers on 127.0.0.1 that the real client libraries talk to.

The tests, the benchmarks and ``quytac demo`` all drive the bot against them; they ship with the
package so that the demo runs from an installed wheel.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Callable, TypeVar

from aiohttp import web

T = TypeVar("T")


def free_port() -> int:
    """A port of 127.0.0.1 that nothing listens on now (the OS chose it)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def serve(app: web.Application, port: int = 0) -> tuple[web.AppRunner, int]:
    """Serve ``app`` on 127.0.0.1 (a free port unless one is given): the runner (to clean up)
    and the port."""
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    return runner, site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]


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


@dataclass
class FaultSchedule:
    """Platform faults on a fixed schedule: the Nth call of a method gets ``every[N % len]``.

    Kinds: ``429`` (retry_after 1 s), ``500``, ``timeout`` (the answer comes after ``delay``
    seconds, when the client has given up, though the server did act, as a real one may),
    ``drop`` (the connection is closed without an answer), or None (a normal answer).

    Calls given a ``key`` (the request as sent) follow the schedule per request: the Nth distinct
    request starts at position N and each retry of it takes the next position. A client sending
    many requests at once then meets the same faults as one sending them in turn, and a schedule
    with no two faults in a row lets every request through on its second try, whatever the
    interleaving (with one shared counter, concurrent calls could hand one request five faults).
    """

    every: tuple[str | None, ...]
    methods: frozenset[str] | None = None  # None: every method but getUpdates
    delay: float = 2.0
    injected: list[tuple[str, str]] = field(default_factory=list)
    _count: int = 0
    _positions: dict[object, int] = field(default_factory=dict)

    def next_fault(self, method: str, key: object = None) -> str | None:
        applies = method in self.methods if self.methods is not None else method != "getUpdates"
        if not applies:
            return None
        if key is None:
            position = self._count
            self._count += 1
        else:
            if key not in self._positions:
                self._positions[key] = self._count
                self._count += 1
            position = self._positions[key]
            self._positions[key] = position + 1
        kind = self.every[position % len(self.every)]
        if kind is not None:
            self.injected.append((method, kind))
        return kind
