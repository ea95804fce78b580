"""Persistent buttons (mod log and appeal DMs) and the appeal form.

A button's ``custom_id`` carries its verb, the guild and the case or review item, so the buttons of
messages posted before a restart keep working: discord.py routes them through ``CaseButton``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import discord

from bot.service import ServiceError

if TYPE_CHECKING:
    from bot.adapters.discord.app import QuytacBot

MOD_VERBS = ("pardon", "appeal-approve", "appeal-reject", "review-confirm", "review-dismiss",
             "raid-end", "raid-extend", "raid-ban")


class AppealModal(discord.ui.Modal):
    def __init__(self, bot: QuytacBot, guild: str, number: int, language: str) -> None:
        vi = language == "vi"
        super().__init__(title=f"Kháng nghị vụ #{number}" if vi else f"Appeal case #{number}",
                         custom_id=f"quytac:appeal-form:{guild}:{number}", timeout=None)
        self.bot, self.guild, self.number = bot, guild, number
        self.reason: discord.ui.TextInput = discord.ui.TextInput(
            label="Lý do" if vi else "Why was the decision wrong?",
            style=discord.TextStyle.paragraph, max_length=1000, custom_id="text")
        self.add_item(self.reason)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        try:
            user = interaction.user
            _, actions = await self.bot.service.appeal(self.guild, self.number, str(user.id),
                                                       self.reason.value, user.display_name,
                                                       user.name)
        except ServiceError as exc:
            await interaction.response.send_message(str(exc), ephemeral=True)
            return
        await interaction.response.send_message(
            f"Đã gửi kháng nghị vụ #{self.number}. / Your appeal of case #{self.number} was sent.",
            ephemeral=True)
        await self.bot.performer.perform(actions)


class CaseButton(discord.ui.DynamicItem[discord.ui.Button],
                 template=r"quytac:(?P<verb>[a-z-]+):(?P<guild>\d+):(?P<arg>\d+)"):
    def __init__(self, verb: str, guild: str, arg: int) -> None:
        super().__init__(discord.ui.Button(label=verb, custom_id=f"quytac:{verb}:{guild}:{arg}"))
        self.verb, self.guild, self.arg = verb, guild, arg

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button,
                             match: re.Match[str]) -> CaseButton:
        return cls(match["verb"], match["guild"], int(match["arg"]))

    async def callback(self, interaction: discord.Interaction) -> None:  # type: ignore[override]
        bot: QuytacBot = interaction.client  # type: ignore[assignment]
        if self.verb == "appeal":
            await self._open_appeal(bot, interaction)
            return
        if self.verb.startswith("verify-"):  # a new member's challenge: theirs, not a mod's
            try:
                said, actions = await bot.service.verify_answer(
                    self.guild, str(self.arg), str(interaction.user.id),
                    self.verb.removeprefix("verify-"))
            except ServiceError as exc:
                await interaction.response.send_message(str(exc), ephemeral=True)
                return
            await interaction.response.send_message(said, ephemeral=True)
            await bot.performer.perform(actions)
            return
        if self.verb not in MOD_VERBS:
            await interaction.response.send_message("Unknown button.", ephemeral=True)
            return
        # Re-check on every press: the button may be in a channel whose access changed since.
        if (interaction.guild_id is None or str(interaction.guild_id) != self.guild
                or not interaction.permissions.moderate_members):
            await interaction.response.send_message(
                "Only moderators of this server can do this.", ephemeral=True)
            return
        mod = str(interaction.user.id)
        service = bot.service
        try:
            if self.verb.startswith("raid-"):
                # (the first press of "ban" says how many it would ban; a second one bans)
                text, actions = await service.raid_button(self.guild, self.verb, self.arg, mod)
                await interaction.response.send_message(text, ephemeral=True)
                await bot.performer.perform(actions)
                return
            if self.verb == "pardon":
                actions = await service.pardon(self.guild, self.arg, mod, None)
            elif self.verb in ("appeal-approve", "appeal-reject"):
                approve = self.verb == "appeal-approve"
                actions = await service.decide_appeal(
                    self.guild, self.arg, mod, approve, None)
            elif self.verb == "review-confirm":
                actions = await service.confirm_review(self.guild, self.arg, mod)
            else:
                await service.dismiss_review(self.guild, self.arg, mod)
                actions = []
        except ServiceError as exc:
            await interaction.response.send_message(str(exc), ephemeral=True)
            return
        await interaction.response.send_message(f"Done: {self.verb} #{self.arg}.", ephemeral=True)
        await bot.performer.perform(actions)

    async def _open_appeal(self, bot: QuytacBot, interaction: discord.Interaction) -> None:
        try:
            case = await bot.service.member_case(self.guild, self.arg, str(interaction.user.id))
        except ServiceError as exc:
            await interaction.response.send_message(str(exc), ephemeral=True)
            return
        await interaction.response.send_modal(AppealModal(bot, self.guild, case.number,
                                                          case.language))
