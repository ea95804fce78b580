"""Slash commands: the ``/mod`` group for moderators and ``/rules`` for everyone.

``default_permissions`` only hides the commands; server admins can change who sees them, so every
command checks ``moderate_members`` again when it runs.
"""

from __future__ import annotations

import functools
import io
import json
import logging
from typing import TYPE_CHECKING, Literal

import discord
from discord import app_commands

from bot.service import ServiceError, parse_duration, purge_amount, when

if TYPE_CHECKING:
    from bot.adapters.discord.app import QuytacBot

log = logging.getLogger(__name__)

REFUSAL = "Chỉ người điều hành mới dùng được lệnh này. / Only moderators can use this command."


def _bot(interaction: discord.Interaction) -> QuytacBot:
    return interaction.client  # type: ignore[return-value]


async def _guard(interaction: discord.Interaction) -> bool:
    if interaction.guild_id is None or not interaction.permissions.moderate_members:
        await interaction.response.send_message(REFUSAL, ephemeral=True)
        return False
    return True


async def _reply(interaction: discord.Interaction, text: str) -> None:
    await interaction.response.send_message(text[:2000], ephemeral=True,
                                            allowed_mentions=discord.AllowedMentions.none())


def moderated(func):
    """Run a /mod command only for moderators; a refused operation becomes an ephemeral reply."""
    @functools.wraps(func)  # discord.py reads the parameters through __wrapped__
    async def wrapper(interaction: discord.Interaction, *args, **kwargs) -> None:
        if not await _guard(interaction):
            return
        try:
            await func(interaction, *args, **kwargs)
        except ServiceError as exc:
            await _reply(interaction, str(exc))
    return wrapper


async def on_command_error(interaction: discord.Interaction,
                           error: app_commands.AppCommandError) -> None:
    """A command that could not run still answers: the moderator learns why, nothing hangs."""
    if isinstance(error, app_commands.TransformerError):
        # a user option naming someone who is not (or no longer) in the server
        log.info("/%s: option value %r refused: %s", interaction.command and
                 interaction.command.qualified_name, error.value, error)
        text = ("Người này không (còn) ở trong máy chủ. / That user is not in this server."
                if error.type == discord.AppCommandOptionType.user
                else "Giá trị không hợp lệ. / That value is not valid.")
    else:
        log.error("command failed", exc_info=error)
        text = "Lỗi khi chạy lệnh. / The command failed; the error was logged."
    if interaction.response.is_done():
        await interaction.followup.send(text, ephemeral=True)
    else:
        await _reply(interaction, text)


mod = app_commands.Group(name="mod", description="Moderation", guild_only=True,
                         default_permissions=discord.Permissions(moderate_members=True))
appeal = app_commands.Group(name="appeal", description="Decide appeals", parent=mod)
member_group = app_commands.Group(name="member", description="A member's stored data (Decree 13/2023)",
                                  parent=mod)


async def case_numbers(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[int]]:
    cases = await _bot(interaction).service.list_cases(str(interaction.guild_id), limit=25)
    return [app_commands.Choice(name=f"#{c.number} {c.action} {c.member_id} {','.join(c.rule_ids)}"[:100],
                                value=c.number)
            for c in cases if str(c.number).startswith(current.strip("#"))]


@mod.command(name="cases", description="Cases of the server, or of one member")
@moderated
async def cases_cmd(interaction: discord.Interaction, member: discord.Member | None = None) -> None:
    service = _bot(interaction).service
    found = await service.list_cases(
        str(interaction.guild_id), member=str(member.id) if member else None, limit=20)
    zone = (await service.settings(str(interaction.guild_id))).zone
    await _reply(interaction, "\n".join(
        f"#{c.number} {when(c.created_at, zone)} <@{c.member_id}> {c.action} ({c.status}) "
        f"{', '.join(c.rule_ids)}" for c in found) or "No cases.")


@mod.command(name="case", description="One case with its history")
@app_commands.autocomplete(number=case_numbers)
@moderated
async def case_cmd(interaction: discord.Interaction, number: int) -> None:
    case, history, appeals = await _bot(interaction).service.show_case(str(interaction.guild_id), number)
    lines = [f"Case #{case.number} · <@{case.member_id}> · {case.action} · {case.status}",
             f"Rules: {', '.join(case.rule_ids) or '-'}", f"Excerpt: {case.excerpt or '-'}"]
    lines += [f"Outcome: {k} {s}{': ' + r if r else ''}" for k, s, r in case.outcomes]
    lines += [f"Appeal: {a.status} — {a.text}" for a in appeals]
    zone = (await _bot(interaction).service.settings(str(interaction.guild_id))).zone
    lines += [f"{when(h.at, zone)} {h.actor}: {h.action}" for h in history]
    await _reply(interaction, "\n".join(lines))


