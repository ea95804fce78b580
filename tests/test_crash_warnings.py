"""One warning per violation, even after a crash: the bot killed with SIGKILL at ten points of a
flood and started again on the same database. Every violation has exactly one case, every one of
those messages is deleted, and the warnings the group sees exceed the violations by at most the
warnings that were in flight at the kill (sent to Telegram, their answer not yet recorded)."""

from __future__ import annotations

import re
import sqlite3

from bot.fakes.telegram import FakeTelegram
from tests.test_run import GROUP, _quiet_bot, _restarted_until_settled, _telegram_env

MESSAGES, INSULTS = 200, 60
WARNING = re.compile(r"\(vụ #(\d+)\)")  # one per warning entry (a post may carry several)


def _warnings(fake: FakeTelegram, upto: int | None = None) -> list[int]:
    """The case numbers of the warnings posted in the group (of the first ``upto`` calls)."""
    calls = fake.calls[:upto] if upto is not None else fake.calls
    return [int(n) for c in calls if c.method == "sendMessage"
            and c.params.get("chat_id") == str(GROUP) for n in WARNING.findall(c.params["text"])]


async def _flood_killed_after(tmp_path, deletions: int) -> tuple[int, int, int]:
    """A flood, SIGKILL after ``deletions`` messages were deleted, a restart: (warnings seen,
    in flight at the kill, violations)."""
    fake = FakeTelegram()
    await fake.start()
    db = tmp_path / f"crash-{deletions}.db"
    env = _telegram_env(fake, str(db))
    bad: set[str] = set()
    try:
        proc = await _quiet_bot(env)
        await fake.wait_for("setMyCommands", 3, timeout=30)
        for i in range(MESSAGES):  # 60 insults from 60 members among everyday chat
            insult = i % 10 < 3
            sent = fake.message(GROUP, 2000 + i, "địt mẹ mày" if insult else f"tin nhắn {i} nhé")
            if insult:
                bad.add(str(sent["message_id"]))
        await fake.wait_for("deleteMessage", deletions, timeout=30)
        proc.kill()
        await proc.wait()
        at_kill = len(fake.calls)
        confirmed = sqlite3.connect(db).execute(
            "SELECT COUNT(*) FROM case_actions WHERE kind = 'warn' AND state = 'done'").fetchone()[0]
        in_flight = len(_warnings(fake, at_kill)) - confirmed
        await _restarted_until_settled(env, db, fake, len(bad))
    finally:
        await fake.stop()
    con = sqlite3.connect(db)
    judged = [m for (m,) in con.execute("SELECT message_id FROM cases")]
    assert sorted(judged) == sorted(bad)  # exactly one case per violation
    deleted = {p["message_id"] for p in fake.calls_to("deleteMessage")}
    assert bad <= deleted
    return len(_warnings(fake)), in_flight, len(bad)


async def test_a_crash_repeats_no_delivered_warning(tmp_path):
    report = []
    for deletions in range(3, 53, 5):  # ten points of the flood
        seen, in_flight, violations = await _flood_killed_after(tmp_path, deletions)
        report.append(f"killed after {deletions} deletions: {seen} warnings for "
                      f"{violations} violations, {in_flight} in flight at the kill")
        assert violations == INSULTS
        assert seen >= violations, report[-1]  # none lost
        assert seen - violations <= in_flight, report[-1]
    print("\n".join(report))
