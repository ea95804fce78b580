"""Platform-fault run: the real Telegram adapter against a fake Bot API that fails on a schedule.

    python -m benchmarks.faults [--messages N]

Every Bot API call the bot makes meets, on a fixed schedule, a 429 with retry_after, a 500, a
timeout (the server acts but answers too late), a dropped connection, or a normal answer; so does
getUpdates. A third of the messages are violations from many members. When the raid is over and
the bot has caught up, the report says how many faults were injected, how many messages were
sent, and how many cases were lost (a violation without exactly one case), and how every
recorded action ended. ``tests/test_faults.py`` runs the same function and checks the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from collections import Counter

# calls of actions: one in three fails, in every way a platform fails
ACTION_FAULTS = ("429", None, "500", None, "timeout", None, "drop", None, None)
# getUpdates: one in four fails (no timeout here: long polling waits by design)
POLL_FAULTS = ("500", None, "drop", None, "429", None, None, None)


async def fault_run(messages: int = 300, members: int = 0, timeout_delay: float = 1.5,
                    request_timeout: float = 1.0) -> dict:
    os.environ.setdefault("NO_PROXY", "127.0.0.1")
    from bot.adapters.telegram import TelegramConfig, running
    from bot.core import Engine
    from bot.service import ModerationService, SqliteStorage
    from bot.fakes import FaultSchedule
    from bot.fakes.telegram import FakeTelegram

    # three messages a member: a raid of many accounts, not one member's flood (which the
    # flood rule would rightly turn into cases of its own)
    members = members or max(1, messages // 3)
    fake = FakeTelegram()
    await fake.start()
    group, log_chat = -1001, -2002
    storage = SqliteStorage(os.path.join(tempfile.mkdtemp(), "faults.db"))
    await storage.open()
    await storage.migrate()
    engine = Engine.load()
    service = ModerationService(storage, engine)
    await service.update_settings(str(group), "setup", {"log_channel": str(log_chat)})
    config = TelegramConfig(token=fake.token, api_base_url=fake.base_url,
                            request_timeout=request_timeout, pacing=None)  # (no limit enforced)
    actions = FaultSchedule(ACTION_FAULTS, delay=timeout_delay)
    polls = FaultSchedule(POLL_FAULTS, methods=frozenset({"getUpdates"}))
    violations: dict[int, int] = {}  # message id -> member
    start = time.perf_counter()
    async with running(config, service, engine):
        await fake.wait_for("setMyCommands", 3)
        fake.schedules += [actions, polls]
        for i in range(messages):
            member = 5000 + i % members
            violation = i % 3 == 0
            text = "địt mẹ mày" if violation else f"tin nhắn bình thường số {i}"
            msg = fake.message(group, member, text)
            if violation:
                violations[msg["message_id"]] = member
            if i % 20 == 0:
                await asyncio.sleep(0.01)
        # caught up: every update fetched and every action settled (done or failed)
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            await fake.idle(quiet=1.0, timeout=600)
            if not await storage.pending_actions(time.time() + 1):
                break
        elapsed = time.perf_counter() - start
        fake.schedules.clear()
    listed = await storage.list_cases(str(group), limit=100_000)
    cases = [await storage.get_case(str(group), c.number) for c in listed]
    await storage.close()
    await fake.stop()
    by_message = Counter(int(c.message_id) for c in cases if c.message_id)
    lost = [m for m in violations if by_message[m] != 1]
    extra = [m for m in by_message if m not in violations]
    outcomes = Counter((kind, state) for c in cases for kind, state, _ in c.outcomes)
    reasons = Counter(reason for c in cases for _, state, reason in c.outcomes if state == "failed")
    return {
        "messages": messages, "violations": len(violations), "cases": len(cases),
        "cases_lost": len(lost), "cases_without_violation": len(extra),
        "faults": dict(Counter(kind for _, kind in actions.injected + polls.injected)),
        "faults_on_getUpdates": len(polls.injected),
        "faults_injected": len(actions.injected) + len(polls.injected),
        "outcomes": {f"{k} {s}": n for (k, s), n in sorted(outcomes.items())},
        "failure_reasons": dict(reasons), "seconds": round(elapsed, 1),
    }


def report(r: dict) -> str:
    faults = ", ".join(f"{k}: {v}" for k, v in sorted(r["faults"].items()))
    lines = [
        f"faults injected: {r['faults_injected']} ({faults}; {r['faults_on_getUpdates']} of them "
        f"on getUpdates)",
        f"messages sent: {r['messages']}, violations: {r['violations']}, cases: {r['cases']}, "
        f"cases lost: {r['cases_lost']}, cases without a violation: {r['cases_without_violation']}",
        "action outcomes: " + ", ".join(f"{k} {v}" for k, v in r["outcomes"].items()),
    ]
    if r["failure_reasons"]:
        lines.append("failed because: " + "; ".join(f"{k} ({v})"
                                                    for k, v in r["failure_reasons"].items()))
    lines.append(f"caught up after {r['seconds']} s")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=600)
    args = parser.parse_args()
    print(report(asyncio.run(fault_run(args.messages))))


if __name__ == "__main__":
    main()
