"""The statistics page: the same numbers as ``quytac stats`` for the community, and charts of
its last thirty days (cases per day by category; acted on, sent to review and shadow; the
overturn rate per rule, the false-positive signal; review load by hour; appeals' outcomes)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from bot.web import charts
from bot.web.app import SESSION
from bot.web.texts import ui

if TYPE_CHECKING:
    from bot.web.app import Dashboard

DAYS = 30
RULES_SHOWN = 15


def routes(d: Dashboard) -> list[web.RouteDef]:
    async def stats(request: web.Request) -> web.Response:
        community = request.match_info["community"]
        numbers = await d.service.stats(community)
        activity = await d.service.activity(community, DAYS)
        language = request[SESSION].language
        return d.render(request, "stats.html",
                        {"community": community, "stats": numbers, "activity": activity},
                        charts=draw(numbers, activity, language), titles=CHARTS)

    return [web.get("/communities/{community}/stats", stats)]


CHARTS = ("by_category", "tiers", "overturn", "review_by_hour", "appeals")


def draw(numbers: dict, activity: dict, language: str) -> dict[str, charts.Markup]:
    title = {name: ui(f"chart_{name}", language) for name in CHARTS}
    days = activity["days"]
    categories = sorted({c for per_day in activity["by_category"].values() for c in per_day})
    by_category = {c: [activity["by_category"][d].get(c, 0) for d in days] for c in categories}
    tiers = {t: [activity["tiers"][d][t] for d in days] for t in ("acted", "review", "shadow")}
    rules = sorted(numbers.get("by_rule", {}).items(), key=lambda kv: -kv[1]["cases"])
    overturn = [(rule, v["overturn_rate"], f"{v['overturn_rate']:.0%} of {v['cases']}")
                for rule, v in rules[:RULES_SHOWN]]
    appeals = sorted(activity["appeals"].items())
    return {
        "by_category": charts.stacked(title["by_category"], days, by_category),
        "tiers": charts.stacked(title["tiers"], days, tiers),
        "overturn": charts.horizontal(title["overturn"], overturn),
        "review_by_hour": charts.stacked(title["review_by_hour"],
                                         [f"{h:02d}h" for h in range(24)],
                                         {"review": activity["review_by_hour"]}),
        "appeals": charts.horizontal(title["appeals"],
                                     [(s, float(n), str(n)) for s, n in appeals]),
    }
