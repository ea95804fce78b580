"""``quytac run`` as a real process against the fake Bot API: it moderates, stops on SIGTERM,
and never writes the token to its log."""

import asyncio
import os
import signal
import sys

from tests.fakes.telegram import FakeTelegram

GROUP = -1001


async def test_run_process_moderates_and_stops_cleanly(tmp_path):
    fake = FakeTelegram()
    await fake.start()
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": fake.token, "TELEGRAM_API_BASE_URL": fake.base_url,
           "DATABASE_URL": str(tmp_path / "run.db"), "NO_PROXY": "127.0.0.1",
           "LOG_LEVEL": "DEBUG"}
    env.pop("DISCORD_BOT_TOKEN", None)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    try:
        await fake.wait_for("setMyCommands", 3, timeout=30)
        fake.message(GROUP, 101, "địt mẹ mày")
        (delete,) = await fake.wait_for("deleteMessage", timeout=15)
        assert delete["chat_id"] == str(GROUP)
    finally:
        proc.send_signal(signal.SIGTERM)
        output, _ = await asyncio.wait_for(proc.communicate(), 30)
        await fake.stop()
    log = output.decode()
    assert proc.returncode == 0, log
    assert "stopped" in log
    assert fake.token not in log and fake.token.split(":")[1] not in log


async def test_run_process_on_discord(tmp_path):
    from tests.fakes.discord import GENERAL, FakeDiscord

    fake = FakeDiscord()
    await fake.start()
    token = "MTIz.discord-secret-token.abc"
    env = {**os.environ, "DISCORD_BOT_TOKEN": token, "DISCORD_API_BASE_URL": fake.api_base,
           "DISCORD_GATEWAY_URL": fake.gateway_url, "DATABASE_URL": str(tmp_path / "d.db"),
           "LOG_LEVEL": "DEBUG"}
    env.pop("TELEGRAM_BOT_TOKEN", None)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    try:
        await asyncio.wait_for(fake.connected.wait(), 30)
        await fake.wait_for("PUT", "/applications/", timeout=15)
        await fake.message("600000000000000009", "địt mẹ mày")
        await fake.wait_for("DELETE", f"/channels/{GENERAL}/messages/", timeout=15)
    finally:
        proc.send_signal(signal.SIGTERM)
        output, _ = await asyncio.wait_for(proc.communicate(), 30)
        await fake.stop()
    log = output.decode()
    assert proc.returncode == 0, log
    assert token not in log and "discord-secret-token" not in log