async def _manual(interaction: discord.Interaction, member: discord.Member, action: str,
                  reason: str, minutes: float | None = None) -> None:
    bot = _bot(interaction)
    case, actions = await bot.service.manual(
        str(interaction.guild_id), "discord", str(member.id), str(interaction.user.id), action,
        reason or f"{action} by a moderator", minutes=minutes, channel=str(interaction.channel_id),
        member_name=member.display_name, member_username=member.name)
    await _reply(interaction, f"Case #{case.number}: {action} <@{member.id}>.")
    await bot.performer.perform(actions)
    bot.scheduler.wake()


@mod.command(name="warn", description="Warn a member")
@moderated
async def warn_cmd(interaction: discord.Interaction, member: discord.Member, reason: str = "") -> None:
    await _manual(interaction, member, "warn", reason)


@mod.command(name="timeout", description="Time a member out, e.g. 10m, 1h, 2d")
@moderated
async def timeout_cmd(interaction: discord.Interaction, member: discord.Member, duration: str,
                      reason: str = "") -> None:
    await _manual(interaction, member, "mute", reason, parse_duration(duration))


@mod.command(name="untimeout", description="Lift a member's timeout")
@moderated
async def untimeout_cmd(interaction: discord.Interaction, member: discord.Member) -> None:
    bot = _bot(interaction)
    actions = await bot.service.unmute(str(interaction.guild_id), str(member.id), str(interaction.user.id))
    await _reply(interaction, f"Timeout of <@{member.id}> lifted.")
    await bot.performer.perform(actions)


@mod.command(name="purge", description="Remove a member's recent messages: all, a number, or 10m")
@moderated
async def purge_cmd(interaction: discord.Interaction, member: discord.Member,
                    amount: str = "") -> None:
    bot = _bot(interaction)
    count, minutes = purge_amount(amount)
    removed, actions = await bot.service.purge(str(interaction.guild_id), str(member.id),
                                               str(interaction.user.id), count, minutes)
    await _reply(interaction, f"Removing {removed} recent message(s) of <@{member.id}>."
                 if removed else f"No recent message of <@{member.id}> to remove.")
    await bot.performer.perform(actions)


@mod.command(name="raid",
             description="Raid mode: status, start, end, extend, or ban who joined (preview first)")
@app_commands.describe(since="extend: for how long (30m); ban-joined: joined in the last (10m)",
                       confirm="ban-joined: do it (without: how many it would ban)")
@moderated
async def raid_cmd(interaction: discord.Interaction,
                   action: Literal["status", "start", "end", "extend", "ban-joined"] = "status",
                   since: str = "", confirm: bool = False) -> None:
    bot = _bot(interaction)
    service, community, mod = bot.service, str(interaction.guild_id), str(interaction.user.id)
    zone = (await service.settings(community)).zone
    actions: list = []
    if action == "status":
        reply = (await service.raid_status(community)).said(zone)
    elif action == "start":
        actions, reply = await service.raid_start("discord", community, mod), "Raid mode is on."
    elif action == "end":
        actions = await service.raid_end(community, mod)
        reply = "Raid mode ended; its changes are being undone."
    elif action == "extend":
        until = await service.raid_extend(community, mod,
                                          parse_duration(since or "30m") * 60)
        reply = f"Raid mode stays on until at least {when(until, zone)}."
    else:
        if not since:
            raise ServiceError("ban-joined needs since: how far back (10m, 1h)")
        start = service.clock() - parse_duration(since) * 60
        summary, actions = await service.raid_ban_joined(community, start, mod, confirm)
        reply = summary.said(zone, f"/mod raid action:ban-joined since:{since} confirm:True")
    await _reply(interaction, reply)
    await bot.performer.perform(actions)


@mod.command(name="ban", description="Ban a member")
@moderated
async def ban_cmd(interaction: discord.Interaction, member: discord.Member, reason: str = "") -> None:
    await _manual(interaction, member, "ban", reason)


@mod.command(name="pardonrule",
             description="Overturn a misfired rule's automatic cases since a time (preview first)")
@moderated
async def pardon_rule_cmd(interaction: discord.Interaction, rule: str, since: str,
                          confirm: bool = False) -> None:
    bot = _bot(interaction)
    community = str(interaction.guild_id)
    start = bot.service.clock() - parse_duration(since) * 60
    summary, actions = await bot.service.pardon_rule(community, rule, start,
                                                     str(interaction.user.id), confirm)
    zone = (await bot.service.settings(community)).zone
    await _reply(interaction, summary.said(
        zone, f"/mod pardonrule rule:{rule} since:{since} confirm:True"))
    await bot.performer.perform(actions)


@mod.command(name="pardon", description="Pardon a case")
@app_commands.autocomplete(number=case_numbers)
@moderated
async def pardon_cmd(interaction: discord.Interaction, number: int, reason: str = "") -> None:
    bot = _bot(interaction)
    actions = await bot.service.pardon(str(interaction.guild_id), number, str(interaction.user.id),
                                       reason or "pardoned by a moderator")
    await _reply(interaction, f"Case #{number} pardoned.")
    await bot.performer.perform(actions)


