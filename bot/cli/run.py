"""``quytac run``: start the bot on the platforms whose tokens are configured."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys

from bot.cli.common import engine_with_model, load_engine
from bot.core.model import default_model
from bot.cli.logs import setup_logging
from bot.service.config import ProcessConfig, load_config


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="run the bot (needs TELEGRAM_BOT_TOKEN or DISCORD_BOT_TOKEN)")
    p.add_argument("--rules", metavar="PATH", help="ruleset directory (default: shipped rulesets)")
    p.add_argument("--database", help="database (default: DATABASE_URL)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    config = load_config()  # a bad value is one line per variable (bot.cli.main prints them)
    # a broken ruleset or model fails here, not on the first message
    model = config.quytac_model
    engine = engine_with_model(args.rules, model) if model != "default" or default_model() \
        else load_engine(args.rules)
    if engine is None:
        return 2
    if not config.telegram_bot_token and not config.discord_bot_token:
        print("no platform configured: set TELEGRAM_BOT_TOKEN or DISCORD_BOT_TOKEN "
              "(see .env.example). Try the engine offline with: quytac check \"text\"",
              file=sys.stderr)
        return 2
    setup_logging(config)
    return asyncio.run(_serve(args, engine, config))


async def _serve(args: argparse.Namespace, engine, config: ProcessConfig) -> int:
    from bot.service import ModerationService, PostgresStorage, describe, open_storage, until_up

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    # at boot the database server may come after the bot: not answering yet is tried again
    storage = await until_up("database", lambda: open_storage(args.database
                                                             or config.database_url or None),
                             _not_up_yet, stop)
    if storage is None:
        return 0
    log = logging.getLogger("quytac")
    log.info("database %s, %d rules loaded, learned stage: %s", describe(storage),
             len(engine.rules), engine.model.path if engine.model else "off")
    windows = recent = None
    if config.redis_url:
        from bot.service.recent import RedisRecent
        from bot.service.windows import FallbackWindows, RedisWindows

        # floods counted across processes, and in this one while Redis does not answer
        windows = FallbackWindows(RedisWindows(config.redis_url))
        recent = RedisRecent(config.redis_url)  # what purge deletes, whichever process saw it
    # on PostgreSQL other processes may be mid-action: leave their fresh actions to them
    grace = 30.0 if isinstance(storage, PostgresStorage) else 0.0
    # one service: both platforms share one history
    blocklist = None
    if config.blocklist_url:
        from bot.service.blocklist import SharedBlockList

        blocklist = SharedBlockList(config.blocklist_url)
    service = ModerationService(storage, engine, retention_days=config.excerpt_retention_days,
                                windows=windows, action_grace=grace, recent=recent,
                                blocklist=blocklist)
    platforms = []
    if config.telegram_bot_token:
        from bot.adapters.telegram import TelegramConfig, run_telegram

        platforms.append(run_telegram(TelegramConfig.from_config(config), service, engine, stop))
    if config.discord_bot_token:
        from bot.adapters.discord import DiscordConfig, run_discord

        platforms.append(run_discord(DiscordConfig.from_config(config), service, engine, stop))
    if config.quytac_web_port:
        platforms.append(_dashboard(config, service, stop))
    try:
        await asyncio.gather(*platforms)
    finally:
        await service.windows.close()
        await service.recent.close()
        if blocklist is not None:
            await blocklist.close()
        await storage.close()
    log.info("stopped")
    return 0


async def _dashboard(config: ProcessConfig, service, stop: asyncio.Event) -> None:
    """The dashboard beside the bots (``QUYTAC_WEB_PORT``), until the bots stop."""
    from bot.cli.web import dashboard_running

    async with dashboard_running(config, service, config.quytac_web_port or 0):
        await stop.wait()


def _not_up_yet(exc: BaseException) -> bool:
    """A database server that cannot be reached yet (refused, no route, no name yet, starting
    up), as against one that refuses the bot (a wrong password, no such database)."""
    import socket

    if isinstance(exc, (ConnectionError, TimeoutError, socket.gaierror)):
        return True
    return type(exc).__name__ in ("CannotConnectNowError", "ConnectionDoesNotExistError")
