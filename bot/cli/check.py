"""``quytac check "text"``: what the engine says about one message, why, and what would follow
(under default settings, or a community's stored settings and learning with ``--community``).

Exit code: 0 when nothing is acted on or sent to review, 1 when something is, 2 on an error.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from bot.cli.common import engine_with_model
from bot.core import CommunityPolicy, Engine, Hit, Normalized, detect_language, normalize
from bot.core.detectors import find_links
from bot.service.cases import removes_message, sanction, top_hit
from bot.service.settings import Settings
from bot.service.tiers import ACT, NONE, REVIEW, tier

_TIER_TEXT = {ACT: "act (the member is sanctioned at once)",
              REVIEW: "review (a moderator decides; nobody is sanctioned meanwhile)",
              NONE: "none (recorded in nothing, sent to nobody)"}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("check", help="check one message against the rulesets",
                       description="Check one message and say what would happen to it and to "
                                   "its author. Exit code: 1 when it would be acted on or sent "
                                   "to review, 0 otherwise, 2 on an error.")
    p.add_argument("text", help="the message text")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--rules", metavar="PATH", help="ruleset directory (default: shipped rulesets)")
    p.add_argument("--model", default="default",
                   help="model file of the learned stage, 'default' (the shipped one) or 'none'")
    p.add_argument("--community", metavar="ID",
                   help="judge as in this community: its stored settings and what its "
                        "moderators taught the model (the id is in the mod log, /config and "
                        "`quytac cases list`)")
    p.add_argument("--database", help="database of --community (default: DATABASE_URL)")
    p.set_defaults(func=run)


def _first_offence(hits: list[Hit], settings: Settings) -> str:
    """What the bot does to the message and to a member with no history, as the service
    decides it: an acted-on hit removes the message (unless the community keeps its category);
    the ladder and the rule overrides decide the sanction."""
    acted = [h for h in hits if tier(h, settings) == ACT]
    if not acted:
        return "nothing until a moderator confirms" if [
            h for h in hits if tier(h, settings) != NONE] else "nothing"
    top = top_hit(acted)
    step = sanction(settings, top, float(top.severity))
    fate = "message removed" if removes_message(settings, top) else "message kept (keep_message)"
    said = step.as_text().split(":", 1)[1].strip().replace("delete_warn", "warn")
    shadow = " — in shadow mode, recorded only" if (
        settings.shadow or top.rule_id in settings.shadow_rules) else ""
    return f"{fate}; {said} ({top.severity} points, a member with no history){shadow}"


def as_typed(n: Normalized) -> str:
    """The normalised text with its links as the member typed them (a path's case matters)."""
    out, last = [], 0
    for link in find_links(n.exact):
        start, end = n.span(link.start, link.end)
        out += [n.exact[last:link.start], n.original[start:end]]
        last = link.end
    return "".join(out) + n.exact[last:]


async def _community(engine: Engine, community: str,
                     database: str | None) -> tuple[Settings, CommunityPolicy] | None:
    from bot.service import ModerationService, open_storage

    storage = await open_storage(database)
    try:
        if await storage.load_settings(community) is None and not await storage.list_cases(
                community, limit=1):
            return None
        service = ModerationService(storage, engine)
        settings = await service.settings(community)
        return settings, await service.policy(community, settings)
    finally:
        await storage.close()


def run(args: argparse.Namespace) -> int:
    engine = engine_with_model(args.rules, args.model)
    if engine is None:
        return 2
    if args.community:
        found = asyncio.run(_community(engine, args.community, args.database))
        if found is None:
            print(f"quytac check: no community {args.community!r} in the database (no settings "
                  "and no cases stored for it); its id is in the mod log and in "
                  "`quytac cases list`", file=sys.stderr)
            return 2
        settings, policy = found
        under = f"community {args.community}'s settings"
    else:
        settings = Settings()
        policy, under = settings.policy, "default settings"
    verdict = engine.check(args.text, policy, note=engine.model is not None)
    language = verdict.language or (detect_language(args.text, thorough=True)
                                    if args.text.strip() else None)
    n = normalize(args.text)
    hits = [
        {
            "rule": h.rule_id, "category": h.category, "clause": h.clause,
            "cite": (engine.clauses[h.clause].citation(language) if h.clause in engine.clauses
                     else h.clause),
            "span": [h.start, h.end], "matched": h.matched, "confidence": h.confidence,
            "via": h.via, "severity": h.severity, "tier": tier(h, settings),
            "explanation": engine.explain(h, language),
        }
        for h in verdict.hits
    ]
    flagged = [h for h in verdict.hits if tier(h, settings) != NONE]
    overall = max((tier(h, settings) for h in verdict.hits), key=(NONE, REVIEW, ACT).index,
                  default=NONE)
    note = verdict.model
    model = None if note is None else {
        "score": round(note.score, 4), "base": round(note.base, 4),
        "learned": round(note.learned, 4), "set_aside": list(note.set_aside),
        "changed": [{"rule": r, "from": a, "to": b} for r, a, b in note.changed],
    }
    first = _first_offence(list(verdict.hits), settings)
    if args.json:
        print(json.dumps({
            "text": args.text, "language": language, "normalized": as_typed(n),
            "folded": n.folded, "expanded": engine.expand_teencode(n.exact), "hits": hits,
            "tier": overall, "first_offence": first, "under": under, "model": model,
        }, ensure_ascii=False, indent=2))
        return 1 if flagged else 0
    print(f"language:   {language or '-'}")
    print(f"normalized: {as_typed(n)}")
    if n.folded != n.exact:
        print(f"folded:     {n.folded}")
    expanded = engine.expand_teencode(n.exact)
    if expanded.strip() != n.exact.strip():
        print(f"teencode:   {expanded}")
    if model is not None:
        aside = (f"; read without {', '.join(repr(w) for w in note.set_aside)} (the rules read "
                 "it as the everyday word)") if note.set_aside else ""
        print(f"model:      score {model['score']:.3f}{aside}")
    for h in hits:
        print(f"- {h['rule']} [{h['category']}] {h['cite']}")
        print(f"    span {h['span'][0]}..{h['span'][1]} {h['matched']!r}  confidence {h['confidence']}"
              f" ({h['via']}), severity {h['severity']}, tier {h['tier']}")
        print(f"    {h['explanation']}")
    for rule, before, after in (note.changed if note else ()):
        print(f"  (the model moved {rule} from {before} to {after})")
    print(f"tier:       {_TIER_TEXT[overall] if hits else 'none (clean)'}")
    print(f"first offence under {under}: {first}")
    return 1 if flagged else 0
