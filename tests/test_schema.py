"""The SQLite and PostgreSQL migrations build the same schema: same tables, same columns, in order."""

import sqlite3

from bot.service import PostgresStorage, SqliteStorage
from tests.conftest import PG_URL, require_server


async def test_both_dialects_build_the_same_tables_and_columns(tmp_path):
    require_server("PostgreSQL", 5432, PG_URL)
    lite = SqliteStorage(tmp_path / "s.db")
    await lite.open()
    assert await lite.migrate() == [1, 2, 3, 4, 5, 6, 7]
    await lite.close()
    con = sqlite3.connect(tmp_path / "s.db")
    tables = [r[0] for r in con.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    sqlite_schema = {t: [r[1] for r in con.execute(f"PRAGMA table_info({t})")] for t in tables}
    sqlite_triggers = sorted(r[0] for r in con.execute(
        "SELECT name FROM sqlite_master WHERE type = 'trigger'"))

    import asyncpg
    import uuid

    schema = f"s_{uuid.uuid4().hex[:10]}"
    pg = PostgresStorage(PG_URL, schema=schema)
    await pg.open()
    assert await pg.migrate() == [1, 2, 3, 4, 5, 6, 7]
    assert await pg.migrate() == []
    await pg.close()
    raw = await asyncpg.connect(PG_URL)
    try:
        rows = await raw.fetch("SELECT table_name, column_name FROM information_schema.columns "
                               "WHERE table_schema = $1 ORDER BY table_name, ordinal_position",
                               schema)
        pg_triggers = sorted({r["trigger_name"] for r in await raw.fetch(
            "SELECT trigger_name FROM information_schema.triggers WHERE trigger_schema = $1",
            schema)})
        await raw.execute(f'DROP SCHEMA "{schema}" CASCADE')
    finally:
        await raw.close()
    pg_schema: dict[str, list[str]] = {}
    for r in rows:
        pg_schema.setdefault(r["table_name"], []).append(r["column_name"])
    assert pg_schema == sqlite_schema
    # the same triggers too: the audit log's guards, and the audit entry of each action outcome
    assert pg_triggers == sqlite_triggers == ["audit_no_delete", "audit_no_update",
                                              "case_action_outcome"]
    assert "audit" in pg_schema and "forgotten" in pg_schema


async def test_processes_starting_together_migrate_a_fresh_postgresql_schema_once():
    # several workers deployed at once each run the migrations at start-up
    import asyncio

    from tests.conftest import pg_schema

    async with pg_schema("mig", migrate=False) as schema:
        stores = [PostgresStorage(PG_URL, schema=schema) for _ in range(4)]
        try:
            for s in stores:
                await s.open()
            applied = await asyncio.gather(*(s.migrate() for s in stores))
            versions = await stores[0].schema_version()
            assert sorted(v for a in applied for v in a) == list(range(1, versions + 1))
        finally:
            for s in stores:
                await s.close()
