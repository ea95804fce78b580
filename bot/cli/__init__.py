"""Command line: ``quytac`` / ``python -m bot``. Each sub-command lives in its own module."""

from __future__ import annotations

import argparse
import os
import sys
import traceback

from bot.cli import bench, check, db, demo, evaluate, model, rules, run, web
from bot.cli.common import startup_problem
from bot.cli.logs import Redact
from bot.service.config import apply_dotenv, environment_secrets


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="quytac", description="Moderation bot for Vietnamese and English communities."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for module in (demo, check, evaluate, bench, rules, model, run, web, db):
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        apply_dotenv()
        return int(args.func(args) or 0)
    except BrokenPipeError:  # `quytac ... | head`
        return 0
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        problem = startup_problem(exc)
        if problem is None:
            raise
        redact = Redact(environment_secrets())
        if os.environ.get("LOG_LEVEL", "").strip().lower() == "debug":
            print(redact.text(traceback.format_exc()), file=sys.stderr, end="")
        for line in problem.splitlines():  # one clear line each, with no secret in it
            print(f"quytac {args.command}: {redact.text(line)}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
