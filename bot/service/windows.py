"""Where the flood and duplicate windows live: in this process (default) or in Redis, shared.

The engine stays pure: it is handed a ``ChannelWindow`` holding the author's other recent
messages in the channel, and records the current one itself.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass
from typing import Callable, Protocol

from bot.core import ChannelWindow
from bot.core.types import RecentMessage


log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outage:
    """The shared windows do not answer: since when (monotonic), and what the error said."""

    number: int  # counts outages, so each is reported once per community
    error: str


class WindowStore(Protocol):
    async def window_for(self, community: str, author: str, channel: str, now: float,
                         digest: Callable[[], int], horizon: float) -> ChannelWindow: ...

    async def close(self) -> None: ...


def outage_of(store: WindowStore) -> Outage | None:
    """The store's current outage, if it has shared windows that do not answer."""
    return getattr(store, "outage", None)


class LocalWindows:
    """One in-memory window per community: right for a single process."""

    def __init__(self) -> None:
        self._windows: dict[str, ChannelWindow] = defaultdict(ChannelWindow)

    async def window_for(self, community: str, author: str, channel: str, now: float,
                         digest: Callable[[], int], horizon: float) -> ChannelWindow:
        return self._windows[community]

    async def close(self) -> None:
        return None


class RedisWindows:
    """Windows in Redis (``REDIS_URL``), so a flood spread over several processes still counts.

    Per author and channel a sorted set scored by time; adding this message, dropping what is
    older than the longest rule window and reading the rest is one MULTI/EXEC, so concurrent
    processes each see the others' messages.
    """

    def __init__(self, url: str, prefix: str = "quytac:window", timeout: float = 0.5) -> None:
        import redis.asyncio as redis

        # a Redis that stops answering must not hold up judgement for long: see FallbackWindows
        self.redis = redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
        self.prefix = prefix

    async def window_for(self, community: str, author: str, channel: str, now: float,
                         digest: Callable[[], int], horizon: float) -> ChannelWindow:
        key = f"{self.prefix}:{community}:{author}:{channel}"
        mine = f"{digest()}:{uuid.uuid4().hex}"
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.zadd(key, {mine: now})
            pipe.zremrangebyscore(key, "-inf", now - horizon)
            pipe.zrange(key, 0, -1, withscores=True)
            pipe.expire(key, int(horizon) + 60)
            _, _, entries, _ = await pipe.execute()
        recent = [RecentMessage(score, int(member.split(b":", 1)[0]))
                  for member, score in entries if member.decode() != mine]
        recent.sort(key=lambda r: r.timestamp)
        return ChannelWindow({(author, channel): recent})

    async def close(self) -> None:
        await self.redis.aclose()


class FallbackWindows:
    """Shared windows that fall back to this process's own while they do not answer.

    A Redis outage must not stop judgement: the message is judged with the in-process window
    (a flood spread over processes may then be missed, one in a process is still caught), the
    outage is logged once and offered to moderators (``outage``), and Redis is tried again every
    ``retry_seconds`` until it answers.
    """

    def __init__(self, shared: WindowStore, retry_seconds: float = 5.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.shared = shared
        self.local = LocalWindows()
        self.retry_seconds = retry_seconds
        self.clock = clock
        self.outage: Outage | None = None
        self._outages = 0
        self._retry_at = 0.0

    async def window_for(self, community: str, author: str, channel: str, now: float,
                         digest: Callable[[], int], horizon: float) -> ChannelWindow:
        if self.outage is None or self.clock() >= self._retry_at:
            try:
                window = await self.shared.window_for(community, author, channel, now, digest,
                                                      horizon)
            except (OSError, asyncio.TimeoutError, *_redis_errors()) as exc:
                self._down(exc)
            else:
                if self.outage is not None:
                    log.warning("shared flood windows answer again: counting across processes")
                    self.outage = None
                return window
        return await self.local.window_for(community, author, channel, now, digest, horizon)

    def _down(self, exc: BaseException) -> None:
        self._retry_at = self.clock() + self.retry_seconds
        if self.outage is None:
            self._outages += 1
            self.outage = Outage(self._outages, f"{type(exc).__name__}: {exc}"[:200])
            log.error("shared flood windows do not answer (%s): counting in this process until "
                      "they do", self.outage.error)

    async def close(self) -> None:
        try:
            await self.shared.close()
        except (OSError, *_redis_errors()):
            pass


def _redis_errors() -> tuple[type[BaseException], ...]:
    try:
        from redis.exceptions import RedisError
    except ImportError:  # pragma: no cover - redis is a declared dependency
        return ()
    return (RedisError,)