@mod.command(name="reason", description="Edit a case's reason")
@app_commands.autocomplete(number=case_numbers)
@moderated
async def reason_cmd(interaction: discord.Interaction, number: int, text: str) -> None:
    await _bot(interaction).service.edit_reason(str(interaction.guild_id), number,
                                                str(interaction.user.id), text)
    await _reply(interaction, f"Case #{number}: reason updated.")


@mod.command(name="review", description="Low-confidence hits waiting for review")
@moderated
async def review_cmd(interaction: discord.Interaction) -> None:
    items = await _bot(interaction).service.review_queue(str(interaction.guild_id))
    await _reply(interaction, "\n".join(
        f"Review #{i.id} · <@{i.member_id}> · {', '.join(i.rule_ids)} · {i.confidence:.2f} · {i.excerpt}"
        for i in items[:20]) or "The review queue is empty.")


@mod.command(name="appeals", description="Open appeals")
@moderated
async def appeals_cmd(interaction: discord.Interaction) -> None:
    items = await _bot(interaction).service.open_appeals(str(interaction.guild_id))
    await _reply(interaction, "\n".join(f"Case #{a.case_number} · <@{a.member_id}>: {a.text}"
                                        for a in items[:20]) or "No open appeals.")


async def _decide(interaction: discord.Interaction, number: int, reason: str, approve: bool) -> None:
    bot = _bot(interaction)
    actions = await bot.service.decide_appeal(str(interaction.guild_id), number,
                                              str(interaction.user.id), approve, reason)
    await _reply(interaction, f"Appeal of case #{number} {'approved' if approve else 'rejected'}.")
    await bot.performer.perform(actions)


@appeal.command(name="approve", description="Approve an appeal")
@app_commands.autocomplete(number=case_numbers)
@moderated
async def approve_cmd(interaction: discord.Interaction, number: int, reason: str) -> None:
    await _decide(interaction, number, reason, True)


@appeal.command(name="reject", description="Reject an appeal")
@app_commands.autocomplete(number=case_numbers)
@moderated
async def reject_cmd(interaction: discord.Interaction, number: int, reason: str) -> None:
    await _decide(interaction, number, reason, False)


@mod.command(name="config", description="Show or change a setting (value as JSON or text)")
@moderated
async def config_cmd(interaction: discord.Interaction, setting: str | None = None,
                     value: str | None = None) -> None:
    await _reply(interaction, await _bot(interaction).service.configure(
        str(interaction.guild_id), str(interaction.user.id), setting or "", value))


@mod.command(name="setlog", description="Send the mod log to this channel (or the one given)")
@moderated
async def setlog_cmd(interaction: discord.Interaction,
                     channel: discord.TextChannel | None = None) -> None:
    target = str(channel.id if channel else interaction.channel_id)
    await _bot(interaction).service.update_settings(str(interaction.guild_id),
                                                    str(interaction.user.id), {"log_channel": target})
    await _reply(interaction, f"The mod log goes to <#{target}>.")


@mod.command(name="stats", description="Moderation statistics")
@moderated
async def stats_cmd(interaction: discord.Interaction) -> None:
    stats = await _bot(interaction).service.stats(str(interaction.guild_id))
    lines = ["By action: " + ", ".join(f"{k} {v}" for k, v in stats["by_action"].items())]
    lines += [f"{r}: {row['cases']} cases, {row['overturn_rate']:.0%} overturned"
              for r, row in list(stats["by_rule"].items())[:15]]
    await _reply(interaction, "\n".join(lines))


@member_group.command(name="export", description="Everything stored about a member, as a file")
@moderated
async def member_export_cmd(interaction: discord.Interaction, member: discord.User) -> None:
    data = await _bot(interaction).service.export_member(
        str(interaction.guild_id), str(member.id), str(interaction.user.id))
    body = json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")
    # ephemeral: only the moderator who asked sees the member's data
    await interaction.response.send_message(
        f"Data of <@{member.id}>: {len(data['cases'])} cases.", ephemeral=True,
        file=discord.File(io.BytesIO(body), filename=f"member-{member.id}.json"),
        allowed_mentions=discord.AllowedMentions.none())


@member_group.command(name="forget",
                      description="Delete a member's texts and replace their id, for good")
@moderated
async def member_forget_cmd(interaction: discord.Interaction, member: discord.User,
                            confirm: bool = False) -> None:
    if not confirm:
        await _reply(interaction, f"This deletes the texts of <@{member.id}> and replaces their id "
                                  "for good. Run it again with confirm: True.")
        return
    counts = await _bot(interaction).service.forget_member(
        str(interaction.guild_id), str(member.id), str(interaction.user.id))
    await _reply(interaction, f"<@{member.id}> forgotten: "
                 + ", ".join(f"{k} {v}" for k, v in counts.items()))


@app_commands.command(name="rules", description="The server's rules")
@app_commands.guild_only()
async def rules_cmd(interaction: discord.Interaction) -> None:
    service = _bot(interaction).service
    settings = await service.settings(str(interaction.guild_id))
    lang = settings.language if settings.language != "auto" else (
        "vi" if str(interaction.locale).startswith("vi") else "en")
    await _reply(interaction, await service.rules_text(str(interaction.guild_id), lang))
