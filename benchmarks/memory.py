"""Resident memory of a long-running bot: a million messages from 100,000 authors.

    python -m benchmarks.memory [--messages N] [--authors A] [--communities C]

The real ModerationService on a real SQLite file, with this process's own flood windows, takes
messages from many authors in many communities and channels, a thousandth of them violations
(a case recorded each). It prints the resident memory after start-up, after the first tenth
(the baseline: every cache warm) and at every tenth after, so growth shows next to the baseline
of the same run. In-process caches are bounded (LRU or by time), so the figure levels off.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import tempfile
import time
from pathlib import Path


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * resource.getpagesize() / 2**20


async def run(messages: int, authors: int, communities: int) -> list[tuple[int, float]]:
    from bot.core import Engine
    from bot.core.model import default_model
    from bot.service import Incoming, ModerationService, SqliteStorage

    with tempfile.TemporaryDirectory() as tmp:
        storage = SqliteStorage(Path(tmp) / "memory.db")
        await storage.open()
        await storage.migrate()
        service = ModerationService(storage, Engine.load(None, default_model()),
                                    clock=time.time)
        marks = [(0, _rss_mb())]
        tty = sys.stderr.isatty()
        start = 1_800_000_000.0
        for i in range(messages):
            author = i * 7919 % authors  # every author, spread over the run
            text = "địt mẹ mày" if i % 1000 == 999 else f"tin nhắn số {i % 5000} hôm nay"
            await service.on_message(Incoming(
                "telegram", f"community-{author % communities}", f"channel-{i % 20}",
                str(i), f"member-{author}", text, start + i * 0.01))
            if (i + 1) % (messages // 10) == 0:
                marks.append((i + 1, _rss_mb()))
                if tty:
                    print(f"\r{i + 1:,} messages, {marks[-1][1]:.1f} MB", end="",
                          file=sys.stderr, flush=True)
        if tty:
            print(file=sys.stderr)
        await storage.close()
    return marks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--authors", type=int, default=100_000)
    parser.add_argument("--communities", type=int, default=50)
    args = parser.parse_args()
    t = time.perf_counter()
    marks = asyncio.run(run(args.messages, args.authors, args.communities))
    elapsed = time.perf_counter() - t
    base = marks[1][1]
    print(f"{args.messages:,} messages from {args.authors:,} authors in {args.communities} "
          f"communities, {elapsed:.0f} s")
    print(f"{'messages':>12}  {'resident MB':>11}  {'vs baseline':>11}")
    for count, mb in marks:
        label = "start-up" if count == 0 else f"{count:,}"
        print(f"{label:>12}  {mb:>11.1f}  {mb - base:>+11.1f}")


if __name__ == "__main__":
    main()
