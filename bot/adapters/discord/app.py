"""The discord.py bot around the moderation service: events in, actions out.

Constructor injection (the service and engine are handed in) and ``setup_hook`` for the commands,
the persistent buttons and the scheduler, as discord.py recommends.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

import aiohttp
import discord
import yarl
from discord.ext import commands

from bot.adapters.discord.commands import mod, on_command_error, rules_cmd
from bot.adapters.discord.perform import Performer
from bot.adapters.discord.views import CaseButton
from bot.core import Engine
from bot.service import Incoming, ModerationService, ProcessConfig, Scheduler, until_up

log = logging.getLogger(__name__)

# AutoMod action types (Discord API): 1 block message, 2 alert, 3 timeout
AUTOMOD_ACTIONS = {1: "delete_warn", 2: "none", 3: "mute"}


@dataclass(frozen=True)
class DiscordConfig:
    token: str
    shard_count: int | None = None
    shard_ids: tuple[int, ...] | None = None
    api_base_url: str = ""  # a REST proxy, e.g. http://127.0.0.1:8080/api/v10
    gateway_url: str = ""  # a gateway proxy, e.g. ws://127.0.0.1:7878/

    @classmethod
    def from_config(cls, config: ProcessConfig) -> DiscordConfig:
        return cls(token=config.discord_bot_token, shard_count=config.discord_shard_count,
                   shard_ids=config.discord_shard_ids,
                   api_base_url=config.discord_api_base_url,
                   gateway_url=config.discord_gateway_url)

    def __repr__(self) -> str:
        return f"DiscordConfig(token=<hidden>, shard_count={self.shard_count}, shard_ids={self.shard_ids})"


# A moderation bot never joins a voice channel: discord.py's warnings that voice libraries are
# missing would open every start-up log with two lines of noise
discord.VoiceClient.warn_nacl = False
if hasattr(discord.VoiceClient, "warn_dave"):
    discord.VoiceClient.warn_dave = False


def intents() -> discord.Intents:
    wanted = discord.Intents.none()
    wanted.guilds = True
    wanted.guild_messages = True
    wanted.dm_messages = True
    wanted.message_content = True  # privileged: enable it in the developer portal
    wanted.members = True  # privileged: joins and nickname changes
    wanted.auto_moderation_execution = True
    return wanted


class QuytacBot(commands.Bot):
    """One process, one connection; ``ShardedQuytacBot`` when shards are configured."""

    def __init__(self, service: ModerationService, engine: Engine, config: DiscordConfig) -> None:
        shards = {}
        if isinstance(self, commands.AutoShardedBot):
            shards = {"shard_count": config.shard_count,
                      "shard_ids": list(config.shard_ids) if config.shard_ids else None}
        super().__init__(command_prefix=commands.when_mentioned, intents=intents(),
                         chunk_guilds_at_startup=False,  # large servers: members come as needed
                         allowed_mentions=discord.AllowedMentions.none(), help_command=None,
                         **shards)
        self.service = service
        self.engine = engine
        self.performer = Performer(self, service)
        self.scheduler = Scheduler(service, self.performer.perform)
        self._stop = asyncio.Event()
        self._scheduler_task: asyncio.Task | None = None

    async def setup_hook(self) -> None:
        self.tree.add_command(mod)
        self.tree.add_command(rules_cmd)
        self.tree.error(on_command_error)
        self.add_dynamic_items(CaseButton)
        await self.tree.sync()
        self._scheduler_task = asyncio.create_task(self._run_scheduler())

    async def _run_scheduler(self) -> None:
        await self.wait_until_ready()  # timed actions need the guild cache
        await self.performer.perform(await self.service.unfinished_actions())
        await self.scheduler.run(self._stop)

    async def close(self) -> None:
        self._stop.set()
        if self._scheduler_task is not None:
            self._scheduler_task.cancel()
        self.performer.close()
        await super().close()

    # -- events ----------------------------------------------------------------------------

    async def on_message(self, message: discord.Message) -> None:
        await self._moderate(message)

    async def on_message_edit(self, before: discord.Message, after: discord.Message) -> None:
        if before.content != after.content:
            await self._moderate(after)

    async def _moderate(self, message: discord.Message) -> None:
        if message.guild is None or message.author.bot or message.webhook_id is not None:
            return
        author = message.author
        incoming = Incoming(
            platform="discord", community_id=str(message.guild.id),
            channel_id=str(message.channel.id), message_id=str(message.id),
            author_id=str(author.id), text=message.content, timestamp=message.created_at.timestamp(),
            mention_count=len(message.raw_mentions) + len(message.raw_role_mentions)
            + (50 if message.mention_everyone else 0),
            author_name=author.display_name, author_username=author.name,
            link=message.jump_url,
            # (discord.py 2.5 and later read forwarded messages; 2.4 sees none)
            forwarded=bool(getattr(message, "message_snapshots", None)))

        async def is_moderator() -> bool:
            perms = getattr(author, "guild_permissions", None)
            return bool(perms and (perms.moderate_members or perms.administrator))

        actions = await self.service.on_message(incoming, is_moderator=is_moderator)
        await self.performer.perform(actions)
        if any(a.kind == "mute" for a in actions):
            self.scheduler.wake()

    async def on_automod_action(self, execution: discord.AutoModAction) -> None:
        action = AUTOMOD_ACTIONS.get(int(execution.action.type.value), "none")
        until = None
        if action == "mute" and execution.action.duration:
            until = discord.utils.utcnow().timestamp() + execution.action.duration.total_seconds()
        actions = await self.service.record_external(
            "discord", str(execution.guild_id), str(execution.user_id),
            f"discord.automod.{execution.rule_id}", action,
            execution.matched_content or execution.content or "",
            channel=str(execution.channel_id or ""), message_id=str(execution.message_id or ""),
            until=until)
        await self.performer.perform(actions)

    async def on_member_join(self, member: discord.Member) -> None:
        actions = await self.service.on_member_joined(
            "discord", str(member.guild.id), str(member.id), member.display_name,
            account_created=member.created_at.timestamp())
        await self.performer.perform(actions)

    async def on_member_update(self, before: discord.Member, after: discord.Member) -> None:
        if before.display_name != after.display_name:
            await self.performer.perform(await self.service.check_name(
                "discord", str(after.guild.id), str(after.id), after.display_name))


class ShardedQuytacBot(QuytacBot, commands.AutoShardedBot):
    """The same bot over a range of shards (``DISCORD_SHARD_COUNT`` / ``DISCORD_SHARD_IDS``)."""


def point_at(config: DiscordConfig) -> None:
    """discord.py's REST and gateway addresses: a proxy's (or a fake's) when configured."""
    if config.api_base_url:
        discord.http.Route.BASE = config.api_base_url.rstrip("/")
    if config.gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(config.gateway_url)


def make_bot(service: ModerationService, engine: Engine, config: DiscordConfig) -> QuytacBot:
    sharded = config.shard_count is not None or config.shard_ids is not None
    return (ShardedQuytacBot if sharded else QuytacBot)(service, engine, config)


async def run_discord(config: DiscordConfig, service: ModerationService, engine: Engine,
                      stop: asyncio.Event | None = None) -> None:
    """Run until ``stop`` is set (or the connection ends for good)."""
    point_at(config)
    bot = make_bot(service, engine, config)
    stop = stop or asyncio.Event()

    async def closer() -> None:
        await stop.wait()
        await bot.close()

    watcher = asyncio.create_task(closer())
    try:
        async with bot:
            # at boot the network may come after the bot: Discord not reachable yet is tried
            # again; a rejected token (LoginFailure) is not, it is one clear line
            await until_up("Discord API", lambda: bot.login(config.token),
                           lambda exc: isinstance(exc, (aiohttp.ClientConnectionError,
                                                        OSError)), stop)
            if not stop.is_set():
                await bot.connect()
    finally:
        watcher.cancel()
