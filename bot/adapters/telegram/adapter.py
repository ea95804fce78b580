"""Translate Telegram updates into service calls and the service's answers into Bot API calls.

Nothing here decides: moderation, permissions of members over cases, appeals and settings all live
in the service. This module wires the parts to python-telegram-bot's handlers, in the order a
reader meets them: the group's messages (``pipeline``), moderators' commands (``commands``), the
private chat and appeals (``private``), the mod log's buttons (``buttons``), over the directory of
chat administrators (``directory``), and starts and stops the performer and the scheduler.
"""

from __future__ import annotations

import asyncio
import logging

from telegram import (
    BotCommand, BotCommandScopeAllChatAdministrators, BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
)
from telegram.error import TelegramError
from telegram.ext import (
    Application, CallbackQueryHandler, ChatJoinRequestHandler, CommandHandler, ContextTypes,
    MessageHandler, filters,
)

from bot.adapters.telegram.buttons import Buttons
from bot.adapters.telegram.commands import MEMBER_COMMANDS, MOD_COMMANDS, ModeratorCommands
from bot.adapters.telegram.directory import ChatDirectory
from bot.adapters.telegram.perform import Performer
from bot.adapters.telegram.pipeline import GroupPipeline
from bot.adapters.telegram.private import PRIVATE_COMMANDS, PrivateChat
from bot.adapters.telegram.shared import Shared
from bot.core import Engine
from bot.service import ModerationService, Scheduler

log = logging.getLogger(__name__)


class TelegramAdapter:
    def __init__(self, app: Application, service: ModerationService, engine: Engine,
                 web_url: str = "") -> None:
        self.app = app
        self.service = service
        self.engine = engine
        self.performer = Performer(app.bot, service, web_url=web_url)
        self.scheduler = Scheduler(service, self.performer.perform)
        self.directory = ChatDirectory(app.bot)
        shared = Shared(app, service, self.performer, self.scheduler, self.directory)
        self.group = GroupPipeline(shared)
        self.commands = ModeratorCommands(shared)
        self.private = PrivateChat(shared)
        self.buttons = Buttons(shared)
        self._stop = asyncio.Event()
        self._scheduler_task: asyncio.Task | None = None

    def install(self) -> None:
        groups = filters.ChatType.GROUPS
        private = filters.ChatType.PRIVATE
        app = self.app
        # Group text first: almost every update is one, and python-telegram-bot tries handlers
        # in order (the filters keep commands out, so the order changes no outcome).
        content = (filters.TEXT | filters.CAPTION | filters.CONTACT) & ~filters.COMMAND
        app.add_handler(MessageHandler(
            groups & content & (filters.UpdateType.MESSAGE | filters.UpdateType.EDITED_MESSAGE),
            self.group.on_group_message))
        app.add_handler(CommandHandler("start", self.private.cmd_start, filters=private))
        app.add_handler(CommandHandler("appeal", self.private.cmd_appeal, filters=private))
        app.add_handler(CommandHandler("dashboard", self.private.cmd_dashboard, filters=private))
        app.add_handler(CommandHandler("rules", self.commands.cmd_rules))
        for name, _ in MOD_COMMANDS:
            if name != "rules":
                handler = getattr(self.commands, f"cmd_{name}")
                app.add_handler(CommandHandler(name, self.commands.guarded(handler),
                                               filters=groups))
        app.add_handler(CallbackQueryHandler(self.buttons.on_button))
        app.add_handler(MessageHandler(groups & filters.StatusUpdate.NEW_CHAT_MEMBERS,
                                       self.group.on_new_members))
        app.add_handler(ChatJoinRequestHandler(self.group.on_join_request))
        app.add_handler(MessageHandler(private & filters.TEXT & ~filters.COMMAND
                                       & filters.UpdateType.MESSAGE, self.private.on_private_text))
        app.add_error_handler(self.on_error)

    async def on_start(self, app: Application) -> None:
        """post_init: register commands, then run what fell due while the bot was down."""
        self.performer.bot_username = app.bot.username
        try:
            await app.bot.set_my_commands([BotCommand(*c) for c in MEMBER_COMMANDS],
                                          scope=BotCommandScopeAllGroupChats())
            await app.bot.set_my_commands([BotCommand(*c) for c in MOD_COMMANDS],
                                          scope=BotCommandScopeAllChatAdministrators())
            await app.bot.set_my_commands([BotCommand(*c) for c in PRIVATE_COMMANDS],
                                          scope=BotCommandScopeAllPrivateChats())
        except TelegramError as exc:
            log.warning("setMyCommands failed: %s", exc.message)
        # what a crash left undone first: actions recorded but never confirmed, then expiries
        await self.performer.perform(await self.service.unfinished_actions())
        await self.scheduler.tick()
        self._scheduler_task = asyncio.create_task(self.scheduler.run(self._stop))

    async def on_stop(self, app: Application) -> None:
        self._stop.set()
        if self._scheduler_task is not None:
            await self._scheduler_task
        await self.performer.close()

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("error handling an update", exc_info=context.error)
