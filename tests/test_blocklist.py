"""Block lists on join: the community's own (imported with every bad line named, exported with
its bans) and a shared CAS-style list over real HTTP (cached, failing open with the failure told),
through the service, both platforms' adapters and the command line."""

from __future__ import annotations

import pytest

from bot.cli import main
from bot.fakes.blocklist import FakeBlockList
from bot.service import ModerationService, ServiceError
from bot.service.blocklist import SharedBlockList
from tests.conftest import raw
from tests.test_service import G, clock  # noqa: F401

LOG = "-1009"


@pytest.fixture
async def cas():
    server = FakeBlockList()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def service(storage, engine, clock, cas):
    shared = SharedBlockList(cas.url)
    svc = ModerationService(storage, engine, clock, blocklist=shared)
    await svc.update_settings(G, "admin", {"log_channel": LOG, "raid_joins": 0})
    yield svc
    await shared.close()


async def test_a_member_on_the_communitys_list_is_banned_on_joining(service, storage):
    with pytest.raises(ServiceError) as refused:
        await service.import_blocklist(G, ["111", "# a comment", "abc, spam", "", "22x"], "mod1")
    assert str(refused.value) == ("line 3: 'abc' is not a member id; "
                                  "line 5: '22x' is not a member id")
    assert await raw(storage, "SELECT * FROM blocked_members") == []  # nothing added then
    assert await service.import_blocklist(G, ["111, crypto spam", "222", "111"], "mod1") == (3, 2)
    actions = await service.on_member_joined("telegram", G, "111", "Spammer")
    assert [a.kind for a in actions] == ["ban", "modlog"]
    (case,) = await storage.list_cases(G)
    assert (case.actor, case.rule_ids, case.reason, case.action) == (
        "blocklist", ("blocklist.community",), "crypto spam", "ban")
    assert await service.on_member_joined("telegram", G, "333", "Fine") == []
    assert await service.export_blocklist(G) == [("111", "crypto spam"), ("222", "")]
    await service.manual(G, "telegram", "444", "mod1", "ban", "raider")
    assert ("444", "banned here (case #2)") in await service.export_blocklist(G)


async def test_the_shared_list_bans_the_listed_and_caches_its_answers(service, storage, cas):
    cas.listed.add("666")
    actions = await service.on_member_joined("telegram", G, "666", "Scam")
    assert [a.kind for a in actions] == ["ban", "modlog"]
    assert (await storage.list_cases(G))[0].rule_ids == ("blocklist.shared",)
    assert await service.on_member_joined("telegram", G, "777", "Fine") == []
    await service.on_member_joined("telegram", G, "777", "Fine")  # rejoins: the answer is cached
    assert cas.asked == ["666", "777"]
    await service.update_settings(G, "admin", {"shared_blocklist": "off"})
    assert await service.on_member_joined("telegram", G, "888", "Fine") == []
    assert cas.asked == ["666", "777"]


async def test_a_list_that_does_not_answer_lets_members_in_and_is_told_once(service, storage,
                                                                           cas, clock):
    cas.down = True
    told = await service.on_member_joined("telegram", G, "901", "A")
    assert [a.kind for a in told] == ["modlog"]
    assert told[0].text.startswith("⚠️ Danh sách chặn dùng chung không trả lời (HTTP 503)")
    assert await service.on_member_joined("telegram", G, "902", "B") == []  # once an hour
    assert await storage.list_cases(G) == []
    failures = [e for e in await storage.audit_log(G) if e.action == "blocklist_unanswered"]
    assert [e.detail["member"] for e in failures] == ["901", "902"]
    await cas.stop()  # gone altogether: refused connections fail open too
    assert await service.on_member_joined("telegram", G, "903", "C") == []


def test_import_and_export_from_the_command_line(tmp_path, capsys):
    db = str(tmp_path / "b.db")
    assert main(["migrate", "--database", db]) == 0
    bad = tmp_path / "bad.txt"
    bad.write_text("123\nnot-an-id\n", encoding="utf-8")
    assert main(["blocklist", "import", "-100", str(bad), "--database", db]) == 1
    err = capsys.readouterr().err
    assert err.strip() == (f"{bad}: line 2: 'not-an-id' is not a member id; nothing was added")
    good = tmp_path / "good.txt"
    good.write_text("123,spam bot\n456\n", encoding="utf-8")
    assert main(["blocklist", "import", "-100", str(good), "--database", db]) == 0
    assert capsys.readouterr().out == "2 ids read, 2 added to the block list of -100\n"
    assert main(["blocklist", "export", "-100", "--database", db]) == 0
    assert capsys.readouterr().out == "123,spam bot\n456,\n"
