"""Carry out the service's actions with discord.py and report each outcome back to the service.

Every message the bot sends disables mentions (``AllowedMentions.none()``), except the member's own
mention on an in-channel warning, so relayed member text can never ping ``@everyone`` or a role.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import TYPE_CHECKING

import aiohttp
import discord

from bot.adapters.grouped import Grouper, fit_by_size
from bot.adapters.performer import BasePerformer, Trouble
from bot.service import Action, ModerationService

if TYPE_CHECKING:
    from discord.ext import commands

log = logging.getLogger(__name__)

MAX_TIMEOUT = dt.timedelta(days=28) - dt.timedelta(minutes=1)  # Discord's cap, with a margin
AS_BAN = "longer than Discord's 28-day timeout: banned until the mute ends (long_mute=ban)"
AS_ROLE = "longer than Discord's 28-day timeout: mute role until the mute ends (long_mute=role)"


def button_id(verb: str, guild: str, arg: int | str) -> str:
    """A persistent button's custom_id: it carries everything needed after a restart."""
    return f"quytac:{verb}:{guild}:{arg}"


# discord.py waits out 429s and retries 5xx answers itself; a connection dropped or timed out
# reaches us, and is tried again after the shared pauses (bot/adapters/performer.py) before the
# action is recorded as failed.
TRANSIENT = (aiohttp.ClientError, OSError, asyncio.TimeoutError)


# Discord's limits on one message: 10 embeds, 6,000 characters of embed text in all, and 25
# buttons (5 rows of 5). A raid's mod-log entries share messages within them.
MAX_EMBEDS = 10
MAX_EMBED_TEXT = 6000
MAX_BUTTONS = 25


def fit(entries: list[tuple[discord.Embed, list[discord.ui.Button]]]) -> int:
    """How many of the first mod-log entries one message carries."""
    count = fit_by_size([len(e) for e, _ in entries[:MAX_EMBEDS]], MAX_EMBEDS, MAX_EMBED_TEXT)
    buttons = 0
    for i, (_, row) in enumerate(entries[:count]):
        buttons += len(row)
        if buttons > MAX_BUTTONS:
            return max(1, i)
    return count


def describe(exc: discord.HTTPException) -> str:
    return f"{type(exc).__name__} ({exc.status}/{exc.code}): {exc.text}"


