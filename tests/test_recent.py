"""Recent messages per member for purge: ids and times only, bounded in count and time, the same
on both stores (this process, and Redis shared by processes), and purge through the service."""

import os
import uuid

import pytest

from bot.service import Incoming, ModerationService, purge_amount
from bot.service.recent import KEEP_COUNT, KEEP_SECONDS, LocalRecent, RedisRecent, Sent
from tests.conftest import require_server

REDIS_URL = os.environ.get("QUYTAC_TEST_REDIS", "redis://127.0.0.1:6379/0")
T0 = 1_800_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["local", "redis"])
async def store(request):
    clock = Clock()
    if request.param == "local":
        yield LocalRecent(clock=clock), clock
        return
    require_server("Redis", 6379, REDIS_URL)
    prefix = f"quytac-test-recent:{uuid.uuid4().hex[:8]}"
    redis = RedisRecent(REDIS_URL, prefix, clock=clock)
    yield redis, clock
    keys = [k async for k in redis.redis.scan_iter(f"{prefix}:*")]
    if keys:
        await redis.redis.delete(*keys)
    await redis.close()


async def _post(store, clock, n, member="m1", channel="c1", start=0):
    for i in range(start, start + n):
        clock.now = T0 + i
        await store.remember("g", member, Sent(channel, str(1000 + i), clock.now))


async def test_the_last_n_then_a_time_window_then_all(store):
    store, clock = store
    await _post(store, clock, 10)
    await _post(store, clock, 2, member="other")
    taken = await store.take("g", "m1", 0.0, 3)
    assert [s.message_id for s in taken] == ["1007", "1008", "1009"]  # oldest first
    # (handed out once: the window below no longer holds them)
    window = await store.take("g", "m1", T0 + 4, None)
    assert [s.message_id for s in window] == ["1004", "1005", "1006"]
    rest = await store.take("g", "m1", 0.0, None)
    assert [s.message_id for s in rest] == ["1000", "1001", "1002", "1003"]
    assert await store.take("g", "m1", 0.0, None) == []
    # another member's messages are theirs alone
    assert [s.message_id for s in await store.take("g", "other", 0.0, None)] == ["1000",
                                                                                "1001"]


async def test_bounded_in_count_and_in_time(store):
    store, clock = store
    await _post(store, clock, KEEP_COUNT + 5)
    kept = await store.take("g", "m1", 0.0, None)
    assert len(kept) == KEEP_COUNT and kept[0].message_id == str(1000 + 5)
    await _post(store, clock, 3, start=KEEP_COUNT + 10)
    clock.now += KEEP_SECONDS + 1  # a day later nothing is remembered
    assert await store.take("g", "m1", 0.0, None) == []


async def test_a_forgotten_member_leaves_nothing(store):
    store, clock = store
    await _post(store, clock, 3)
    await store.forget("g", "m1")
    assert await store.take("g", "m1", 0.0, None) == []


async def test_redis_not_answering_never_stops_a_message(caplog):
    down = RedisRecent("redis://127.0.0.1:1/0", "x", timeout=0.2)
    for i in range(3):
        await down.remember("g", "m1", Sent("c", str(i), T0))  # no exception
    assert sum("not remembered" in r.getMessage() for r in caplog.records) == 1
    await down.close()


def test_purge_amounts_as_typed():
    assert purge_amount("") == (None, None)
    assert purge_amount("20") == (20, None)
    assert purge_amount("10m") == (None, 10.0)
    with pytest.raises(Exception, match="bad duration 'soon'"):
        purge_amount("soon")


async def test_purge_through_the_service(storage, engine):
    clock = Clock()
    service = ModerationService(storage, engine, clock)
    for i in range(5):
        clock.now = T0 + i
        channel = "c1" if i < 3 else "c2"
        await service.on_message(Incoming("discord", "g", channel, str(500 + i), "m1",
                                          f"tin nhắn số {i}", clock.now))
    removed, actions = await service.purge("g", "m1", "mod1", minutes=60)
    assert removed == 5
    assert [(a.kind, a.channel_id, a.message_ids) for a in actions] == [
        ("purge", "c1", ("500", "501", "502")), ("purge", "c2", ("503", "504"))]
    audit = [e for e in await storage.audit_log("g") if e.action == "purge"]
    assert [(e.actor, e.detail) for e in audit] == [("mod1", {"member": "m1", "messages": 5})]
    assert await service.purge("g", "m1", "mod1") == (0, [])
    with pytest.raises(Exception, match="1 or more"):
        await service.purge("g", "m1", "mod1", count=0)


async def test_one_process_holds_a_bounded_number_of_messages():
    """At most ``total`` messages and ``members`` members: the least recently heard go first."""
    clock = Clock()
    store = LocalRecent(members=2, total=5, clock=clock)
    for member in ("a", "b", "c"):  # the third member: a goes (members)
        await _post(store, clock, 2, member=member)
    await _post(store, clock, 2, member="b")  # b heard again: 6 messages, so c goes (total)
    assert store._count == 4
    assert await store.take("g", "a", 0.0, None) == []
    assert await store.take("g", "c", 0.0, None) == []
    assert len(await store.take("g", "b", 0.0, None)) == 4
    assert store._count == 0
