"""The dashboard's pages for a community's open work and its settings: the review queue (one
click or a key per item), open appeals (approve or reject, with the reason the member reads),
and every setting as a form field, with the change shown before it is saved."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.service import SPECS, ServiceError, parse_typed, settings_view, when
from bot.web.app import SESSION, redirect, wants_json

if TYPE_CHECKING:
    from bot.web.app import Dashboard


def routes(d: Dashboard) -> list[web.RouteDef]:
    desk = Desk(d)
    base = "/communities/{community}"
    return [
        web.get(base + "/review", desk.review),
        web.post(base + "/review/{item:\\d+}/{verb:confirm|dismiss}", desk.decide_review),
        web.get(base + "/appeals", desk.appeals),
        web.post(base + "/appeals/{number:\\d+}/{verb:approve|reject}", desk.decide_appeal),
        web.get(base + "/settings", desk.settings),
        web.post(base + "/settings", desk.change_settings),
    ]


def shown(value: Any) -> str:
    """A setting's value as a moderator types it (what ``/config NAME VALUE`` takes)."""
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return ", ".join(value)
    return json.dumps(value, ensure_ascii=False)


class Desk:
    def __init__(self, dashboard: Dashboard) -> None:
        self.d = dashboard
        self.service = dashboard.service

    async def review(self, request: web.Request) -> web.Response:
        community = request.match_info["community"]
        zone = (await self.service.settings(community)).zone
        items = [{"id": i.id, "member_id": i.member_id, "rule_ids": list(i.rule_ids),
                  "excerpt": i.excerpt, "confidence": round(i.confidence, 3), "why": i.why,
                  "created": when(i.created_at, zone)}
                 for i in await self.service.review_queue(community)]
        return self.d.render(request, "review.html", {"community": community, "items": items},
                             done=request.query.get("done", ""))

    async def decide_review(self, request: web.Request) -> web.Response:
        community, verb = request.match_info["community"], request.match_info["verb"]
        item = int(request.match_info["item"])
        moderator = request[SESSION].user
        if verb == "confirm":
            await self.d.act(request, await self.service.confirm_review(community, item,
                                                                        moderator))
        else:
            await self.service.dismiss_review(community, item, moderator)
        return self._done(request, f"/communities/{community}/review", f"{verb}-{item}")

    async def appeals(self, request: web.Request) -> web.Response:
        community = request.match_info["community"]
        zone = (await self.service.settings(community)).zone
        items = [{"id": a.id, "case": a.case_number, "member_id": a.member_id, "text": a.text,
                  "created": when(a.created_at, zone)}
                 for a in await self.service.open_appeals(community)]
        return self.d.render(request, "appeals.html", {"community": community, "appeals": items},
                             done=request.query.get("done", ""))

    async def decide_appeal(self, request: web.Request) -> web.Response:
        community, verb = request.match_info["community"], request.match_info["verb"]
        number = int(request.match_info["number"])
        reason = str((await request.post()).get("reason", ""))
        await self.d.act(request, await self.service.decide_appeal(
            community, number, request[SESSION].user, verb == "approve", reason))
        return self._done(request, f"/communities/{community}/appeals", f"{verb}-{number}")

    async def settings(self, request: web.Request) -> web.Response:
        community = request.match_info["community"]
        view = settings_view(await self.service.settings(community))
        return self.d.render(request, "settings.html", {"community": community,
                                                        "settings": view},
                             fields=self._fields(view), done=request.query.get("done", ""))

    async def change_settings(self, request: web.Request) -> web.Response:
        """Changed fields are shown as a diff first (``preview``); the confirming post saves
        exactly that diff. A bad value comes back with the setting's own error."""
        community = request.match_info["community"]
        form = await request.post()
        view = settings_view(await self.service.settings(community))
        changes = {name: parse_typed(str(form[name])) for name in SPECS
                   if name in form and str(form[name]).strip() != shown(view.get(name))}
        if not changes:
            return redirect(f"/communities/{community}/settings")
        try:
            diff = await self.service.preview_settings(community, changes)
        except ServiceError as exc:
            if wants_json(request):
                raise
            return self.d.render(request, "settings.html",
                                 {"community": community, "settings": view},
                                 status=400, error=str(exc),
                                 fields=self._fields(view, {k: str(form[k]) for k in changes}))
        if form.get("confirm") != "yes":
            return self.d.render(request, "settings.html",
                                 {"community": community, "settings": view, "diff": diff},
                                 fields=self._fields(view, {k: str(form[k]) for k in changes}),
                                 pending={k: str(form[k]) for k in changes})
        await self.service.update_settings(community, request[SESSION].user, changes)
        return self._done(request, f"/communities/{community}/settings", "saved")

    @staticmethod
    def _fields(view: dict[str, Any], typed: dict[str, str] | None = None
                ) -> list[dict[str, str]]:
        typed = typed or {}
        return [{"name": name, "value": typed.get(name, shown(view.get(name))),
                 "help": spec.help} for name, spec in sorted(SPECS.items())]

    @staticmethod
    def _done(request: web.Request, to: str, what: str) -> web.Response:
        if wants_json(request):
            return web.json_response({"ok": True, "done": what})
        return redirect(f"{to}?done={what}")