class Performer(BasePerformer):
    platform = "discord"

    def __init__(self, bot: commands.Bot, service: ModerationService) -> None:
        self.bot = bot
        self.service = service
        # a raid's mod-log entries share messages (Discord allows 5 a channel every 5 seconds)
        self.modlog: Grouper[tuple[discord.Embed, list[discord.ui.Button]], None] = Grouper(
            self._post_log, fit)

    def trouble(self, exc: Exception) -> Trouble | None:
        if isinstance(exc, discord.HTTPException):
            return Trouble(describe(exc))
        if isinstance(exc, TRANSIENT):
            return Trouble(f"{type(exc).__name__}: {exc}", transient=True)
        return None

    def _buttons(self, action: Action) -> list[discord.ui.Button]:
        out = []
        for label, payload in action.buttons:
            verb, _, arg = payload.partition(":")
            style = discord.ButtonStyle.danger if verb in ("appeal-reject", "review-dismiss") \
                else discord.ButtonStyle.primary
            out.append(discord.ui.Button(label=label, style=style,
                                         custom_id=button_id(verb, action.community_id, arg)))
        return out

    def _view(self, action: Action) -> discord.ui.View | None:
        return _view_of(self._buttons(action))

    async def _post_log(self, channel_id: object,
                        batch: list[tuple[discord.Embed, list[discord.ui.Button]]]) -> None:
        channel = self.bot.get_partial_messageable(int(str(channel_id)))
        await channel.send(embeds=[embed for embed, _ in batch],
                           view=_view_of([b for _, row in batch for b in row]),
                           allowed_mentions=discord.AllowedMentions.none())

    def close(self) -> None:
        self.modlog.close()

    async def _guild(self, action: Action) -> discord.Guild:
        return self.bot.get_guild(int(action.community_id)) or await self.bot.fetch_guild(
            int(action.community_id))

    async def _ban(self, action: Action) -> None:
        guild = await self._guild(action)
        await guild.ban(discord.Object(int(action.member_id)), reason=_reason(action),
                        delete_message_seconds=0)

    async def _mute_applied_as(self, action: Action) -> str:
        """How this case's mute was applied: as a ban, a role, or (``""``) a timeout."""
        if action.case_number is None:
            return ""
        case, _, _ = await self.service.show_case(action.community_id, action.case_number)
        for way in (AS_BAN, AS_ROLE):
            if ("mute", "done", way) in case.outcomes:
                return way
        return ""

    async def _member(self, action: Action) -> discord.Member:
        guild = await self._guild(action)
        member = guild.get_member(int(action.member_id))
        return member or await guild.fetch_member(int(action.member_id))

    async def _dm(self, action: Action) -> None:
        channel = await self.bot.create_dm(discord.Object(int(action.member_id)))
        await channel.send(action.text, view=self._view(action),
                           allowed_mentions=discord.AllowedMentions.none())

    async def _raid_mode(self, action: Action) -> str:
        """Raid mode's changes; what was there before, for its end to restore ("" where
        nothing needs restoring)."""
        kind = action.kind
        if kind in ("hold", "release"):  # a new member timed out until raid mode ends
            member = await self._member(action)
            until = None if kind == "release" else dt.datetime.fromtimestamp(
                action.until or 0, tz=dt.timezone.utc)
            await member.timeout(until, reason="quytac raid mode")
        elif kind in ("lockdown", "unlock"):  # invites and DMs paused (24 hours at most)
            until = None if kind == "unlock" else dt.datetime.fromtimestamp(
                action.until or 0, tz=dt.timezone.utc).isoformat()
            # (the incident actions alone: Guild.edit would also send the guild an empty edit,
            # one more call and audit-log entry in the middle of a raid)
            await self.bot.http.edit_incident_actions(
                int(action.community_id),
                payload={"invites_disabled_until": until, "dms_disabled_until": until})
            return "paused"
        elif kind == "slowmode":
            cid = int(action.channel_id)
            channel = self.bot.get_channel(cid) or await self.bot.fetch_channel(cid)
            before = getattr(channel, "slowmode_delay", 0)
            await channel.edit(slowmode_delay=action.seconds,  # type: ignore[union-attr]
                               reason="quytac raid mode")
            return str(before)
        return ""

    async def _do(self, action: Action) -> tuple[str, float | None]:
        kind = action.kind
        if kind == "delete":
            channel = self.bot.get_partial_messageable(int(action.channel_id))
            await channel.get_partial_message(int(action.message_id)).delete()
        elif kind == "warn":
            try:
                await self._dm(action)
            except discord.Forbidden:
                # DMs closed: warn in the channel instead, pinging only the member
                channel = self.bot.get_partial_messageable(int(action.channel_id))
                await channel.send(
                    f"<@{action.member_id}> {action.text}", view=self._view(action),
                    delete_after=action.delete_after or None,
                    allowed_mentions=discord.AllowedMentions(users=[discord.Object(int(action.member_id))],
                                                             everyone=False, roles=False))
                return "DMs closed: warned in the channel", None
        elif kind in ("dm", "welcome"):
            await self._dm(action)
        elif kind == "mute":
            until = dt.datetime.fromtimestamp(action.until or 0, tz=dt.timezone.utc)
            now = dt.datetime.fromtimestamp(self.service.clock(), tz=dt.timezone.utc)
            cap = now + MAX_TIMEOUT
            settings = await self.service.settings(action.community_id)
            if until > cap and settings.long_mute == "ban":
                await self._ban(action)
                return AS_BAN, None
            member = await self._member(action)
            if until > cap and settings.long_mute == "role" and settings.mute_role:
                await member.add_roles(discord.Object(int(settings.mute_role)),
                                       reason=f"quytac case #{action.case_number}")
                return AS_ROLE, None
            applied = min(until, cap)
            await member.timeout(applied, reason=f"quytac case #{action.case_number}")
            if applied < until:
                return "timeout capped at 28 days; renewed then", applied.timestamp()
        elif kind == "unmute":
            applied = await self._mute_applied_as(action)
            if applied == AS_BAN:
                guild = await self._guild(action)
                await guild.unban(discord.Object(int(action.member_id)),
                                  reason=f"quytac case #{action.case_number}: mute over")
                return "ban lifted: the mute is over", None
            member = await self._member(action)
            if applied == AS_ROLE:
                role = (await self.service.settings(action.community_id)).mute_role
                await member.remove_roles(discord.Object(int(role)),
                                          reason=f"quytac case #{action.case_number}: mute over")
                return "mute role removed: the mute is over", None
            await member.timeout(None, reason=f"quytac case #{action.case_number}")
        elif kind == "ban":
            await self._ban(action)
        elif kind == "purge":
            cid = int(action.channel_id)
            channel = self.bot.get_channel(cid) or await self.bot.fetch_channel(cid)
            ids = [discord.Object(int(m)) for m in action.message_ids]
            for start in range(0, len(ids), 100):  # a bulk delete takes 100 at most
                await channel.delete_messages(ids[start:start + 100])  # type: ignore[union-attr]
        elif kind == "unban":
            guild = await self._guild(action)
            try:
                await guild.unban(discord.Object(int(action.member_id)),
                                  reason=f"quytac case #{action.case_number}: overturned")
            except discord.NotFound:
                return "not banned", None  # the goal is met: they may come back
        elif kind in ("hold", "release", "lockdown", "unlock", "slowmode"):
            return await self._raid_mode(action), None
        elif kind == "challenge":  # in the community's verify channel, else by DM
            if action.channel_id:
                channel = self.bot.get_partial_messageable(int(action.channel_id))
            else:
                channel = await self.bot.create_dm(discord.Object(int(action.member_id)))
            sent = await channel.send(
                f"<@{action.member_id}> {action.text}", view=self._view(action),
                allowed_mentions=discord.AllowedMentions(
                    users=[discord.Object(int(action.member_id))], everyone=False, roles=False))
            return f"{sent.channel.id}:{sent.id}", None  # to remove it once answered
        elif kind == "kick":
            guild = await self._guild(action)
            await guild.kick(discord.Object(int(action.member_id)),
                             reason="quytac: the join challenge was not passed")
        elif kind == "grant":
            member = await self._member(action)
            await member.add_roles(discord.Object(int(action.text)),
                                   reason="quytac: the join challenge was passed")
        elif kind == "modlog":
            text = action.text
            if action.with_outcomes and action.case_number is not None:
                line = await self.service.outcome_line(action.community_id, action.case_number)
                text = f"{text}\n{line}" if line else text
            title, _, body = text.partition("\n")
            embed = discord.Embed(title=title[:256], description=body[:4000],
                                  colour=discord.Colour.orange())
            await self.modlog.post(action.channel_id, (embed, self._buttons(action)))
        else:
            raise ValueError(f"unknown action kind {kind!r}")
        return "", None


def _reason(action: Action) -> str:
    """The audit-log reason Discord keeps with an action."""
    return (f"quytac case #{action.case_number}" if action.case_number is not None
            else "quytac raid mode")


def _view_of(buttons: list[discord.ui.Button]) -> discord.ui.View | None:
    """Persistent buttons (see ``views.py``); the view lays them out, five to a row."""
    if not buttons:
        return None
    view = discord.ui.View(timeout=None)
    for button in buttons:
        view.add_item(button)
    return view
