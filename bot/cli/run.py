"""``quytac run``: start the bot on the platforms whose tokens are configured."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys

from bot.cli.common import engine_with_model, load_engine
from bot.core.model import default_model
from bot.cli.logs import setup_logging


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="run the bot (needs TELEGRAM_BOT_TOKEN or DISCORD_BOT_TOKEN)")
    p.add_argument("--rules", metavar="PATH", help="ruleset directory (default: shipped rulesets)")
    p.add_argument("--database", help="database (default: DATABASE_URL)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # a broken ruleset or model fails here, not on the first message
    model = os.environ.get("QUYTAC_MODEL", "default")
    engine = engine_with_model(args.rules, model) if model != "default" or default_model() \
        else load_engine(args.rules)
    if engine is None:
        return 2
    telegram = os.environ.get("TELEGRAM_BOT_TOKEN", "")
    discord = os.environ.get("DISCORD_BOT_TOKEN", "")
    if not telegram and not discord:
        print("no platform configured: set TELEGRAM_BOT_TOKEN or DISCORD_BOT_TOKEN "
              "(see .env.example). Try the engine offline with: quytac check \"text\"",
              file=sys.stderr)
        return 2
    setup_logging()
    return asyncio.run(_serve(args, engine))


async def _serve(args: argparse.Namespace, engine) -> int:
    from bot.service import ModerationService, open_storage

    from bot.service import describe

    storage = await open_storage(args.database)
    log = logging.getLogger("quytac")
    log.info("database %s, %d rules loaded, learned stage: %s", describe(storage),
             len(engine.rules), engine.model.path if engine.model else "off")
    retention = float(os.environ.get("EXCERPT_RETENTION_DAYS", "90"))
    windows = None
    if os.environ.get("REDIS_URL"):
        from bot.service.windows import RedisWindows

        windows = RedisWindows(os.environ["REDIS_URL"])  # floods counted across processes
    # one service: both platforms share one history
    from bot.service import PostgresStorage

    # on PostgreSQL other processes may be mid-action: leave their fresh actions to them
    grace = 30.0 if isinstance(storage, PostgresStorage) else 0.0
    service = ModerationService(storage, engine, retention_days=retention, windows=windows,
                                action_grace=grace)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    platforms = []
    if os.environ.get("TELEGRAM_BOT_TOKEN"):
        from bot.adapters.telegram import TelegramConfig, run_telegram

        platforms.append(run_telegram(TelegramConfig.from_env(), service, engine, stop))
    if os.environ.get("DISCORD_BOT_TOKEN"):
        from bot.adapters.discord import DiscordConfig, run_discord

        platforms.append(run_discord(DiscordConfig.from_env(), service, engine, stop))
    try:
        await asyncio.gather(*platforms)
    finally:
        await service.windows.close()
        await storage.close()
    log.info("stopped")
    return 0
