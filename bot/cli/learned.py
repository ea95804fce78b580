"""``quytac model stats``: what each community's moderators have taught the learned stage."""

from __future__ import annotations

import argparse
import json

from bot.service import SqlStorage


def register_stats(msub: argparse._SubParsersAction) -> None:
    from bot.cli.db import DB_HELP, run_on_database

    s = msub.add_parser("stats", help="decisions each community's moderators taught, and how "
                                      "often moderators overturned the bot before and after")
    s.add_argument("--community")
    s.add_argument("--json", action="store_true")
    s.add_argument("--database", help=DB_HELP)
    s.set_defaults(func=lambda a: run_on_database(a, _stats))


def _rate(part: dict) -> str:
    if part["rate"] is None:
        return "no decisions"
    return f"{part['rate']:.1%} of {part['decisions']}"


async def _stats(storage: SqlStorage, args: argparse.Namespace) -> int:
    stats = await storage.learning_stats(args.community)
    if args.json:
        print(json.dumps(stats, indent=2, ensure_ascii=False))
        return 0
    if not stats:
        print("no community has taught the model yet (moderators' decisions on review items, "
              "appeals, pardons and replied warnings teach it)")
        return 0
    for community, c in stats.items():
        learned = sum(c["decisions"].values())
        print(f"{community}: {learned} decision(s) learned: " + ", ".join(
            f"{kind.split(':')[0]} ({'violation' if kind.endswith(':1') else 'not'}) {n}"
            for kind, n in sorted(c["decisions"].items())))
        print(f"  overturned by moderators: before learning {_rate(c['overturn_before'])}, "
              f"since {_rate(c['overturn_after'])}")
    return 0
