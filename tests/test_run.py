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


async def _deliver(url: str | list[str], secret: str, updates: list[dict], acked: set[int],
                   senders: int = 8) -> None:
    """Deliver as Telegram does: each update again and again until it is answered with 200.
    Several URLs stand for workers behind a load balancer, which takes turns."""
    urls = [url] if isinstance(url, str) else url
    import aiohttp

    queue: asyncio.Queue[dict] = asyncio.Queue()
    for u in updates:
        queue.put_nowait(u)

    async def sender(http: aiohttp.ClientSession) -> None:
        while not queue.empty():
            update = queue.get_nowait()
            while update["update_id"] not in acked:
                try:
                    target = urls[update["update_id"] % len(urls)]
                    async with http.post(target, json=update, headers={
                            "X-Telegram-Bot-Api-Secret-Token": secret}) as resp:
                        if resp.status == 200:
                            acked.add(update["update_id"])
                            continue
                except (aiohttp.ClientError, asyncio.TimeoutError):
                    pass
                await asyncio.sleep(0.2)  # the bot is down or failing: try again later

    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        await asyncio.gather(*(sender(http) for _ in range(senders)))


def _update(update_id: int, chat: int, user: int, text: str) -> dict:
    return {"update_id": update_id, "message": {
        "message_id": 90_000 + update_id, "date": 1, "text": text,
        "chat": {"id": chat, "type": "supergroup", "title": "G"},
        "from": {"id": user, "is_bot": False, "first_name": "M"}}}


async def test_sigkill_in_webhook_mode_loses_and_duplicates_nothing(tmp_path):
    """An update is answered only once handled, so what a crash interrupts comes again."""
    import socket
    import sqlite3

    fake = FakeTelegram()
    await fake.start()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url, secret = f"http://127.0.0.1:{port}/hook", "webhook-secret"
    db = tmp_path / "crash.db"
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": fake.token, "TELEGRAM_API_BASE_URL": fake.base_url,
           "DATABASE_URL": str(db), "NO_PROXY": "127.0.0.1", "LOG_LEVEL": "WARNING",
           "TELEGRAM_WEBHOOK_URL": url, "TELEGRAM_WEBHOOK_SECRET": secret,
           "TELEGRAM_WEBHOOK_LISTEN": "127.0.0.1", "TELEGRAM_WEBHOOK_PORT": str(port)}
    env.pop("DISCORD_BOT_TOKEN", None)

    async def start():
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", env=env,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)

    updates = [_update(i + 1, GROUP - i % 3, 2000 + i % 40,
                       "địt mẹ mày" if i % 3 == 0 else f"tin nhắn {i} bình thường")
               for i in range(300)]
    violations = {(str(u["message"]["chat"]["id"]), str(u["message"]["message_id"]))
                  for u in updates if u["message"]["text"] == "địt mẹ mày"}
    acked: set[int] = set()
    try:
        proc = await start()
        await fake.wait_for("setWebhook", timeout=30)
        delivery = asyncio.create_task(_deliver(url, secret, updates, acked))
        await fake.wait_for("deleteMessage", 15, timeout=60)
        proc.kill()  # SIGKILL while updates are in flight
        await proc.wait()
        killed_at = len(acked)
        proc = await start()
        await asyncio.wait_for(delivery, 120)
        await fake.idle(quiet=1.0, timeout=60)
        proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(proc.wait(), 30)
    finally:
        await fake.stop()
    assert 0 < killed_at < len(updates)  # the kill did land mid-delivery
    assert len(acked) == len(updates)
    con = sqlite3.connect(db)
    cases = con.execute("SELECT community_id, message_id FROM cases WHERE actor = 'auto'").fetchall()
    assert len(cases) == len(set(cases))  # none duplicated
    assert set(cases) == violations  # none lost
    pending = con.execute("SELECT COUNT(*) FROM case_actions WHERE state = 'pending'").fetchone()
    assert pending == (0,)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_two_webhook_workers_behind_one_url_on_postgresql():
    """Two processes share one webhook URL and one PostgreSQL database: every violation gets
    exactly one case, and each group's case numbers run 1..N with no gap."""
    import uuid

    import asyncpg

    from bot.service import PostgresStorage
    from tests.conftest import PG_URL, require_server

    require_server("PostgreSQL", 5432, PG_URL)
    schema = f"wh_{uuid.uuid4().hex[:10]}"
    setup = PostgresStorage(PG_URL, schema=schema)
    await setup.open()
    await setup.migrate()
    await setup.close()
    fake = FakeTelegram()
    await fake.start()
    secret = "webhook-secret"
    ports = [_free_port(), _free_port()]
    procs = []
    updates = [_update(i + 1, GROUP - i % 3, 3000 + i % 50,
                       "địt mẹ mày" if i % 4 == 0 else f"tin nhắn {i} bình thường")
               for i in range(400)]
    violations = {(str(u["message"]["chat"]["id"]), str(u["message"]["message_id"]))
                  for u in updates if u["message"]["text"] == "địt mẹ mày"}
    acked: set[int] = set()
    try:
        for port in ports:
            env = {**os.environ, "TELEGRAM_BOT_TOKEN": fake.token,
                   "TELEGRAM_API_BASE_URL": fake.base_url, "NO_PROXY": "127.0.0.1",
                   "DATABASE_URL": f"{PG_URL}?search_path={schema}", "LOG_LEVEL": "WARNING",
                   "TELEGRAM_WEBHOOK_URL": "https://bot.example.org/hook",
                   "TELEGRAM_WEBHOOK_SECRET": secret, "TELEGRAM_WEBHOOK_LISTEN": "127.0.0.1",
                   "TELEGRAM_WEBHOOK_PORT": str(port)}
            env.pop("DISCORD_BOT_TOKEN", None)
            procs.append(await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", env=env,
                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL))
        await fake.wait_for("setWebhook", 2, timeout=60)
        await asyncio.wait_for(_deliver([f"http://127.0.0.1:{p}/hook" for p in ports], secret,
                                        updates, acked), 120)
        await fake.idle(quiet=1.0, timeout=60)
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            await asyncio.wait_for(proc.wait(), 30)
        con = await asyncpg.connect(PG_URL, server_settings={"search_path": schema})
        try:
            rows = await con.fetch("SELECT community_id, message_id, number FROM cases")
        finally:
            await con.close()
    finally:
        for proc in procs:
            if proc.returncode is None:
                proc.kill()
        await fake.stop()
        con = await asyncpg.connect(PG_URL)
        await con.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await con.close()
    cases = [(r["community_id"], r["message_id"]) for r in rows]
    assert len(cases) == len(set(cases)) and set(cases) == violations
    for group in {c for c, _ in cases}:
        numbers = sorted(r["number"] for r in rows if r["community_id"] == group)
        assert numbers == list(range(1, len(numbers) + 1))
    # the balancer alternates, so each worker answered half of the updates
    assert len(acked) == len(updates)
    assert len(fake.calls_to("deleteMessage")) >= len(violations)
