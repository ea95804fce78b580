"""Build and run the python-telegram-bot Application around the moderation service."""

from __future__ import annotations

import asyncio
import logging
import secrets
import signal
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import AsyncIterator

from telegram import Update
from telegram.error import NetworkError, RetryAfter, TelegramError
from telegram.ext import Application, ApplicationBuilder

from bot.adapters.telegram.adapter import TelegramAdapter
from bot.adapters.telegram.perform import retry_seconds
from bot.adapters.telegram.pacing import Limits, Pacer
from bot.adapters.telegram.transport import AiohttpRequest
from bot.adapters.telegram.webhook import start_webhook
from bot.core import Engine
from bot.service import ModerationService, ProcessConfig, until_up

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TelegramConfig:
    token: str
    api_base_url: str = ""  # a self-hosted Bot API server, e.g. http://127.0.0.1:8081/bot
    webhook_url: str = ""
    webhook_secret: str = ""
    webhook_listen: str = "0.0.0.0"
    webhook_port: int = 8443
    request_timeout: float = 10.0  # seconds to connect, send or read one Bot API call
    # sending calls wait their turn within Telegram's limits (None: not paced, as for a
    # self-hosted Bot API server with limits of its own)
    pacing: Limits | None = Limits()
    web_url: str = ""  # the dashboard's public address: its buttons in the mod log, /dashboard

    @classmethod
    def from_config(cls, config: ProcessConfig) -> TelegramConfig:
        return cls(token=config.telegram_bot_token,
                   api_base_url=config.telegram_api_base_url,
                   webhook_url=config.telegram_webhook_url,
                   webhook_secret=config.telegram_webhook_secret,
                   webhook_listen=config.telegram_webhook_listen,
                   webhook_port=config.telegram_webhook_port,
                   request_timeout=config.telegram_request_timeout,
                   pacing=Limits() if config.telegram_pacing else None,
                   web_url=config.quytac_web_url.rstrip("/"))

    def __repr__(self) -> str:  # never show the token or the webhook secret
        return (f"TelegramConfig(token=<hidden>, api_base_url={self.api_base_url!r}, "
                f"webhook_url={self.webhook_url!r}, webhook_secret=<hidden>)")


def _transports(config: TelegramConfig) -> tuple[AiohttpRequest, AiohttpRequest]:
    """The HTTP transports: one for actions (several communities' at once), one for getUpdates."""
    t = config.request_timeout
    pacer = Pacer(config.pacing) if config.pacing else None
    return AiohttpRequest(16, t, t, t, t, pacer=pacer), AiohttpRequest(1, t, t, t, t)


def api_base(config: TelegramConfig) -> str:
    """The Bot API's base URL ending in /bot, for a self-hosted server ("" for Telegram's)."""
    if not config.api_base_url:
        return ""
    base = config.api_base_url.rstrip("/")
    return base if base.endswith("/bot") else base + "/bot"


def build_application(config: TelegramConfig, service: ModerationService, engine: Engine,
                      transports: tuple[AiohttpRequest, AiohttpRequest] | None = None
                      ) -> tuple[Application, TelegramAdapter]:
    actions, updates = transports or _transports(config)
    builder = (ApplicationBuilder().token(config.token)
               .request(actions)
               .get_updates_request(updates)
               # updates come from our own polling loop or webhook receiver (see poll)
               .updater(None))
    base = api_base(config)
    if base:
        builder = builder.base_url(base).base_file_url(base.removesuffix("/bot") + "/file/bot")
    app = builder.build()
    adapter = TelegramAdapter(app, service, engine, config.web_url)
    adapter.install()
    return app, adapter


class Polling:
    """The polling loop's state: a stop lets the update in hand finish instead of cutting it."""

    def __init__(self) -> None:
        self.busy = False  # handling updates (not waiting for Telegram)
        self.stopping = False


def lane(update: Update) -> tuple[int | None, int | None]:
    """Updates that must be handled in order share a lane: one member's in one chat."""
    chat, user = update.effective_chat, update.effective_user
    return (chat.id if chat else None, user.id if user else None)


