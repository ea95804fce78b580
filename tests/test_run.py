"""``quytac run`` as a real process against the fake Bot API: it moderates, stops on SIGTERM,
and never writes the token to its log."""

import asyncio
import os
import signal
import sys
from contextlib import asynccontextmanager

from bot.fakes import free_port
from bot.fakes.telegram import FakeTelegram

GROUP = -1001
BAD = "địt mẹ mày"


def _telegram_env(fake: FakeTelegram, database: str, log_level: str = "WARNING",
                  **extra: str) -> dict[str, str]:
    """The environment of ``quytac run`` on the fake Bot API alone (no Discord token)."""
    # (the fake Bot API enforces no rate limit, and these tests are about crashes and processes:
    # paced, a raid's posts would take minutes; pacing has its own tests in test_telegram.py)
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": fake.token, "TELEGRAM_API_BASE_URL": fake.base_url,
           "DATABASE_URL": database, "NO_PROXY": "127.0.0.1", "LOG_LEVEL": log_level,
           "TELEGRAM_PACING": "off", **extra}
    env.pop("DISCORD_BOT_TOKEN", None)
    return env


async def _stopped(proc: asyncio.subprocess.Process, fake: FakeTelegram) -> str:
    """Stop the bot with SIGTERM and the fake after it: the bot's output, once it exited 0."""
    proc.send_signal(signal.SIGTERM)
    output, _ = await asyncio.wait_for(proc.communicate(), 30)
    await fake.stop()
    log = output.decode()
    assert proc.returncode == 0, log
    return log


async def _quiet_bot(env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)


async def test_run_process_moderates_and_stops_cleanly(tmp_path):
    fake = FakeTelegram()
    await fake.start()
    env = _telegram_env(fake, str(tmp_path / "run.db"), log_level="DEBUG")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    try:
        await fake.wait_for("setMyCommands", 3, timeout=30)
        fake.message(GROUP, 101, "địt mẹ mày")
        (delete,) = await fake.wait_for("deleteMessage", timeout=15)
        assert delete["chat_id"] == str(GROUP)
    finally:
        log = await _stopped(proc, fake)
    assert "stopped" in log
    assert fake.token not in log and fake.token.split(":")[1] not in log


def _discord_env(fake, token: str, database: str, log_level: str) -> dict[str, str]:
    """The environment of `quytac run` on the fake Discord alone."""
    env = {**os.environ, "DISCORD_BOT_TOKEN": token, "DISCORD_API_BASE_URL": fake.api_base,
           "DISCORD_GATEWAY_URL": fake.gateway_url, "DATABASE_URL": database,
           "LOG_LEVEL": log_level}
    env.pop("TELEGRAM_BOT_TOKEN", None)
    return env


TOKEN_D = "MTIz.discord-secret-token.abc"


async def _moderating_on_discord(tmp_path, log_level: str, late: float = 0.0) -> tuple[int, str]:
    """`quytac run` on the fake Discord (started ``late`` seconds after the bot) until it has
    removed a violation; its exit code and its log."""
    from bot.fakes.discord import GENERAL, FakeDiscord

    fake = FakeDiscord()
    fake.port = free_port()  # where it listens, once it starts
    if not late:
        await fake.start()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run",
        env=_discord_env(fake, TOKEN_D, str(tmp_path / "d.db"), log_level),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    try:
        if late:
            await asyncio.sleep(late)
            assert proc.returncode is None  # still up, waiting
            await fake.start()
        await asyncio.wait_for(fake.connected.wait(), 45)
        await fake.wait_for("PUT", "/applications/", timeout=15)
        await fake.message("600000000000000009", "địt mẹ mày")
        await fake.wait_for("DELETE", f"/channels/{GENERAL}/messages/", timeout=15)
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
        output, _ = await asyncio.wait_for(proc.communicate(), 30)
        await fake.stop()
    return proc.returncode, output.decode()


