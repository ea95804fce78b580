"""The webhook receiver: Telegram's POST is answered only once its update has been handled.

python-telegram-bot's own webhook server answers 200 as soon as an update is queued, so a crash
loses what was queued: Telegram never sends an acknowledged update again. Here the answer waits
for the handlers (the case is recorded, its actions are pending in the database), so a crash
before that leaves the update unacknowledged and Telegram delivers it again; the service knows a
message it has already judged. Several workers can serve one URL behind a load balancer: each
update is handled by the worker that received it, and the database keeps one truth.
"""

from __future__ import annotations

import hmac
import logging

from aiohttp import web
from telegram import Update
from telegram.ext import Application

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class WebhookError(OSError):
    """The receiver could not start; the message names the address."""


def webhook_app(app: Application, path: str, secret: str) -> web.Application:
    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            return web.Response(status=403)
        try:
            data = await request.json()
            update = Update.de_json(data, app.bot)
        except Exception:  # not JSON, or not an update: Telegram never sends that
            return web.Response(status=400)
        await app.process_update(update)  # handler errors go to the error handler, not here
        return web.Response(status=200)

    server = web.Application(client_max_size=1 << 20)
    server.router.add_post("/" + path.strip("/"), receive)
    return server


async def start_webhook(app: Application, listen: str, port: int, path: str,
                        secret: str) -> web.AppRunner:
    runner = web.AppRunner(webhook_app(app, path, secret), access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, listen, port).start()
    except OSError as exc:
        await runner.cleanup()
        raise WebhookError(f"webhook: cannot listen on {listen}:{port}: {exc.strerror or exc}") \
            from exc
    log.info("webhook listening on %s:%d", listen, port)
    return runner
