"""Where the flood and duplicate windows live: in this process (default) or in Redis, shared.

The engine stays pure: it is handed a ``ChannelWindow`` holding the author's other recent
messages in the channel, and records the current one itself.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import Callable, Protocol

from bot.core import ChannelWindow
from bot.core.types import RecentMessage


class WindowStore(Protocol):
    async def window_for(self, community: str, author: str, channel: str, now: float,
                         digest: Callable[[], int], horizon: float) -> ChannelWindow: ...

    async def close(self) -> None: ...


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

    def __init__(self, url: str, prefix: str = "quytac:window") -> None:
        import redis.asyncio as redis

        self.redis = redis.from_url(url)
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
