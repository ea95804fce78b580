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
    assert results[6][:2] == ["delete", "warn"]
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


class RedisServer:
    """A redis-server of the test's own on a free port, to stop and start again."""

    def __init__(self, tmp_path) -> None:
        from bot.fakes import free_port

        self.port = free_port()
        self.dir = tmp_path
        self.proc = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    async def start(self) -> None:
        import asyncio
        import shutil
        import socket

        binary = shutil.which("redis-server")
        if binary is None:
            if os.environ.get("CI"):
                pytest.fail("redis-server is not installed")
            pytest.skip("redis-server is not installed")
        self.proc = await asyncio.create_subprocess_exec(
            binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "no", "--dir", str(self.dir),
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.1).close()
                return
            except OSError:
                await asyncio.sleep(0.02)
        raise RuntimeError("redis-server did not start")

    async def stop(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()


async def test_a_redis_outage_does_not_stop_judgement(sqlite_storage, engine, tmp_path, caplog):
    """Redis stops: every message is still judged (in this process's window), the outage is
    logged once and told to the moderators once; Redis returns: the windows are shared again."""
    import logging

    from bot.service.windows import FallbackWindows

    server = RedisServer(tmp_path)
    await server.start()
    clock = [0.0]
    windows = FallbackWindows(RedisWindows(server.url, "quytac-outage"), retry_seconds=5,
                              clock=lambda: clock[0])
    service = ModerationService(sqlite_storage, engine, windows=windows)
    await service.update_settings("g", "setup", {"log_channel": "-1009"})
    try:
        assert await service.on_message(_msg("chào cả nhà", 0, "a")) == []
        assert await windows.shared.redis.exists("quytac-outage:g:a:c") == 1
        await server.stop()
        caplog.set_level(logging.WARNING, logger="bot.service.windows")
        first = await service.on_message(_msg("chào buổi sáng", 1, "a"))
        (notice,) = first
        assert notice.kind == "modlog" and notice.channel_id == "-1009"
        assert notice.text.startswith("⚠️ Phát hiện spam và tin nhắn lặp đang đếm riêng")
        # a flood in this process is still caught, and the outage is not told again
        kinds = [[a.kind for a in await service.on_message(_msg(f"tin số {i}", 2 + i, "b"))]
                 for i in range(7)]
        assert kinds[:6] == [[]] * 6 and "warn" in kinds[6]
        assert "modlog" not in [k for ks in kinds[:6] for k in ks]
        errors = [r for r in caplog.records if "do not answer" in r.getMessage()]
        assert len(errors) == 1
        await server.start()
        clock[0] += 6  # the next try
        (back,) = await service.on_message(_msg("hết lỗi chưa", 20, "c"))
        assert back.text.startswith("✅ Kho dùng chung đã trả lời lại")
        assert windows.outage is None
        assert await windows.shared.redis.exists("quytac-outage:g:c:c") == 1
    finally:
        await windows.close()
        await server.stop()
