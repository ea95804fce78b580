"""A fake shared block list (the CAS API's shape) on 127.0.0.1: ``GET /check?user_id=ID``
answers ``{"ok": true, "result": ...}`` for a listed id and ``{"ok": false, ...}`` otherwise;
``down`` makes it answer 503, as a list that is out of service does."""

from __future__ import annotations

from aiohttp import web

from bot.fakes import serve


class FakeBlockList:
    def __init__(self) -> None:
        self.listed: set[str] = set()
        self.down = False
        self.asked: list[str] = []  # every id asked about, in order
        self._runner: web.AppRunner | None = None
        self.port = 0

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/check", self._check)
        self._runner, self.port = await serve(app)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/check"

    async def _check(self, request: web.Request) -> web.Response:
        member = request.query.get("user_id", "")
        self.asked.append(member)
        if self.down:
            return web.json_response({"ok": False, "description": "maintenance"}, status=503)
        if member in self.listed:
            return web.json_response({"ok": True, "result": {
                "offenses": 1, "messages": ["spam"], "time_added": "2026-01-01T00:00:00.000Z"}})
        return web.json_response({"ok": False, "description": "Record not found."})
