"""migrate, cases list|show|export and stats against a real database file."""

import asyncio
import json

import pytest

from bot.cli import main
from bot.core import Engine
from bot.service import Incoming, ModerationService, SqliteStorage


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "cli.db"

    async def fill():
        s = SqliteStorage(path)
        await s.open()
        await s.migrate()
        svc = ModerationService(s, Engine.load(), clock=lambda: 1_800_000_000.0)
        for i, text in enumerate(["địt mẹ mày", "fuck you", "thằng ngu"]):
            await svc.on_message(Incoming("discord", "g1", "c", f"m{i}", f"u{i % 2}", text, 0.0))
        await svc.appeal("g1", 1, "u0", "không phải tôi")
        await svc.decide_appeal("g1", 1, "mod1", True, "đúng là nhầm")
        await s.close()

    asyncio.run(fill())
    return str(path)


def test_migrate_creates_and_is_idempotent(tmp_path, capsys):
    path = str(tmp_path / "new.db")
    assert main(["migrate", "--database", path]) == 0
    assert capsys.readouterr().out == f"{path}: schema version 7 (applied 1, 2, 3, 4, 5, 6, 7)\n"
    assert main(["migrate", "--database", path]) == 0
    assert "already up to date" in capsys.readouterr().out


def test_commands_refuse_an_unmigrated_database(tmp_path, capsys):
    path = str(tmp_path / "empty.db")
    assert main(["cases", "list", "--database", path]) == 2
    assert "no schema yet; run: quytac migrate" in capsys.readouterr().err


def test_database_url_env(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/env.db")
    assert main(["migrate"]) == 0
    assert f"{tmp_path}/env.db: schema version 7" in capsys.readouterr().out



def test_cases_list_filters(db, capsys):
    assert main(["cases", "list", "--database", db]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == "3 case(s)" and out[0].startswith("g1 #3 ")
    main(["cases", "list", "--database", db, "--member", "u1", "--json"])
    rows = json.loads(capsys.readouterr().out)
    assert [(r["number"], r["member_id"]) for r in rows] == [(2, "u1")]
    main(["cases", "list", "--database", db, "--status", "overturned", "--json"])
    assert [r["number"] for r in json.loads(capsys.readouterr().out)] == [1]
    main(["cases", "list", "--database", db, "--rule", "vi.insult.stupid", "--json"])
    assert [r["number"] for r in json.loads(capsys.readouterr().out)] == [3]
    main(["cases", "list", "--database", db, "--member", "nobody", "--json"])
    assert json.loads(capsys.readouterr().out) == []


def test_cases_show(db, capsys):
    assert main(["cases", "show", "g1", "1", "--database", db]) == 0
    out = capsys.readouterr().out
    assert "status:     overturned" in out
    assert "appeal:     approved" in out and "-> mod1: đúng là nhầm" in out
    assert "mod1         appeal_approved" in out
    assert main(["cases", "show", "g1", "99", "--database", db]) == 1
    assert "no case #99 in community g1" in capsys.readouterr().err


def test_cases_export(db, tmp_path, capsys):
    out = tmp_path / "g1.csv"
    assert main(["cases", "export", "g1", "--format", "csv", "--output", str(out),
                 "--database", db]) == 0
    text = out.read_text(encoding="utf-8")
    assert text.startswith("number,platform,member_id") and "appeal_approved" in text
    main(["cases", "export", "g1", "--database", db])
    types = [json.loads(x)["type"] for x in capsys.readouterr().out.splitlines()]
    assert types.count("case") == 3 and types.count("audit") >= 5


def test_stats(db, capsys):
    assert main(["stats", "--database", db, "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["by_category"] == {"insult": 2, "obscene": 1}
    assert stats["by_rule"]["vi.insult.mother"]["overturn_rate"] == 1.0
    assert stats["by_platform"] == {"discord": 3}
    main(["stats", "--database", db])
    assert "vi.insult.mother" in capsys.readouterr().out


def test_member_export_and_forget(db, tmp_path, capsys):
    out = tmp_path / "u0.json"
    assert main(["member", "export", "g1", "u0", "--output", str(out), "--by", "admin",
                 "--database", db]) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert [c["number"] for c in data["cases"]] == [1, 3]
    assert data["appeals"][0]["text"] == "không phải tôi"
    assert main(["member", "forget", "g1", "u0", "--database", db]) == 2
    assert "add --yes to confirm" in capsys.readouterr().err
    assert main(["member", "forget", "g1", "u0", "--yes", "--database", db]) == 0
    assert capsys.readouterr().out.startswith("forgotten: appeals 1, review_items 0, points ")
    main(["member", "export", "g1", "u0", "--database", db])
    assert json.loads(capsys.readouterr().out)["cases"] == []


def test_migrate_to_another_database(db, tmp_path, capsys):
    """SQLite into a fresh database of the other kind when PostgreSQL answers, else SQLite."""
    import asyncio
    import uuid

    from bot.service import PostgresStorage, SqliteStorage
    from tests.conftest import PG_URL, _postgres_up

    if _postgres_up():
        schema = f"m_{uuid.uuid4().hex[:10]}"
        target_url = f"{PG_URL}?options=-csearch_path%3D{schema}"
        target = PostgresStorage(PG_URL, schema=schema)
    else:
        target_url = str(tmp_path / "copy.db")
        target = SqliteStorage(target_url)

    async def prepare():
        await target.open()  # creates the schema
        await target.close()

    asyncio.run(prepare())
    assert main(["migrate", "--database", db, "--to", target_url]) == 0
    out = capsys.readouterr().out
    assert "copied to" in out and "cases 3" in out and "audit " in out

    async def check():
        await target.open()
        try:
            case = await target.get_case("g1", 1)
            assert case.status == "overturned" and case.rule_ids == ("vi.insult.mother",)
            assert [a.status for a in await target.appeals_for_case(case.id)] == ["approved"]
            # new rows continue after the copied ids
            svc = ModerationService(target, Engine.load())
            await svc.on_message(Incoming("discord", "g1", "c", "m9", "u9", "địt mẹ mày", 0.0))
            assert (await target.get_case("g1", 4)).member_id == "u9"
        finally:
            await target.close()

    asyncio.run(check())
    assert main(["migrate", "--database", db, "--to", target_url]) == 1
    assert "already holds cases" in capsys.readouterr().err
    if isinstance(target, PostgresStorage):
        async def drop():
            import asyncpg

            con = await asyncpg.connect(PG_URL)
            await con.execute(f'DROP SCHEMA "{schema}" CASCADE')
            await con.close()

        asyncio.run(drop())
