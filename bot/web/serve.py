"""Serve the dashboard on a host and port for the length of a ``with`` block."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from typing import AsyncIterator

from aiohttp import web

from bot.web.app import Dashboard

log = logging.getLogger(__name__)


@asynccontextmanager
async def serving(dashboard: Dashboard) -> AsyncIterator[int]:
    """The dashboard listening; yields the port (a port of 0 takes a free one)."""
    runner = web.AppRunner(dashboard.app(), access_log=None)
    await runner.setup()
    config = dashboard.config
    site = web.TCPSite(runner, config.host, config.port)
    try:
        await site.start()
    except OSError as exc:
        await runner.cleanup()
        raise OSError(f"the dashboard cannot listen on {config.host}:{config.port}: "
                      f"{exc.strerror or exc}") from None
    server = site._server  # (aiohttp keeps the bound sockets there; a port of 0 is chosen)
    port = server.sockets[0].getsockname()[1] if server and server.sockets else config.port
    log.info("dashboard on http://%s:%d", config.host, port)
    try:
        yield port
    finally:
        await runner.cleanup()
