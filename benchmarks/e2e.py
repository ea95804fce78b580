"""End-to-end raid benchmark: the real Telegram adapter, the fake Bot API, a real database.

    python -m benchmarks.e2e [--messages N] [--database sqlite|postgresql] [--processes P]
                             [--rate R] [--same-process]

The fake Bot API runs in a process of its own, as Telegram's servers would: it generates the raid
(a tenth of it violations, many members, five groups sharing one mod-log chat) at ``--rate`` messages/s into its update
queue, serves getUpdates, records when each deleteMessage arrives, and reports messages/s
sustained, the p50/p99 time from an update being queued to its deleteMessage, and the backlog of
unfetched updates over time. Each bot process runs the real adapter against its own fake server;
with ``--processes 2`` on PostgreSQL they share the database. ``--same-process`` runs the fake
inside the bot's process and event loop instead (the way the first measurements were taken).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid

PG_URL = os.environ.get("QUYTAC_TEST_POSTGRES", "postgresql://127.0.0.1:5432/test")


def _group(seed: int, n: int) -> int:
    return -1000 - 10 * seed - n


async def raid(fake, messages: int, rate: float, seed: int) -> dict:
    """Push the raid at ``rate`` and wait for every violation's deleteMessage."""
    pushed: dict[int, float] = {}
    backlog: list[int] = []

    async def sample() -> None:  # the updates pushed but not yet fetched, twice a second
        while True:
            backlog.append(len(fake._updates))
            await asyncio.sleep(0.5)

    sampler = asyncio.create_task(sample())
    start = time.perf_counter()
    cpu, busy, pg = time.process_time(), _machine_busy(), _postgres_cpu()
    for i in range(messages):
        violation = i % 10 == 0
        text = "địt mẹ mày" if violation else f"tin nhắn bình thường {seed}-{i}"
        # each process its own groups: message ids are only unique within a chat
        msg = fake.message(_group(seed, i % 5), 10_000 + (i * 7919) % 5000, text)
        if violation:
            pushed[msg["message_id"]] = time.perf_counter()
        ahead = start + (i + 1) / rate - time.perf_counter()  # keep to the raid's rate
        if ahead > 0 or i % 50 == 0:
            await asyncio.sleep(max(ahead, 0))
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and not pushed.keys() <= fake.delete_times.keys():
        await asyncio.sleep(0.05)
    elapsed = time.perf_counter() - start
    cpu, busy, pg = time.process_time() - cpu, _machine_busy(busy), _postgres_cpu() - pg
    sampler.cancel()
    deleted = fake.delete_times
    latencies = sorted(deleted[m] - t for m, t in pushed.items() if m in deleted)
    return {"messages": messages, "seconds": round(elapsed, 2),
            "messages_per_second": round(messages / elapsed),
            "violations": len(pushed), "deleted": len(latencies),
            "p50_ms": round(latencies[len(latencies) // 2] * 1000, 1) if latencies else None,
            "p99_ms": round(latencies[int(len(latencies) * 0.99)] * 1000, 1) if latencies else None,
            "rate": rate, "backlog_samples": backlog[:: max(1, len(backlog) // 10)],
            "fake_cpu_us": round(cpu / messages * 1e6), "machine_busy": busy,
            "postgres_cpu_s": round(pg, 3)}


def _postgres_cpu() -> float:
    """CPU seconds used so far by this machine's PostgreSQL processes (0 where /proc cannot
    tell): the database's share of a run, on the same cores as everything else."""
    total = 0
    tick = os.sysconf("SC_CLK_TCK")
    for pid in os.listdir("/proc") if os.path.isdir("/proc") else ():
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        name, rest = stat[stat.index("(") + 1:stat.rindex(")")], stat[stat.rindex(")") + 2:]
        if name.startswith("postgres"):
            fields = rest.split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / tick


def _machine_busy(since: tuple[int, int] | None = None):
    """All cores' busy and total jiffies (from /proc/stat); given an earlier reading, the share
    of the machine that was busy since (every process: bots, fake servers, the database)."""
    try:
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
    except OSError:
        return None
    idle = fields[3] + fields[4]
    now = (sum(fields) - idle, sum(fields))
    if since is None:
        return now
    return round((now[0] - since[0]) / max(1, now[1] - since[1]), 2)


async def fake_process(messages: int, rate: float, seed: int) -> None:
    """The fake Bot API on its own: print the port, wait for the bot, run the raid, report."""
    from bot.fakes.telegram import FakeTelegram

    fake = FakeTelegram()
    await fake.start()
    print(fake.port, flush=True)
    await fake.wait_for("setMyCommands", 3, timeout=60)
    print(json.dumps(await raid(fake, messages, rate, seed)), flush=True)
    await fake.stop()


async def _storage(database: str, schema: str):
    from bot.service import PostgresStorage, SqliteStorage

    if database == "postgresql":
        storage = PostgresStorage(PG_URL, schema=schema)
    else:
        storage = SqliteStorage(os.path.join(tempfile.mkdtemp(), "bench.db"))
    await storage.open()
    await storage.migrate()
    return storage


async def bot_process(messages: int, database: str, schema: str, seed: int, rate: float,
                      same_process: bool) -> dict:
    os.environ.setdefault("NO_PROXY", "127.0.0.1")
    from bot.adapters.telegram import TelegramConfig, running
    from bot.core import Engine
    from bot.service import ModerationService
    from bot.fakes.telegram import FakeTelegram

    storage = await _storage(database, schema)
    engine = Engine.load()
    service = ModerationService(storage, engine)
    for group in range(5):  # every case is also posted to a mod-log chat, as in a real setup
        await service.update_settings(str(_group(seed, group)), "setup",
                                      {"log_channel": "-2002"})
    if same_process:
        fake = FakeTelegram()
        await fake.start()
        # (unpaced: the fake enforces no limit, and the figures are the bot's own capacity)
        config = TelegramConfig(token=fake.token, api_base_url=fake.base_url, pacing=None)
        async with running(config, service, engine):
            await fake.wait_for("setMyCommands", 3)
            result = await raid(fake, messages, rate, seed)
        await fake.stop()
    else:
        server = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "benchmarks.e2e", "--fake", "--messages", str(messages),
            "--rate", str(rate), "--seed", str(seed), stdout=asyncio.subprocess.PIPE)
        assert server.stdout is not None
        port = int(await server.stdout.readline())
        config = TelegramConfig(token=FakeTelegram().token,
                                api_base_url=f"http://127.0.0.1:{port}/bot", pacing=None)
        async with running(config, service, engine):
            cpu = time.process_time()
            result = json.loads(await server.stdout.readline())
            result["bot_cpu_us"] = round((time.process_time() - cpu) / messages * 1e6)
        await server.wait()
    result["cases"] = len(await storage.list_cases(limit=10**6))
    await storage.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--rate", type=float, default=2000.0,
                        help="messages per second each process is sent (default 2000)")
    parser.add_argument("--same-process", action="store_true",
                        help="run the fake Bot API inside the bot's process and event loop")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--fake", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--schema", default="", help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.fake:
        asyncio.run(fake_process(args.messages, args.rate, args.seed))
        return
    if args.worker:
        print(json.dumps(asyncio.run(bot_process(args.messages, args.database, args.schema,
                                                 args.seed, args.rate, args.same_process))))
        return
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    extra = ["--same-process"] if args.same_process else []
    procs = [subprocess.Popen([sys.executable, "-m", "benchmarks.e2e", "--worker",
                               "--messages", str(args.messages), "--database", args.database,
                               "--schema", schema, "--seed", str(p), "--rate", str(args.rate),
                               *extra], stdout=subprocess.PIPE, text=True)
             for p in range(args.processes)]
    results = [json.loads(p.communicate()[0].splitlines()[-1]) for p in procs]
    if args.database == "postgresql":
        subprocess.run(["psql", PG_URL, "-qc", f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'],
                       capture_output=True)
    total = sum(r["messages"] for r in results)
    slowest = max(r["seconds"] for r in results)
    where = "fake Bot API in the bot's process" if args.same_process else \
        "fake Bot API in a process of its own"
    print(f"{args.processes} bot process(es), {args.database}, {where}, sent at {args.rate:g} "
          f"messages/s each: {total} messages in {slowest} s = {round(total / slowest)} "
          f"messages/s in all")
    for r in results:
        print(f"  {r['messages_per_second']} messages/s, {r['violations']} violations, "
              f"{r['deleted']} deleted, {r['cases']} cases in the database (all processes), "
              f"update->deleteMessage p50 {r['p50_ms']} ms p99 {r['p99_ms']} ms, "
              f"backlog samples {r['backlog_samples']}")
        if "bot_cpu_us" in r:
            print(f"  CPU per message: bot {r['bot_cpu_us']} us, fake Bot API {r['fake_cpu_us']} us;"
                  f" the machine's {os.cpu_count()} cores {r['machine_busy']:.0%} busy")
    if args.database == "postgresql" and not args.same_process:
        # the raids run at the same time: the database's CPU over them, per message of all
        spent = max(r.get("postgres_cpu_s", 0) for r in results)
        print(f"  PostgreSQL (all its processes): {round(spent / total * 1e6)} us of CPU per "
              f"message")


if __name__ == "__main__":
    main()
