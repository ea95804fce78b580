"""Flood and duplicate windows shared through Redis: a flood split over processes still counts."""

import os
import uuid

import pytest

from bot.service import Incoming, ModerationService
from bot.service.windows import RedisWindows
from tests.conftest import require_server

REDIS_URL = os.environ.get("QUYTAC_TEST_REDIS", "redis://127.0.0.1:6379/0")


@pytest.fixture
async def windows():
    require_server("Redis", 6379, REDIS_URL)
    prefix = f"quytac-test:{uuid.uuid4().hex[:8]}"
    a, b = RedisWindows(REDIS_URL, prefix), RedisWindows(REDIS_URL, prefix)
    yield a, b
    keys = [k async for k in a.redis.scan_iter(f"{prefix}:*")]
    if keys:
        await a.redis.delete(*keys)
    await a.close()
    await b.close()


def _msg(text, t, author="u1"):
    return Incoming("discord", "g", "c", f"m{t}", author, text, 1_800_000_000 + t)


async def test_flood_split_over_two_processes_is_seen(storage, engine, windows):
    one = ModerationService(storage, engine, windows=windows[0])
    two = ModerationService(storage, engine, windows=windows[1])
    results = []
    for i in range(7):  # 7 messages in 10 s is a flood; each process sees only some of them
        service = (one, two)[i % 2]
        results.append([a.kind for a in await service.on_message(_msg(f"tin số {i}", i))])
    assert results[:6] == [[]] * 6
    assert results[6][0] == "warn"
    (case,) = await storage.list_cases("g")
    assert case.rule_ids == ("spam.flood",)


async def test_duplicates_across_processes(storage, engine, windows):
    one = ModerationService(storage, engine, windows=windows[0])
    two = ModerationService(storage, engine, windows=windows[1])
    await one.on_message(_msg("mua hàng ở đây nhé", 0, "d1"))
    await two.on_message(_msg("MUA HÀNG Ở ĐÂY NHÉ", 20, "d1"))
    actions = await one.on_message(_msg("mua hàng ở đây nhé", 40, "d1"))
    assert actions and (await storage.list_cases("g"))[0].rule_ids == ("spam.duplicate",)


async def test_local_windows_do_not_see_other_processes(storage, engine):
    one, two = ModerationService(storage, engine), ModerationService(storage, engine)
    for i in range(7):
        assert await (one, two)[i % 2].on_message(_msg(f"tin số {i}", i)) == []
