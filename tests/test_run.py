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


async def test_sigkill_mid_flood_loses_and_duplicates_nothing(tmp_path):
    import sqlite3

    fake = FakeTelegram()
    await fake.start()
    db = tmp_path / "crash.db"
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": fake.token, "TELEGRAM_API_BASE_URL": fake.base_url,
           "DATABASE_URL": str(db), "NO_PROXY": "127.0.0.1", "LOG_LEVEL": "WARNING"}
    env.pop("DISCORD_BOT_TOKEN", None)

    async def start():
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", env=env,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)

    violations = set()
    try:
        proc = await start()
        await fake.wait_for("setMyCommands", 3, timeout=30)
        for i in range(300):
            bad = i % 3 == 0
            msg = fake.message(GROUP - i % 3, 1000 + i % 40,
                               "địt mẹ mày" if bad else f"tin nhắn {i} bình thường")
            if bad:
                violations.add((str(GROUP - i % 3), str(msg["message_id"])))
        await fake.wait_for("deleteMessage", 15, timeout=30)
        proc.kill()  # SIGKILL mid-flood
        await proc.wait()
        proc = await start()
        deadline = asyncio.get_running_loop().time() + 60
        while asyncio.get_running_loop().time() < deadline:
            rows = sqlite3.connect(db).execute(
                "SELECT COUNT(*) FROM cases WHERE actor = 'auto'").fetchone()[0]
            if rows >= len(violations):
                break
            await asyncio.sleep(0.2)
        await fake.idle(quiet=1.0, timeout=30)
        proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(proc.wait(), 30)
    finally:
        await fake.stop()
    con = sqlite3.connect(db)
    cases = con.execute("SELECT community_id, message_id FROM cases WHERE actor = 'auto'").fetchall()
    assert len(cases) == len(set(cases))  # none duplicated
    assert set(cases) == violations  # none lost: every violation has its one case
    pending = con.execute("SELECT COUNT(*) FROM case_actions WHERE state = 'pending'").fetchone()
    assert pending == (0,)  # every recorded action was performed (or its failure recorded)
    mutes = con.execute("SELECT COUNT(*) FROM cases WHERE action = 'mute'").fetchone()[0]
    restricts = len(fake.calls_to("restrictChatMember"))
    assert restricts >= mutes  # each mute applied (a retried one may be applied again)
