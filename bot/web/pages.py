"""The dashboard's pages under a community: its cases (filtered, searched, paged) and one case
with its history, its appeals and what a moderator can do to it. Each page answers JSON too."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime, time as day_start
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.service import Case, CaseQuery, ServiceError, when
from bot.web.app import SESSION, redirect, wants_json

if TYPE_CHECKING:
    from bot.web.app import Dashboard

PAGE = 50
STATUSES = ("active", "expired", "pardoned", "overturned", "shadow")


def routes(d: Dashboard) -> list[web.RouteDef]:
    pages = Pages(d)
    base = "/communities/{community}"
    return [
        web.get("/", pages.index),
        web.get(base + "/cases", pages.cases),
        web.get(base + "/cases/{number:\\d+}", pages.case),
        web.post(base + "/cases/{number:\\d+}/pardon", pages.pardon),
        web.post(base + "/cases/{number:\\d+}/reason", pages.reason),
    ]


def case_data(case: Case, zone: Any) -> dict[str, Any]:
    """A case as the dashboard shows it (what a moderator reads; no hashed features)."""
    data = asdict(case)
    data.pop("trace", None)
    data["rule_ids"], data["clauses"] = list(case.rule_ids), list(case.clauses)
    data["outcomes"] = [list(o) for o in case.outcomes]
    data["span"] = list(case.span) if case.span else None
    data["created"] = when(case.created_at, zone)
    return data


class Pages:
    def __init__(self, dashboard: Dashboard) -> None:
        self.d = dashboard
        self.service = dashboard.service

    async def index(self, request: web.Request) -> web.Response:
        session = request[SESSION]
        rows = []
        for community in await self.d.communities_of(session):
            settings = await self.service.settings(community)
            today = datetime.combine(datetime.fromtimestamp(self.d.clock(), settings.zone).date(),
                                     day_start(), settings.zone).timestamp()
            _, cases = await self.service.search_cases(community, CaseQuery(since=today, limit=1))
            rows.append({"id": community, "cases_today": cases,
                         "open_reviews": len(await self.service.review_queue(community)),
                         "open_appeals": len(await self.service.open_appeals(community))})
        return self.d.render(request, "index.html", {"communities": rows})

    async def cases(self, request: web.Request) -> web.Response:
        community = request.match_info["community"]
        settings = await self.service.settings(community)
        q = request.query
        try:
            page = max(1, int(q.get("page", "1") or 1))
        except ValueError:
            raise ServiceError(f"page {q.get('page')!r}: give a page number") from None
        status = q.get("status") or None
        if status is not None and status not in STATUSES:
            raise ServiceError(f"status {status!r}: one of {', '.join(STATUSES)}")
        query = CaseQuery(member=q.get("member") or None,
                          rules=(q["rule"],) if q.get("rule") else None,
                          actor=q.get("moderator") or None, status=status,
                          since=_date(q.get("since"), "since", settings.zone),
                          until=_date(q.get("until"), "until", settings.zone, end=True),
                          text=q.get("q") or None, offset=(page - 1) * PAGE, limit=PAGE)
        found, total = await self.service.search_cases(community, query,
                                                       q.get("category") or None)
        data = {"community": community, "total": total, "page": page,
                "pages": max(1, -(-total // PAGE)),
                "cases": [case_data(c, settings.zone) for c in found]}
        rules = sorted({r.id for r in self.service.engine.rules})
        categories = sorted({r.category for r in self.service.engine.rules})
        return self.d.render(request, "cases.html", data, filters=dict(q), rules=rules,
                             categories=categories, statuses=STATUSES,
                             query_without_page=_without(q, "page"))

    async def case(self, request: web.Request) -> web.Response:
        community, number = request.match_info["community"], int(request.match_info["number"])
        settings = await self.service.settings(community)
        try:
            case, history, appeals = await self.service.show_case(community, number)
        except ServiceError:
            return self.d.error(request, 404, "not_found")
        data = {"community": community, "case": case_data(case, settings.zone),
                "history": [{"actor": e.actor, "action": e.action, "detail": e.detail,
                             "at": when(e.at, settings.zone)} for e in history],
                "appeals": [{"id": a.id, "status": a.status, "text": a.text,
                             "created": when(a.created_at, settings.zone)} for a in appeals]}
        return self.d.render(request, "case.html", data, done=request.query.get("done", ""))

    async def pardon(self, request: web.Request) -> web.Response:
        community, number = request.match_info["community"], int(request.match_info["number"])
        reason = str((await request.post()).get("reason", "")).strip() or None
        session = request[SESSION]
        await self.d.act(request, await self.service.pardon(community, number, session.user,
                                                            reason))
        return self._done(request, community, number, "pardon")

    async def reason(self, request: web.Request) -> web.Response:
        community, number = request.match_info["community"], int(request.match_info["number"])
        reason = str((await request.post()).get("reason", "")).strip()
        if not reason:
            raise ServiceError("reason: write the new reason")
        await self.service.edit_reason(community, number, request[SESSION].user, reason)
        return self._done(request, community, number, "reason")

    def _done(self, request: web.Request, community: str, number: int, what: str
              ) -> web.Response:
        if wants_json(request):
            return web.json_response({"ok": True, "case": number, "done": what})
        return redirect(f"/communities/{community}/cases/{number}?done={what}")


def _date(text: str | None, name: str, zone: Any, end: bool = False) -> float | None:
    """A day typed in a filter (YYYY-MM-DD, the community's time zone): its start, or for the
    end of a range the start of the next day."""
    if not text:
        return None
    try:
        day = datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=zone)
    except ValueError:
        raise ServiceError(f"{name} {text!r}: write a day as YYYY-MM-DD") from None
    return day.timestamp() + (86400 if end else 0)


def _without(query: Any, key: str) -> str:
    from urllib.parse import urlencode

    return urlencode([(k, v) for k, v in query.items() if k != key and v])
