"""A member's data: what the bot stores about them, as a JSON download (the right of access),
and forgetting them (their texts deleted, their id replaced in the cases), after a
confirmation that says what it will do."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from aiohttp import web

from bot.web.app import SESSION, wants_json

if TYPE_CHECKING:
    from bot.web.app import Dashboard


def routes(d: Dashboard) -> list[web.RouteDef]:
    base = "/communities/{community}/members/{member}"

    async def member(request: web.Request) -> web.Response:
        community, who = request.match_info["community"], request.match_info["member"]
        return d.render(request, "member.html", {"community": community, "member": who})

    async def export(request: web.Request) -> web.Response:
        community, who = request.match_info["community"], request.match_info["member"]
        data = await d.service.export_member(community, who, request[SESSION].user)
        body = json.dumps(data, ensure_ascii=False, indent=2, default=str)
        return web.Response(text=body, content_type="application/json", headers={
            "Content-Disposition": f'attachment; filename="member-{who}.json"'})

    async def forget(request: web.Request) -> web.Response:
        community, who = request.match_info["community"], request.match_info["member"]
        form = await request.post()
        if form.get("confirm") != "yes":
            return d.render(request, "member.html", {"community": community, "member": who},
                            status=400, ask=True)
        counts = await d.service.forget_member(community, who, request[SESSION].user)
        if wants_json(request):
            return web.json_response({"ok": True, "forgotten": counts})
        return d.render(request, "member.html", {"community": community, "member": who,
                                                 "forgotten": counts})

    return [web.get(base, member), web.post(base + "/export", export),
            web.post(base + "/forget", forget)]
