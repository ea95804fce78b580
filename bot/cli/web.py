"""``quytac web``: the moderators' dashboard alone; and the dashboard beside the bots in
``quytac run`` when ``QUYTAC_WEB_PORT`` is set. Here its parts meet: the service, and from
each configured platform who moderates what and a way to carry out actions."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from contextlib import AsyncExitStack, asynccontextmanager
from typing import AsyncIterator

from bot.cli.common import load_engine
from bot.cli.logs import setup_logging
from bot.service import ModerationService, ProcessConfig, load_config

DEFAULT_PORT = 8080


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("web", help="serve the moderators' dashboard (QUYTAC_WEB_PORT, default "
                                   f"{DEFAULT_PORT}; logins need TELEGRAM_BOT_TOKEN)")
    p.add_argument("--database", help="database (default: DATABASE_URL)")
    p.add_argument("--port", type=int, help="port (default: QUYTAC_WEB_PORT or 8080)")
    p.set_defaults(func=run_web)


def run_web(args: argparse.Namespace) -> int:
    config = load_config()
    engine = load_engine(None)
    if engine is None:
        return 2
    if not config.telegram_bot_token and not (config.discord_bot_token
                                              and config.discord_client_id):
        print("the dashboard logs moderators in through Telegram or Discord: set "
              "TELEGRAM_BOT_TOKEN, or DISCORD_BOT_TOKEN with DISCORD_CLIENT_ID and "
              "DISCORD_CLIENT_SECRET (see .env.example)", file=sys.stderr)
        return 2
    setup_logging(config)
    port = args.port if args.port is not None else config.quytac_web_port or DEFAULT_PORT
    return asyncio.run(_serve(args, engine, config, port))


async def _serve(args: argparse.Namespace, engine, config: ProcessConfig, port: int) -> int:
    from bot.service import open_storage

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    storage = await open_storage(args.database or config.database_url or None)
    try:
        service = ModerationService(storage, engine,
                                    retention_days=config.excerpt_retention_days)
        try:
            async with dashboard_running(config, service, port):
                await stop.wait()
        except OSError as exc:  # the port is taken: one line, not a traceback
            print(exc, file=sys.stderr)
            return 2
    finally:
        await storage.close()
    return 0


@asynccontextmanager
async def dashboard_running(config: ProcessConfig, service: ModerationService,
                            port: int) -> AsyncIterator[int]:
    """The dashboard listening for the ``with`` block; yields its port."""
    from bot.web import Dashboard, WebConfig, serving

    async with AsyncExitStack() as stack:
        rights, perform, username = {}, {}, ""
        if config.telegram_bot_token:
            from bot.adapters.telegram import TelegramConfig, for_web

            telegram, performer, username = await stack.enter_async_context(
                for_web(TelegramConfig.from_config(config), service))
            rights["telegram"], perform["telegram"] = telegram, performer.perform
        oauth = None
        if config.discord_bot_token:
            from bot.adapters.discord import DiscordConfig, for_web as discord_for_web

            discord, performer = await stack.enter_async_context(
                discord_for_web(DiscordConfig.from_config(config), service))
            rights["discord"], perform["discord"] = discord, performer.perform
            oauth = _discord_oauth(config, port)
        if not config.quytac_web_secret:
            logging.getLogger("quytac").warning(
                "QUYTAC_WEB_SECRET is not set: dashboard sessions end when the process stops")
        dashboard = Dashboard(service, WebConfig.from_config(config, port, username), rights,
                              perform, discord=oauth)
        yield await stack.enter_async_context(serving(dashboard))


def _discord_oauth(config: ProcessConfig, port: int):
    """Discord login, when the application's id and secret are configured."""
    from bot.web.discord_login import DiscordOAuth

    if not (config.discord_client_id and config.discord_client_secret):
        return None
    base = config.quytac_web_url.rstrip("/") or f"http://{config.quytac_web_host}:{port}"
    api = config.discord_api_base_url.rstrip("/") or "https://discord.com/api/v10"
    return DiscordOAuth(config.discord_client_id, config.discord_client_secret,
                        f"{base}/auth/discord/callback", config.discord_oauth_url, api)