async def handle_batch(app: Application, updates: list[Update]) -> None:
    """Handle one member's updates in order, and different members' at once.

    A raid is many accounts: while one member's violation waits for the database, the next
    member's message is judged, instead of every update waiting for the one before it.
    """
    lanes: dict[tuple[int | None, int | None], list[Update]] = {}
    for update in updates:
        lanes.setdefault(lane(update), []).append(update)

    async def run(queue: list[Update]) -> None:
        for update in queue:
            await app.process_update(update)

    if len(lanes) == 1:
        await run(updates)
    else:
        await asyncio.gather(*(run(queue) for queue in lanes.values()))


async def poll(app: Application, timeout: int = 10, state: Polling | None = None) -> None:
    """Long polling that acknowledges an update only after handling it.

    python-telegram-bot's updater confirms a batch (by asking for the next offset) while the batch
    may still wait in its queue, so a crash loses it. Here the next offset is asked for only once
    every update of the batch is handled: a crash means redelivery, and the service recognises a
    message it has already judged. A stop lets the batch in hand (at most 100 updates) finish and
    acknowledges it.
    """
    state = state or Polling()
    offset: int | None = None
    delay = 1.0
    while not state.stopping:
        try:
            updates = await app.bot.get_updates(offset=offset, timeout=timeout,
                                                allowed_updates=Update.ALL_TYPES)
            delay = 1.0
        except RetryAfter as exc:
            await asyncio.sleep(retry_seconds(exc))
            continue
        except TelegramError as exc:
            log.warning("getUpdates failed (%s); retrying in %.0fs", exc.message, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 60.0)
            continue
        if not updates:
            continue
        state.busy = True
        try:
            await handle_batch(app, updates)
            offset = updates[-1].update_id + 1
        finally:
            state.busy = False
    if offset is not None:  # acknowledge what was handled, so a restart does not redo it
        try:
            await app.bot.get_updates(offset=offset, timeout=0, limit=1)
        except TelegramError as exc:
            log.warning("could not acknowledge the last updates (%s)", exc.message)


async def _stop_polling(poller: asyncio.Task, state: Polling, grace: float = 15.0) -> None:
    state.stopping = True
    if not state.busy:
        poller.cancel()  # waiting for Telegram: what was handled is acknowledged already
    try:
        await asyncio.wait_for(asyncio.shield(poller), grace)
    except asyncio.TimeoutError:
        poller.cancel()
    except asyncio.CancelledError:
        pass
    await asyncio.gather(poller, return_exceptions=True)


@asynccontextmanager
async def running(config: TelegramConfig, service: ModerationService,
                  engine: Engine) -> AsyncIterator[TelegramAdapter]:
    """The bot started (long polling, or a webhook if configured) for the ``with`` block."""
    transports = _transports(config)
    app, adapter = build_application(config, service, engine, transports)
    try:
        await app.initialize()
    except BaseException:
        # a rejected token fails inside Bot.initialize, and Bot.shutdown then skips what was
        # never marked initialized: close the HTTP sessions ourselves
        for request in transports:
            await request.shutdown()
        raise
    async with app:
        await adapter.on_start(app)
        await app.start()
        poller = receiver = None
        # a receiver that cannot start (its port taken) must still stop the application, or
        # leaving the block raises "still running" over the error that says what went wrong
        try:
            if config.webhook_url:
                # every request must prove it comes from Telegram: make a secret if none is set
                secret = config.webhook_secret or secrets.token_urlsafe(32)
                await app.bot.set_webhook(url=config.webhook_url, secret_token=secret,
                                          allowed_updates=Update.ALL_TYPES)
                receiver = await start_webhook(
                    app, config.webhook_listen, config.webhook_port,
                    config.webhook_url.rstrip("/").rsplit("/", 1)[-1], secret)
            else:
                state = Polling()
                poller = asyncio.create_task(poll(app, state=state))
            yield adapter
        finally:
            if poller is not None:
                await _stop_polling(poller, state)
            if receiver is not None:
                await receiver.cleanup()
            await app.stop()
            await adapter.on_stop(app)


async def run_telegram(config: TelegramConfig, service: ModerationService, engine: Engine,
                       stop: asyncio.Event | None = None) -> None:
    """Run until ``stop`` is set, or SIGINT/SIGTERM."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):
            pass
    async with AsyncExitStack() as stack:
        # at boot the network may come after the bot: a Bot API that cannot be reached yet is
        # tried again (a rejected token is not: it is one clear line)
        started = await until_up(
            "Telegram Bot API",
            lambda: stack.enter_async_context(running(config, service, engine)),
            lambda exc: isinstance(exc, NetworkError), stop)
        if started is not None:
            await stop.wait()
