"""Raid mode on Discord, through discord.py against the fake gateway and REST API: a join flood
pauses invites and DMs (incident actions) and times out every member of the window, a raider's
message slows their channel, and the end (a moderator's button or command) undoes each change."""

from __future__ import annotations

import datetime as dt

from bot.fakes import discord as fk
from bot.fakes.discord import GENERAL, GUILD, LOG
from tests.test_discord import MEMBER as MEMBER_ID, MOD, TIMEOUT_PATH, _slash, bot, fake, storage  # noqa: F401,E501

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
    # the incident actions alone: no edit of the guild itself beside them
    assert [c for c in fake.calls if c.method == "PATCH" and c.path == f"/guilds/{GUILD}"] == []
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


async def test_a_new_members_link_is_removed_to_review_an_old_members_is_left(fake, bot):
    from tests.test_discord import MEMBER
    await fake.message(MEMBER, "tài liệu ở https://example.com/docs")
    await fake.idle(0.2)
    assert fake.calls == []
    await fake.join(RAIDERS[0], "newbie")
    await fake.idle(0.2)
    sent = await fake.message(RAIDERS[0], "kiếm tiền online https://example.com/dang-ky")
    (deleted,) = await fake.wait_for("DELETE", f"/channels/{GENERAL}/messages/")
    assert deleted.path.endswith(sent["id"])
    dm = (await fake.wait_for("POST", "/channels/5"))[0]  # the member's DM channel
    assert dm.body["content"].startswith("⏳ Tin nhắn của bạn đã được tạm ẩn")
    (review,) = await fake.wait_for("POST", f"/channels/{LOG}/messages")
    assert "thành viên mới, tin nhắn đã tạm xoá" in review.body["embeds"][0]["title"]


async def test_a_member_on_the_communitys_block_list_is_banned_on_joining(fake, bot):
    await bot.service.import_blocklist(GUILD, [f"{RAIDERS[2]},spam ring"], "mod")
    await fake.join(RAIDERS[2])
    (ban,) = await fake.wait_for("PUT", f"/guilds/{GUILD}/bans/{RAIDERS[2]}")
    (log,) = await fake.wait_for("POST", f"/channels/{LOG}/messages")
    assert "blocklist.community" in log.body["embeds"][0]["description"]
    await fake.join(RAIDERS[3])
    await fake.idle(0.2)
    assert len(fake.calls_to("PUT", f"/guilds/{GUILD}/bans/")) == 1


def _snowflake_at(ts: float) -> str:
    """A Discord id made at ``ts`` (ids carry their creation time)."""
    return str((int(ts * 1000) - 1420070400000) << 22)


async def test_a_young_account_is_challenged_and_passing_grants_the_role(fake, bot, storage,
                                                                         clock):
    from tests.test_raids import right_letter

    verify_channel, role = "200000000000000077", "300000000000000077"
    await bot.service.update_settings(GUILD, "setup", {
        "min_account_age_days": 7, "verify_role": role, "verify_channel": verify_channel})
    old = _snowflake_at(clock() - 90 * 86400)
    await fake.join(old, "old")
    await fake.idle(0.2)
    assert fake.calls == []  # an older account, verification off: nothing asked
    young = _snowflake_at(clock() - 86400)
    await fake.join(young, "young")
    (challenge,) = await fake.wait_for("POST", f"/channels/{verify_channel}/messages")
    assert challenge.body["content"].startswith(f"<@{young}> 👋 Chào young!")
    ids = [b["custom_id"] for b in challenge.body["components"][0]["components"]]
    right = await right_letter(storage, young)
    press = {"custom_id": f"quytac:verify-{right}:{GUILD}:{young}", "component_type": 2}
    assert press["custom_id"] in ids
    message = fake.bot_message(verify_channel, challenge.body)
    iid = await fake.interaction(MEMBER_ID, press, itype=3, channel=verify_channel,
                                 message=message)
    (refused,) = await fake.wait_for("POST", f"/interactions/{iid}/")
    assert refused.body["data"]["content"].endswith("This button is for someone else.")
    iid = await fake.interaction(young, press, itype=3, channel=verify_channel, message=message)
    (reply,) = await fake.wait_for("POST", f"/interactions/{iid}/")
    assert reply.body["data"]["content"] == "✓"
    (granted,) = await fake.wait_for("PUT", f"/guilds/{GUILD}/members/{young}/roles/{role}")
    await fake.wait_for("DELETE", f"/channels/{verify_channel}/messages/")
    assert _timeouts(fake, young) == []  # the role gates them: never timed out


async def test_a_wrong_press_kicks_and_without_a_role_the_member_is_timed_out_meanwhile(
        fake, bot, storage, clock):
    from tests.test_raids import right_letter

    await bot.service.update_settings(GUILD, "setup", {"verify": "on"})
    newbie = _snowflake_at(clock() - 400 * 86400)
    await fake.join(newbie, "newbie")
    # no verify role: held (timed out) until they pass, and challenged by DM (no verify channel)
    await fake.wait_for("PATCH", TIMEOUT_PATH + newbie)
    assert _timeouts(fake, newbie) != [None]
    (challenge,) = await fake.wait_for("POST", "/channels/5")
    right = await right_letter(storage, newbie)
    wrong = next(x for x in "abcd" if x != right)
    press = {"custom_id": f"quytac:verify-{wrong}:{GUILD}:{newbie}", "component_type": 2}
    message = fake.bot_message("5", challenge.body)
    iid = await fake.interaction(newbie, press, itype=3, channel="5", message=message,
                                 in_guild=False)
    (reply,) = await fake.wait_for("POST", f"/interactions/{iid}/")
    assert reply.body["data"]["content"] == "✗"
    await fake.wait_for("DELETE", f"/guilds/{GUILD}/members/{newbie}")
    assert await storage.list_cases(GUILD) == []
