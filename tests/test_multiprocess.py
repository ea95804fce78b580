"""Several bot processes on one PostgreSQL database: gapless numbers, one case per violation,
every expiry fired exactly once."""

import asyncio
import json
import sys
from collections import Counter

from tests.conftest import PG_URL, pg_schema

WORKERS, MESSAGES = 4, 5000


async def test_four_processes_share_one_database_correctly():
    import asyncpg

    async with pg_schema("mp") as schema:
        procs = [await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.multiprocess_worker", PG_URL, schema, str(w),
            str(MESSAGES), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
            for w in range(WORKERS)]
        outputs = [await p.communicate() for p in procs]
        assert [p.returncode for p in procs] == [0] * WORKERS, [e.decode()[-2000:]
                                                               for _, e in outputs]
        reports = [json.loads(o.decode()) for o, _ in outputs]
        con = await asyncpg.connect(PG_URL, server_settings={"search_path": schema})
        try:
            rows = await con.fetch("SELECT community_id, number, message_id, action FROM cases")
            audit = await con.fetch(
                "SELECT case_id, action FROM audit WHERE action = 'mute_expired'")
            mutes = await con.fetchval("SELECT COUNT(*) FROM cases WHERE action = 'mute'")
            pending = await con.fetchval(
                "SELECT COUNT(*) FROM scheduled WHERE kind = 'mute_expiry' AND state != 'done'")
        finally:
            await con.close()
    by_community: dict[str, list[int]] = {}
    for r in rows:
        by_community.setdefault(r["community_id"], []).append(r["number"])
    for community, numbers in by_community.items():
        assert sorted(numbers) == list(range(1, len(numbers) + 1)), community  # gapless, unique
    violations = sum(r["violations"] for r in reports)
    assert violations == WORKERS * MESSAGES // 10
    assert len(rows) == violations  # one case per violation
    assert Counter(r["message_id"] for r in rows).most_common(1)[0][1] == 1
    assert mutes > 0 and pending == 0
    assert len(audit) == mutes and len({a["case_id"] for a in audit}) == mutes  # each fired once
    unmuted = [n for r in reports for n in r["unmuted"]]
    assert len(unmuted) == mutes
