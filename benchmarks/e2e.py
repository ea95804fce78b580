"""End-to-end raid benchmark: the real Telegram adapter, the fake Bot API, a real database.

    python -m benchmarks.e2e [--messages N] [--database sqlite|postgresql] [--processes P]

Pushes a raid (a tenth of it violations, many members, several groups) through getUpdates as
fast as the bot takes it, and reports messages/s sustained with cases stored, the p50/p99 time
from an update being pushed to its deleteMessage arriving, and the update backlog over time.
With ``--processes 2`` on PostgreSQL, each process runs its own bot (and fake server) on the
shared database, so the figures show how the storage scales.
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


async def one_process(messages: int, database: str, schema: str, seed: int, rate: float) -> dict:
    os.environ.setdefault("NO_PROXY", "127.0.0.1")
    from bot.adapters.telegram import TelegramConfig, running
    from bot.core import Engine
    from bot.service import ModerationService, PostgresStorage, SqliteStorage
    from tests.fakes.telegram import FakeTelegram

    fake = FakeTelegram()
    await fake.start()
    if database == "postgresql":
        storage = PostgresStorage(PG_URL, schema=schema)
    else:
        storage = SqliteStorage(os.path.join(tempfile.mkdtemp(), "bench.db"))
    await storage.open()
    await storage.migrate()
    engine = Engine.load()
    service = ModerationService(storage, engine)
    config = TelegramConfig(token=fake.token, api_base_url=fake.base_url)
    pushed: dict[int, float] = {}
    backlog: list[int] = []

    async def sample() -> None:  # the updates pushed but not yet fetched, twice a second
        while True:
            backlog.append(len(fake._updates))
            await asyncio.sleep(0.5)

    async with running(config, service, engine):
        await fake.wait_for("setMyCommands", 3)
        sampler = asyncio.create_task(sample())
        start = time.perf_counter()
        for i in range(messages):
            violation = i % 10 == 0
            text = "địt mẹ mày" if violation else f"tin nhắn bình thường {seed}-{i}"
            msg = fake.message(-1000 - i % 5, 10_000 + (i * 7919) % 5000, text)
            if violation:
                pushed[msg["message_id"]] = time.perf_counter()
            ahead = start + (i + 1) / rate - time.perf_counter()  # keep to the raid's rate
            if ahead > 0 or i % 50 == 0:
                await asyncio.sleep(max(ahead, 0))
        await fake.wait_for("deleteMessage", len(pushed), timeout=600)
        elapsed = time.perf_counter() - start
        sampler.cancel()
    await storage.close()
    await fake.stop()
    latencies = sorted(_latencies(fake, pushed))
    return {"messages": messages, "seconds": round(elapsed, 2),
            "messages_per_second": round(messages / elapsed),
            "violations": len(pushed),
            "p50_ms": round(latencies[len(latencies) // 2] * 1000, 1) if latencies else None,
            "p99_ms": round(latencies[int(len(latencies) * 0.99)] * 1000, 1) if latencies else None,
            "rate": rate, "backlog_samples": backlog[:: max(1, len(backlog) // 10)]}


def _latencies(fake, pushed: dict[int, float]) -> list[float]:
    return [fake.delete_times[m] - t for m, t in pushed.items() if m in fake.delete_times]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--rate", type=float, default=2000.0,
                        help="messages per second each process is sent (default 2000)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--schema", default="", help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(asyncio.run(one_process(args.messages, args.database, args.schema,
                                                 args.seed, args.rate))))
        return
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    procs = [subprocess.Popen([sys.executable, "-m", "benchmarks.e2e", "--worker",
                               "--messages", str(args.messages), "--database", args.database,
                               "--schema", schema, "--seed", str(p), "--rate", str(args.rate)],
                              stdout=subprocess.PIPE, text=True)
             for p in range(args.processes)]
    results = [json.loads(p.communicate()[0]) for p in procs]
    if args.database == "postgresql":
        subprocess.run(["psql", PG_URL, "-qc", f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'],
                       capture_output=True)
    total = sum(r["messages"] for r in results)
    slowest = max(r["seconds"] for r in results)
    print(f"{args.processes} process(es), {args.database}, sent at {args.rate:g} messages/s each: "
          f"{total} messages in {slowest} s = {round(total / slowest)} messages/s in all")
    for r in results:
        print(f"  {r['messages_per_second']} messages/s, {r['violations']} violations, "
              f"update->deleteMessage p50 {r['p50_ms']} ms p99 {r['p99_ms']} ms, "
              f"backlog samples {r['backlog_samples']}")


if __name__ == "__main__":
    main()
