"""Copy one database into another (a community growing from SQLite to PostgreSQL)."""

from __future__ import annotations

from bot.service.storage.sql import SqlStorage

# parents before children, so foreign keys hold at every insert
TABLES = ("community_counters", "community_settings", "moderators", "cases", "case_actions",
          "points", "appeals", "review_queue", "scheduled", "audit", "forgotten",
          "learned_examples", "learned_weights", "member_joins", "raids", "blocked_members")
WITH_IDS = ("cases", "case_actions", "points", "appeals", "review_queue", "scheduled", "audit",
            "learned_examples", "raids")


async def copy_database(source: SqlStorage, target: SqlStorage) -> dict[str, int]:
    """Copy every row, ids included, into a migrated, empty ``target``; return rows per table."""
    await target.migrate()
    async with target.d.read() as db:
        if (await db.fetchone("SELECT COUNT(*) AS n FROM cases"))["n"]:
            raise ValueError("the target database already holds cases; copy into an empty one")
    counts: dict[str, int] = {}
    async with source.d.read() as src:
        data = {t: [dict(r) for r in await src.fetchall(f"SELECT * FROM {t} ORDER BY 1")]
                for t in TABLES}
    async with target.d.tx() as db:
        for table in TABLES:
            rows = data[table]
            counts[table] = len(rows)
            for row in rows:
                columns = list(row)
                await db.execute(
                    f"INSERT INTO {table} ({', '.join(columns)}) "
                    f"VALUES ({', '.join('?' for _ in columns)})", *row.values())
        for table in WITH_IDS:
            await target.d.reset_ids(db, table)
    return counts
