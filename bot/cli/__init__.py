"""Command line: ``quytac`` / ``python -m bot``. Each sub-command lives in its own module."""

from __future__ import annotations

import argparse
import sys

from bot.cli import bench, check, db, evaluate, model, rules, run


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="quytac", description="Moderation bot for Vietnamese and English communities."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for module in (check, evaluate, bench, rules, model, run, db):
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except BrokenPipeError:  # `quytac ... | head`
        return 0
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
