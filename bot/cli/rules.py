"""``quytac rules validate [PATH]``: what start-up would say about a ruleset directory."""

from __future__ import annotations

import argparse

from bot.cli.common import load_engine


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("rules", help="ruleset tools")
    rsub = p.add_subparsers(dest="rules_command", required=True)
    v = rsub.add_parser("validate", help="load a ruleset directory and run its examples")
    v.add_argument("path", nargs="?", help="ruleset directory (default: shipped rulesets)")
    v.set_defaults(func=validate)


def validate(args: argparse.Namespace) -> int:
    engine = load_engine(args.path)
    if engine is None:
        return 2
    failures = []
    for rule in engine.rules:
        for text in rule.examples_match:
            if not any(h.rule_id == rule.id for h in engine.check_example(rule.id, text).hits):
                failures.append(f"{rule.where}: rule {rule.id}: example should match: {text!r}")
        for text in rule.examples_ok:
            hits = engine.check_example(rule.id, text).hits
            if hits:
                which = ", ".join(sorted({h.rule_id for h in hits}))
                failures.append(f"{rule.where}: rule {rule.id}: ok example is flagged by {which}: {text!r}")
    for line in failures:
        print(line)
    print(f"{len(engine.rules)} rules, {engine.term_count} terms, "
          f"{len(engine.ruleset.teencode)} teencode entries, {len(failures)} failing examples")
    return 1 if failures else 0
