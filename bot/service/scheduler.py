"""Runs the service's timed actions (mute expiries, appeal reminders) as they fall due.

State lives in the database, so the loop itself holds nothing a restart could lose: at start it
acts on everything that fell due while the bot was down, then sleeps until the next due time.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Awaitable, Callable

from bot.service.models import Action
from bot.service.service import ModerationService

log = logging.getLogger(__name__)
PURGE_EVERY = 3600.0  # seconds between sweeps of expired excerpts


class Scheduler:
    def __init__(self, service: ModerationService,
                 perform: Callable[[list[Action]], Awaitable[None]],
                 max_sleep: float = 30.0) -> None:
        self.service = service
        self.perform = perform  # the adapter's way to carry out actions (and confirm them)
        self.max_sleep = max_sleep
        self._wake = asyncio.Event()
        self._last_purge = float("-inf")

    def wake(self) -> None:
        """Call after scheduling something sooner than the loop may be sleeping."""
        self._wake.set()

    async def tick(self) -> list[Action]:
        now = self.service.clock()
        if now - self._last_purge >= PURGE_EVERY:
            self._last_purge = now
            purged = await self.service.purge_excerpts()
            if purged:
                log.info("purged %d case excerpts past their retention", purged)
        actions = await self.service.run_due()
        if actions:
            await self.perform(actions)
        return actions

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.tick()
            except Exception:  # never let one bad row stop mute expiries for everyone
                log.exception("scheduler tick failed")
            due = await self.service.next_due()
            now = self.service.clock()
            delay = self.max_sleep if due is None else min(self.max_sleep, max(0.0, due - now))
            self._wake.clear()
            waits = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self._wake.wait())]
            try:
                await asyncio.wait(waits, timeout=delay, return_when=asyncio.FIRST_COMPLETED)
            finally:  # cancelled while waiting (the bot closing) too: no task left pending
                for w in waits:
                    w.cancel()