async def test_run_process_on_discord(tmp_path):
    code, log = await _moderating_on_discord(tmp_path, "DEBUG")
    assert code == 0, log
    assert TOKEN_D not in log and "discord-secret-token" not in log


async def _restarted_until_settled(env: dict[str, str], db, fake: FakeTelegram,
                                   cases: int) -> None:
    """After a crash: the bot started again on ``db`` and stopped once ``cases`` automatic cases
    are recorded and no action is pending (or a minute passed), the fake quiet."""
    import sqlite3
    from contextlib import closing

    proc = await _quiet_bot(env)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 60
    while loop.time() < deadline:
        with closing(sqlite3.connect(db)) as con:
            recorded = con.execute(
                "SELECT COUNT(*) FROM cases WHERE actor = 'auto'").fetchone()[0]
            pending = con.execute(
                "SELECT COUNT(*) FROM case_actions WHERE state = 'pending'").fetchone()[0]
        if recorded >= cases and not pending:
            break
        await asyncio.sleep(0.1)
    await fake.idle(quiet=1.0, timeout=30)
    proc.send_signal(signal.SIGTERM)
    await asyncio.wait_for(proc.wait(), 30)


async def test_sigkill_mid_flood_loses_and_duplicates_nothing(tmp_path):
    import sqlite3

    fake = FakeTelegram()
    await fake.start()
    db = tmp_path / "crash.db"
    env = _telegram_env(fake, str(db))
    violations = set()
    try:
        proc = await _quiet_bot(env)
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
        await _restarted_until_settled(env, db, fake, len(violations))
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
    """A message in the group ``chat``, or in the private chat with ``user`` when they are
    one (a command marked as such)."""
    entities = ([{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
                if text.startswith("/") else [])
    where = ({"id": chat, "type": "private", "first_name": "M"} if chat == user
             else {"id": chat, "type": "supergroup", "title": "G"})
    return {"update_id": update_id, "message": {
        "message_id": 90_000 + update_id, "date": 1, "text": text, "entities": entities,
        "chat": where, "from": {"id": user, "is_bot": False, "first_name": "M"}}}


def _raid(count: int, users: int, every: int) -> tuple[list[dict], set[tuple[str, str]]]:
    """``count`` updates in three groups from ``users`` members, one in ``every`` a violation;
    and the (group, message id) of each violation."""
    updates = [_update(i + 1, GROUP - i % 3, 2000 + i % users,
                       BAD if i % every == 0 else f"tin nhắn {i} bình thường")
               for i in range(count)]
    violations = {(str(u["message"]["chat"]["id"]), str(u["message"]["message_id"]))
                  for u in updates if u["message"]["text"] == BAD}
    return updates, violations


async def test_sigkill_in_webhook_mode_loses_and_duplicates_nothing(tmp_path):
    """An update is answered only once handled, so what a crash interrupts comes again."""
    import sqlite3

    fake = FakeTelegram()
    await fake.start()
    port = free_port()
    url, secret = f"http://127.0.0.1:{port}/hook", "webhook-secret"
    db = tmp_path / "crash.db"
    env = _telegram_env(fake, str(db), TELEGRAM_WEBHOOK_URL=url, TELEGRAM_WEBHOOK_SECRET=secret,
                        TELEGRAM_WEBHOOK_LISTEN="127.0.0.1", TELEGRAM_WEBHOOK_PORT=str(port))
    updates, violations = _raid(300, users=40, every=3)
    acked: set[int] = set()
    try:
        proc = await _quiet_bot(env)
        await fake.wait_for("setWebhook", timeout=30)
        delivery = asyncio.create_task(_deliver(url, secret, updates, acked))
        await fake.wait_for("deleteMessage", 15, timeout=60)
        proc.kill()  # SIGKILL while updates are in flight
        await proc.wait()
        killed_at = len(acked)
        proc = await _quiet_bot(env)
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


async def test_two_webhook_workers_behind_one_url_on_postgresql():
    """Two processes share one webhook URL and one PostgreSQL database: every violation gets
    exactly one case, and each group's case numbers run 1..N with no gap."""
    from tests.conftest import pg_schema

    secret = "webhook-secret"
    ports = [free_port(), free_port()]
    updates, violations = _raid(400, users=50, every=4)
    acked: set[int] = set()
    fake = FakeTelegram()
    async with pg_schema("wh") as schema, _webhook_workers(fake, schema, ports, secret) as procs:
        await asyncio.wait_for(_deliver([f"http://127.0.0.1:{p}/hook" for p in ports],
                                        secret, updates, acked), 120)
        await fake.idle(quiet=1.0, timeout=60)
        (rows,) = await _stop_and_fetch(procs, schema,
                                        "SELECT community_id, message_id, number FROM cases")
    cases = [(r["community_id"], r["message_id"]) for r in rows]
    assert len(cases) == len(set(cases)) and set(cases) == violations
    for group in {c for c, _ in cases}:
        numbers = sorted(r["number"] for r in rows if r["community_id"] == group)
        assert numbers == list(range(1, len(numbers) + 1))
    # the balancer alternates, so each worker answered half of the updates
    assert len(acked) == len(updates)
    assert len(fake.calls_to("deleteMessage")) >= len(violations)


@asynccontextmanager
async def _webhook_workers(fake: FakeTelegram, schema: str, ports: list[int], secret: str):
    """``quytac run`` processes, one per port, as webhook workers behind one URL on the
    PostgreSQL ``schema``, once each has set its webhook; killed (if still up) and the fake
    stopped after."""
    from tests.conftest import PG_URL

    await fake.start()
    procs = []
    try:
        for port in ports:
            procs.append(await _quiet_bot(_telegram_env(
                fake, f"{PG_URL}?search_path={schema}",
                TELEGRAM_WEBHOOK_URL="https://bot.example.org/hook",
                TELEGRAM_WEBHOOK_SECRET=secret, TELEGRAM_WEBHOOK_LISTEN="127.0.0.1",
                TELEGRAM_WEBHOOK_PORT=str(port))))
        await fake.wait_for("setWebhook", len(ports), timeout=60)
        yield procs
    finally:
        for proc in procs:
            if proc.returncode is None:
                proc.kill()
        await fake.stop()


async def _stop_and_fetch(procs: list, schema: str, *queries: str) -> list:
    """Stop the workers with SIGTERM, then the rows of each query on their schema."""
    import asyncpg

    from tests.conftest import PG_URL

    for proc in procs:
        proc.send_signal(signal.SIGTERM)
    for proc in procs:
        await asyncio.wait_for(proc.wait(), 30)
    con = await asyncpg.connect(PG_URL, server_settings={"search_path": schema})
    try:
        return [await con.fetch(query) for query in queries]
    finally:
        await con.close()


async def test_two_webhook_workers_share_settings_and_appeals_on_postgresql():
    """Two processes behind one URL: a /config change through one is in force in the other
    within seconds, and an appeal begun through one (/start) is written through the other."""
    from tests.conftest import pg_schema

    secret, admin, member = "webhook-secret", 7, 2001
    ports = [free_port(), free_port()]
    urls = [f"http://127.0.0.1:{p}/hook" for p in ports]
    acked: set[int] = set()
    fake = FakeTelegram()
    fake.admins[GROUP] = {admin}
    async with pg_schema("share") as schema, _webhook_workers(fake, schema, ports,
                                                              secret) as procs:
        # worker 1 judges a violation (its settings now at hand), worker 0 takes /config
        await _deliver(urls[1], secret, [_update(1, GROUP, member, BAD)], acked)
        await fake.wait_for("deleteMessage", 1, timeout=30)
        await _deliver(urls[0], secret, [_update(2, GROUP, admin,
                                                  "/config disabled_rules vi.insult.mother")],
                       acked)
        await fake.wait_for("sendMessage", 1, timeout=30, chat_id=GROUP,
                            text="disabled_rules: [\"vi.insult.mother\"]\n"
                                 "rule ids not enforced here")
        await asyncio.sleep(6)  # the other worker reads settings again after 5 s
        await _deliver(urls[1], secret, [_update(3, GROUP, member + 1, BAD)], acked)
        # the member of case 1 begins an appeal through worker 0 and writes it through 1
        # (a webhook update is answered once handled: the next is sent after it)
        await _deliver(urls[0], secret, [_update(4, member, member, "/start appeal-m1001-1")], acked)
        await _deliver(urls[1], secret, [_update(5, member, member, "chỉ là lời bài hát")], acked)
        await fake.wait_for("sendMessage", 1, timeout=30, chat_id=member,
                            text="Đã gửi kháng nghị vụ #1. / Your appeal of case #1 was "
                                 "sent to the moderators.")
        await fake.idle(quiet=0.5, timeout=30)
        cases, appeals = await _stop_and_fetch(procs, schema,
                                               "SELECT number, message_id FROM cases",
                                               "SELECT text FROM appeals")
    assert [(r["number"], r["message_id"]) for r in cases] == [(1, "90001")]  # not update 3
    assert [r["text"] for r in appeals] == ["chỉ là lời bài hát"]
    deleted = [p["message_id"] for p in fake.calls_to("deleteMessage")]
    assert deleted == ["90001"]


async def test_a_bot_started_before_the_network_waits_for_it(tmp_path):
    """Started at boot before the Bot API can be reached: one line, tries again while staying
    up, and moderates once the server is there (here it starts 5 seconds after the bot)."""
    fake = FakeTelegram()
    port = free_port()
    env = _telegram_env(fake, str(tmp_path / "boot.db"), log_level="warning",
                        TELEGRAM_API_BASE_URL=f"http://127.0.0.1:{port}/bot")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    try:
        await asyncio.sleep(5)
        assert proc.returncode is None  # still up, waiting
        await fake.start(port)
        await fake.wait_for("setMyCommands", 3, timeout=40)
        fake.message(GROUP, 101, BAD)
        await fake.wait_for("deleteMessage", timeout=15)
    finally:
        log = await _stopped(proc, fake)
    waiting = [line for line in log.splitlines() if "not reachable yet" in line]
    assert len(waiting) == 1 and "Telegram Bot API" in waiting[0], log
    assert "Traceback" not in log and fake.token.split(":")[1] not in log


async def test_a_discord_bot_started_before_the_network_waits_for_it(tmp_path):
    """The same on Discord: the login cannot be made yet, one line, tried again while the bot
    stays up; the fake Discord starts 5 seconds after the bot and the bot moderates there."""
    code, log = await _moderating_on_discord(tmp_path, "warning", late=5.0)
    assert code == 0, log
    waiting = [line for line in log.splitlines() if "not reachable yet" in line]
    assert len(waiting) == 1 and "Discord" in waiting[0], log
    assert "Traceback" not in log and TOKEN_D not in log and "discord-secret-token" not in log


async def test_a_rejected_discord_token_is_one_line_without_the_token(tmp_path):
    from bot.fakes.discord import FakeDiscord

    fake = FakeDiscord()
    await fake.start()
    fake.fail("GET", "/users/@me", 401, 0, "401: Unauthorized")
    token = "MTIz.discord-secret-token.abc"
    env = _discord_env(fake, token, str(tmp_path / "d.db"), "warning")
    try:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await asyncio.wait_for(proc.communicate(), 60)
    finally:
        await fake.stop()
    lines = err.decode().splitlines()
    assert proc.returncode == 2, err.decode()
    assert lines[-1].startswith("quytac run: discord: ") and len(lines) == 1, lines
    assert token not in err.decode() + out.decode()
