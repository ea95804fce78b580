"""Posts to one chat or channel, grouped while a raid lasts.

Platforms limit how fast a bot may post in one place (Telegram about 20 messages a minute in a
group, Discord 5 every 5 seconds in a channel). A raid of 600 violations would make 600 mod-log
posts: a log that lags by many minutes while the raid goes on, and moderators scrolling through
it. Here a post goes out at once when its destination is quiet; entries that arrive while it is
on its way wait and go together in the next post (as many as the platform's ``fit`` allows).
Each entry learns the outcome of the post that carried it, so each performer records it on its
own case and retries as for any call. Each platform says how to send a batch and what fits.
"""

from __future__ import annotations

import asyncio
from typing import Awaitable, Callable, Generic, Hashable, TypeVar

E = TypeVar("E")  # an entry, as the platform's send takes it
R = TypeVar("R")  # what a send returns (Telegram: the message id)


class Grouper(Generic[E, R]):
    def __init__(self, send: Callable[[Hashable, list[E]], Awaitable[R]],
                 fit: Callable[[list[E]], int], linger: float = 0.0) -> None:
        """``send(destination, entries)`` posts entries together; ``fit(entries)`` says how
        many of the first entries one post can carry (at least one: an entry too big alone
        still goes, and the platform says what is wrong with it). ``linger``: seconds a post
        waits for others to join it even when its destination is quiet (a flood of joins
        would otherwise spend a group's 20 posts a minute on one entry each)."""
        self._send_batch = send
        self._fit = fit
        self._linger = linger
        self._waiting: dict[Hashable, list[tuple[E, asyncio.Future[R]]]] = {}
        self._senders: dict[Hashable, asyncio.Task[None]] = {}

    async def post(self, destination: Hashable, entry: E) -> R:
        """Post ``entry``, alone or with others; what its post returned, or raise what it
        raised."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[R] = loop.create_future()
        self._waiting.setdefault(destination, []).append((entry, done))
        if destination not in self._senders:
            self._senders[destination] = loop.create_task(self._send(destination))
        return await done

    def close(self) -> None:
        """Stop posting; whoever waits on an entry not yet posted sees it cancelled."""
        for task in list(self._senders.values()):
            task.cancel()

    async def _send(self, destination: Hashable) -> None:
        batch: list[tuple[E, asyncio.Future[R]]] = []
        try:
            while self._waiting.get(destination):
                if self._linger:
                    await asyncio.sleep(self._linger)
                waiting = self._waiting[destination]
                batch = waiting[: max(1, self._fit([e for e, _ in waiting]))]
                del waiting[: len(batch)]
                try:
                    result = await self._send_batch(destination, [e for e, _ in batch])
                except Exception as exc:  # each entry's performer decides what to do with it
                    _settle(batch, exc)
                else:
                    _settle(batch, result)
        finally:  # stopped: nobody waits for ever on a post that will not be made
            del self._senders[destination]
            for _, done in [*batch, *self._waiting.pop(destination, [])]:
                if not done.done():
                    done.cancel()


def _settle(batch: list[tuple[E, asyncio.Future]], outcome: object) -> None:
    for _, done in batch:
        if done.done():
            continue  # its performer stopped waiting
        if isinstance(outcome, Exception):
            done.set_exception(outcome)
        else:
            done.set_result(outcome)


def fit_by_size(sizes: list[int], most: int, budget: int, extra: int = 0) -> int:
    """How many of the first entries, of these sizes, one post carries: at most ``most``, their
    sizes (plus ``extra`` between two) within ``budget``; always at least one."""
    total = sizes[0]
    count = 1
    for size in sizes[1:most]:
        total += extra + size
        if total > budget:
            break
        count += 1
    return count
