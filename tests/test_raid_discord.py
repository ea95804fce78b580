"""Raid mode on Discord, through discord.py against the fake gateway and REST API: a join flood
pauses invites and DMs (incident actions) and times out every member of the window, a raider's
message slows their channel, and the end (a moderator's button or command) undoes each change."""

from __future__ import annotations

import datetime as dt

from bot.fakes import discord as fk
from bot.fakes.discord import GENERAL, GUILD, LOG
from tests.test_discord import MOD, TIMEOUT_PATH, _slash, bot, fake, storage  # noqa: F401

RAIDERS = [f"61000000000000000{i}" for i in range(6)]
MODERATOR = fk.EVERYONE_PERMS | fk.MODERATE_MEMBERS
INCIDENTS = f"/guilds/{GUILD}/incident-actions"


async def _flood(fake, bot, clock):
    await bot.service.update_settings(GUILD, "setup", {"raid_joins": 5, "raid_window": 60})
    for uid in RAIDERS[:5]:
        await fake.join(uid, f"raider{uid[-1]}")
    return await fake.wait_for("POST", f"/channels/{LOG}/messages")


def _timeouts(fake, member):
    return [c.body["communication_disabled_until"] for c in fake.calls_to("PATCH", TIMEOUT_PATH + member)
            if c.body and "communication_disabled_until" in c.body]


async def test_a_join_flood_pauses_invites_and_times_out_the_window(fake, bot, clock):
    (alert,) = await _flood(fake, bot, clock)
    embed = alert.body["embeds"][0]
    assert embed["title"].startswith("🚨 Chế độ chống raid đã bật (tự động): 5 thành viên")
    buttons = [b["custom_id"] for b in alert.body["components"][0]["components"]]
    assert buttons == [f"quytac:raid-end:{GUILD}:1", f"quytac:raid-ban:{GUILD}:1",
                       f"quytac:raid-extend:{GUILD}:1"]
    (pause,) = await fake.wait_for("PUT", INCIDENTS)
    day = clock() + 86400
    for key in ("invites_disabled_until", "dms_disabled_until"):
        assert abs(dt.datetime.fromisoformat(pause.body[key]).timestamp() - day) < 5
    for uid in RAIDERS[:5]:
        await fake.wait_for("PATCH", TIMEOUT_PATH + uid)
        (until,) = _timeouts(fake, uid)
        assert abs(dt.datetime.fromisoformat(until).timestamp() - day) < 5
    # a raider posts: slow mode in that channel, once
    await fake.message(RAIDERS[0], "join my server")
    (slow,) = await fake.wait_for("PATCH", f"/channels/{GENERAL}")
    assert slow.body["rate_limit_per_user"] == 30
    await fake.message(RAIDERS[1], "join my server")
    await fake.idle(0.2)
    assert len(fake.calls_to("PATCH", f"/channels/{GENERAL}")) == 1

    fake.calls.clear()
    message = fake.bot_message(LOG, alert.body)
    press = {"custom_id": f"quytac:raid-end:{GUILD}:1", "component_type": 2}
    iid = await fake.interaction(MOD, press, itype=3, channel=LOG, message=message,
                                 permissions=MODERATOR)
    (reply,) = await fake.wait_for("POST", f"/interactions/{iid}/")
    assert reply.body["data"]["content"] == "Raid mode ended."
    (resume,) = await fake.wait_for("PUT", INCIDENTS)
    assert resume.body == {"invites_disabled_until": None, "dms_disabled_until": None}
    (unslow,) = await fake.wait_for("PATCH", f"/channels/{GENERAL}")
    assert unslow.body["rate_limit_per_user"] == 0  # as it was before
    for uid in RAIDERS[:5]:
        await fake.wait_for("PATCH", TIMEOUT_PATH + uid)
        assert _timeouts(fake, uid) == [None]
    end = (await fake.wait_for("POST", f"/channels/{LOG}/messages"))[0]
    assert end.body["embeds"][0]["title"].startswith("✅ Chế độ chống raid đã tắt")


async def test_raid_command_status_and_ban_joined_with_a_preview(fake, bot, clock):
    for uid in RAIDERS[:3]:
        await fake.join(uid)
    await fake.idle(0.2)

    async def command(options):
        iid = await fake.interaction(MOD, _slash("raid", options), permissions=MODERATOR)
        (reply,) = await fake.wait_for("POST", f"/interactions/{iid}/")
        return reply.body["data"]["content"]

    assert (await command([])).startswith("Raid mode is off. 3 join(s) in the last 60s")
    preview = await command([{"name": "action", "type": 3, "value": "ban-joined"},
                             {"name": "since", "type": 3, "value": "10m"}])
    assert preview.startswith("This would ban the 3 member(s) who joined since")
    assert preview.endswith("/mod raid action:ban-joined since:10m confirm:True")
    assert fake.calls_to("PUT", f"/guilds/{GUILD}/bans/") == []
    await command([{"name": "action", "type": 3, "value": "ban-joined"},
                   {"name": "since", "type": 3, "value": "10m"},
                   {"name": "confirm", "type": 5, "value": True}])
    bans = await fake.wait_for("PUT", f"/guilds/{GUILD}/bans/", 3)
    assert sorted(c.path.rsplit("/", 1)[1] for c in bans) == RAIDERS[:3]
    assert await command([{"name": "action", "type": 3, "value": "start"}]) == "Raid mode is on."
    await fake.wait_for("PUT", INCIDENTS)
    assert (await command([])).startswith("Raid mode is ON since")
    assert await command([{"name": "action", "type": 3, "value": "start"}]) == (
        "Raid mode is already on (raid status says since when).")
