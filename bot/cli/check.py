"""``quytac check "text"``: what the engine says about one message, and why."""

from __future__ import annotations

import argparse
import json

from bot.cli.common import load_engine
from bot.core import detect_language, normalize


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("check", help="check one message against the rulesets")
    p.add_argument("text", help="the message text")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--rules", metavar="PATH", help="ruleset directory (default: shipped rulesets)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    engine = load_engine(args.rules)
    if engine is None:
        return 2
    verdict = engine.check(args.text)
    language = verdict.language or detect_language(args.text, thorough=True)
    n = normalize(args.text)
    hits = [
        {
            "rule": h.rule_id, "category": h.category, "clause": h.clause,
            "cite": engine.clauses[h.clause].cite if h.clause in engine.clauses else h.clause,
            "span": [h.start, h.end], "matched": h.matched, "confidence": h.confidence,
            "via": h.via, "severity": h.severity, "explanation": engine.explain(h, language),
        }
        for h in verdict.hits
    ]
    if args.json:
        print(json.dumps({
            "text": args.text, "language": language, "normalized": n.exact,
            "folded": n.folded, "expanded": engine.expand_teencode(n.exact), "hits": hits,
        }, ensure_ascii=False, indent=2))
        return 1 if hits else 0
    print(f"language:   {language}")
    print(f"normalized: {n.exact}")
    if n.folded != n.exact:
        print(f"folded:     {n.folded}")
    expanded = engine.expand_teencode(n.exact)
    if expanded != n.exact:
        print(f"teencode:   {expanded}")
    if not hits:
        print("clean")
        return 0
    for h in hits:
        print(f"- {h['rule']} [{h['category']}] {h['cite']}")
        print(f"    span {h['span'][0]}..{h['span'][1]} {h['matched']!r}  confidence {h['confidence']}"
              f" ({h['via']}), severity {h['severity']}")
        print(f"    {h['explanation']}")
    return 1
