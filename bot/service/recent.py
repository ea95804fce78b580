"""Which messages each member sent lately, for ``purge``: only where each one is (channel,
message id) and when, never its text, for at most ``KEEP_SECONDS`` and ``KEEP_COUNT`` messages
per member. In this process by default; in Redis (``REDIS_URL``) so that every process sees the
messages the others received.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from dataclasses import dataclass
from typing import Protocol

from bot.service.bounded import LRU

log = logging.getLogger(__name__)

KEEP_SECONDS = 24 * 3600.0
KEEP_COUNT = 500  # per member: more than a raider can post before a moderator acts
MEMBERS_KEPT = 100_000  # members whose recent messages one process remembers
TOTAL_KEPT = 500_000  # messages one process remembers in all (about 100 MB at worst)


@dataclass(frozen=True, slots=True)
class Sent:
    """One message a member sent: where and when (what purge needs to delete it)."""

    channel_id: str
    message_id: str
    at: float


class RecentMessages(Protocol):
    async def remember(self, community: str, member: str, sent: Sent) -> None: ...

    async def take(self, community: str, member: str, since: float,
                   count: int | None) -> list[Sent]:
        """The member's messages since ``since`` (the last ``count`` of them, if given),
        oldest first, forgotten as they are handed out."""
        ...

    async def forget(self, community: str, member: str) -> None: ...

    async def close(self) -> None: ...


def _chosen(found: list[Sent], since: float, count: int | None) -> list[Sent]:
    found = [s for s in found if s.at >= since]
    return found[-count:] if count is not None else found


class LocalRecent:
    """In this process: a bounded queue per member, the least recent members dropped first."""

    def __init__(self, members: int = MEMBERS_KEPT, total: int = TOTAL_KEPT,
                 clock=time.time) -> None:
        # (the members' own bound is not the LRU's: a member it dropped would go uncounted)
        self._sent: LRU[tuple[str, str], deque[Sent]] = LRU(members + 1)
        self.members, self.total, self.clock = members, total, clock
        self._count = 0  # messages remembered in all

    async def remember(self, community: str, member: str, sent: Sent) -> None:
        queue = self._sent.get((community, member))
        if queue is None:
            queue = self._sent[(community, member)] = deque()
        queue.append(sent)
        self._count += 1
        horizon = self.clock() - KEEP_SECONDS
        while queue and (queue[0].at < horizon or len(queue) > KEEP_COUNT):
            queue.popleft()
            self._count -= 1
        # the least recently heard members go first when the process holds too much
        while self._count > self.total or len(self._sent) > self.members:
            _, dropped = self._sent.pop_oldest()
            self._count -= len(dropped)

    async def take(self, community: str, member: str, since: float,
                   count: int | None) -> list[Sent]:
        queue = self._sent.get((community, member))
        if not queue:
            return []
        since = max(since, self.clock() - KEEP_SECONDS)
        chosen = _chosen(list(queue), since, count)
        taken = set(chosen)
        left = deque(s for s in queue if s not in taken)
        self._count -= len(queue) - len(left)
        self._sent[(community, member)] = left
        return chosen

    async def forget(self, community: str, member: str) -> None:
        dropped = self._sent.pop((community, member), None)
        self._count -= len(dropped or ())

    async def close(self) -> None:
        return None


class RedisRecent:
    """In Redis: a sorted set per member (``channel:message`` scored by time), trimmed to the
    last ``KEEP_COUNT`` and expiring after ``KEEP_SECONDS``. A Redis that does not answer never
    holds up a message: the message is not remembered, and that is logged once."""

    def __init__(self, url: str, prefix: str = "quytac:recent", timeout: float = 0.5,
                 clock=time.time) -> None:
        import redis.asyncio as redis

        self.redis = redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
        self.prefix = prefix
        self.clock = clock
        self._failing = False

    def _key(self, community: str, member: str) -> str:
        return f"{self.prefix}:{community}:{member}"

    async def remember(self, community: str, member: str, sent: Sent) -> None:
        from redis.exceptions import RedisError

        key = self._key(community, member)
        try:
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.zadd(key, {f"{sent.channel_id}:{sent.message_id}": sent.at})
                pipe.zremrangebyscore(key, "-inf", self.clock() - KEEP_SECONDS)
                pipe.zremrangebyrank(key, 0, -KEEP_COUNT - 1)
                pipe.expire(key, int(KEEP_SECONDS))
                await pipe.execute()
        except (OSError, RedisError) as exc:
            if not self._failing:
                log.error("recent messages are not remembered while Redis does not answer "
                          "(%s): purge may miss them", type(exc).__name__)
            self._failing = True
            return
        self._failing = False

    async def take(self, community: str, member: str, since: float,
                   count: int | None) -> list[Sent]:
        key = self._key(community, member)
        since = max(since, self.clock() - KEEP_SECONDS)
        entries = await self.redis.zrangebyscore(key, since, "+inf", withscores=True)
        found = []
        for entry, score in entries:
            channel, _, message = entry.decode().rpartition(":")
            found.append(Sent(channel, message, score))
        chosen = _chosen(found, since, count)
        if chosen:
            await self.redis.zrem(key, *[f"{s.channel_id}:{s.message_id}" for s in chosen])
        return chosen

    async def forget(self, community: str, member: str) -> None:
        await self.redis.delete(self._key(community, member))

    async def close(self) -> None:
        await self.redis.aclose()
