"""Dashboard benchmark: a community with 100,000 cases in a SQLite file, its case list served
over real HTTP by the dashboard (filtered, searched, paged), beside the same query asked of the
storage alone in the same run.

    python -m benchmarks.dashboard [--cases N] [--requests R]

Prints, per filter, the median and the 95th percentile of the page's time (request to last
byte, HTML) and of the storage's query for the same page.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

COMMUNITY = "-100500"
RULES = ("vi.insult.mother", "vi.obscene.crude-intensifier", "spam.link", "vi.hate.region",
         "en.insult.general", "scam.loan")
STATUSES = ("active", "active", "active", "expired", "pardoned", "shadow", "overturned")
WORDS = ("địt", "mẹ", "mày", "ngu", "vay", "tiền", "nhanh", "link", "bọn", "đồ", "hello",
         "shop", "giá", "rẻ", "xem", "ngay")


def fill(path: Path, n: int, now: float, seed: int = 7) -> None:
    """``n`` cases over the last 90 days, written straight into the tables (the service would
    take minutes to record them one by one; what is measured is reading them)."""
    rng = random.Random(seed)
    rows = []
    for number in range(1, n + 1):
        at = now - 90 * 86400 * (1 - number / n)
        rules = [rng.choice(RULES)]
        rows.append((COMMUNITY, number, "telegram", str(1000 + rng.randrange(5000)), COMMUNITY,
                     str(number), json.dumps(rules), json.dumps(["4.1"]),
                     " ".join(rng.choice(WORDS) for _ in range(6)), 0.9, "warn", "auto",
                     "reason", rng.choice(STATUSES), 1.0, "vi", at, at))
    db = sqlite3.connect(path)
    with db:
        db.executemany(
            "INSERT INTO cases (community_id, number, platform, member_id, channel_id, "
            "message_id, rule_ids, clauses, excerpt, confidence, action, actor, reason, status, "
            "points, language, created_at, updated_at) VALUES "
            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        db.execute("INSERT INTO community_counters VALUES (?, ?)", (COMMUNITY, n + 1))
    db.close()


class Everyone:
    """Rights that say yes (what is measured is the page, not Telegram's answer)."""

    def claims(self, community: str) -> bool:
        return True

    async def moderates(self, community: str, user: str) -> bool:
        return True


def _ms(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return (statistics.median(ordered) * 1000,
            ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))] * 1000)


async def main(n: int, requests: int) -> int:
    from bot.service import SqliteStorage

    now = time.time()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        storage = SqliteStorage(path)
        await storage.open()
        await storage.migrate()
        try:
            return await _measure(storage, path, n, requests, now)
        finally:
            await storage.close()


async def _measure(storage, path: Path, n: int, requests: int, now: float) -> int:
    import aiohttp

    from bot.core import Engine
    from bot.service import CaseQuery, ModerationService
    from bot.web import Dashboard, WebConfig, WebUser, serving
    from bot.web.sessions import COOKIE

    started = time.perf_counter()
    fill(path, n, now)
    print(f"{n:,} cases written in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    service = ModerationService(storage, Engine.load())
    dashboard = Dashboard(service, WebConfig(port=0, secret=b"bench" * 8),
                          {"telegram": Everyone()})
    cookie, _ = dashboard.sessions.issue(WebUser("telegram", "1", "Bench", "en"), now)
    day = time.strftime("%Y-%m-%d", time.gmtime(now - 30 * 86400))
    filters = {
        "newest page": ("", CaseQuery()),
        "page 1,000": ("page=1000", CaseQuery(offset=49_950)),
        "one member": ("member=1234", CaseQuery(member="1234")),
        "one rule": ("rule=scam.loan", CaseQuery(rules=("scam.loan",))),
        "status pardoned": ("status=pardoned", CaseQuery(status="pardoned")),
        "since a day": (f"since={day}", CaseQuery(since=now - 30 * 86400)),
        "search 'vay tiền'": ("q=vay+ti%E1%BB%81n", CaseQuery(text="vay tiền")),
        "rule + status + search": ("rule=spam.link&status=active&q=link",
                                   CaseQuery(rules=("spam.link",), status="active",
                                             text="link")),
    }
    print(f"case list of a community with {n:,} cases (SQLite, {requests} requests each; "
          "median / p95 in ms)")
    print(f"{'filter':<26}{'storage query alone':>22}{'dashboard page (HTTP)':>24}"
          f"{'matching':>10}")
    async with serving(dashboard) as port, aiohttp.ClientSession(
            cookies={COOKIE: cookie}) as http:
        base = f"http://127.0.0.1:{port}/communities/{COMMUNITY}/cases?"
        for name, (query, case_query) in filters.items():
            alone, page = [], []
            total = 0
            for _ in range(requests):
                t = time.perf_counter()
                _, total = await service.search_cases(COMMUNITY, case_query)
                alone.append(time.perf_counter() - t)
                t = time.perf_counter()
                async with http.get(base + query) as r:
                    await r.read()
                    assert r.status == 200, r.status
                page.append(time.perf_counter() - t)
            a, p = _ms(alone), _ms(page)
            print(f"{name:<26}{a[0]:>10.1f} / {a[1]:<9.1f}{p[0]:>12.1f} / {p[1]:<9.1f}"
                  f"{total:>10,}")
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=20)
    args = parser.parse_args()
    sys.exit(asyncio.run(main(args.cases, args.requests)))
