"""``quytac run``: start the bot on the platforms whose tokens are configured."""

from __future__ import annotations

import argparse
import os
import sys

from bot.cli.common import load_engine


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="run the bot (needs TELEGRAM_BOT_TOKEN or DISCORD_BOT_TOKEN)")
    p.add_argument("--rules", metavar="PATH", help="ruleset directory (default: shipped rulesets)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # Fail at start-up, not on the first message, when a ruleset is broken.
    if load_engine(args.rules) is None:
        return 2
    configured = [v for v in ("TELEGRAM_BOT_TOKEN", "DISCORD_BOT_TOKEN") if os.environ.get(v)]
    if not configured:
        print("no platform configured: set TELEGRAM_BOT_TOKEN or DISCORD_BOT_TOKEN "
              "(see .env.example). Try the engine offline with: quytac check \"text\"",
              file=sys.stderr)
        return 2
    print(f"platform adapters are not part of this release yet ({', '.join(configured)} set); "
          "the detection engine is ready: quytac check / eval / bench", file=sys.stderr)
    return 2
