"""Helpers shared by the CLI commands: loading the engine with a readable error."""

from __future__ import annotations

import sys

from bot.core import Engine, RulesetError


def load_engine(path: str | None) -> Engine | None:
    """The engine for ``path`` (default rulesets), or None after printing every ruleset error."""
    try:
        return Engine.load(path)
    except RulesetError as exc:
        print(f"ruleset errors ({len(exc.problems)}):", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return None
