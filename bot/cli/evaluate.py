"""``quytac eval FILE``: precision, recall and F1 of the engine on a labelled CSV/TSV file.

Known layouts are recognised by their header (ViHSD: ``free_text,label_id``; Davidson 2017:
``tweet,class``); any other file needs ``--text-col``, ``--label-col`` and ``--positive``.
``FILE#a``/``FILE#b`` reads one half of a file (a model trained on one half is measured on the
other). Both tiers are measured under default settings: what would be acted on, and what would
go to review; ``overall`` counts both (with ``--min-confidence``, the acted tier at that
threshold).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from dataclasses import replace

from bot.cli.common import engine_with_model
from bot.cli.progress import Progress
from bot.service.models import ServiceError
from bot.service.settings import Settings, update
from bot.service.speakers import LanguageTally
from bot.service.tiers import ACT, NONE, REVIEW, tier
from bot.core import Engine
from bot.train.data import DataError, Labelled, read_labelled


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("eval", help="measure the engine on a labelled CSV/TSV file")
    p.add_argument("file", help="CSV or TSV file with a text and a label column (FILE#a: a half)")
    p.add_argument("--text-col", help="column holding the message text")
    p.add_argument("--label-col", help="column holding the label")
    p.add_argument("--positive", help="comma-separated labels that mean 'violation'")
    p.add_argument("--min-confidence", type=float, default=None,
                   help="the acted tier's threshold (default: review_threshold, 0.6); given, "
                        "'overall' counts only that tier")
    p.add_argument("--model", default="default",
                   help="model file of the learned stage, 'default' (the shipped one) or 'none'")
    p.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                   help="a community setting to measure under (repeatable), e.g. "
                        "--set model_review_threshold=0.7")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--rules", metavar="PATH", help="ruleset directory (default: shipped rulesets)")
    p.set_defaults(func=run)


def _prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4)}


class _Tally:
    """Counts of one way of flagging messages against their labels."""

    def __init__(self) -> None:
        self.tp = self.fp = self.fn = self.tn = 0

    def add(self, flagged: bool, positive: bool) -> None:
        self.tp += flagged and positive
        self.fp += flagged and not positive
        self.fn += positive and not flagged
        self.tn += not positive and not flagged

    def report(self) -> dict[str, float]:
        clean = self.fp + self.tn
        return {**_prf(self.tp, self.fp, self.fn), "tp": self.tp, "fp": self.fp, "fn": self.fn,
                "tn": self.tn, "clean_share": round(self.fp / clean, 4) if clean else 0.0}


def run(args: argparse.Namespace) -> int:
    try:
        data = read_labelled(args.file, args.text_col, args.label_col, args.positive)
    except DataError as exc:
        print(exc, file=sys.stderr)
        return 2
    engine = engine_with_model(args.rules, args.model)
    if engine is None:
        return 2
    model = engine.model
    settings = _settings(args.set)
    if settings is None:
        return 2
    if args.min_confidence is not None:
        settings = replace(settings, review_threshold=args.min_confidence,
                           review_floor=min(settings.review_floor, args.min_confidence))
    report, by_label = measure(data, engine, settings, args.min_confidence is not None)
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return 0
    _print(report, by_label, args)
    return 0


def measure(data: Labelled, engine: Engine, settings: Settings, acted_only: bool = False
            ) -> tuple[dict, Counter[str]]:
    """Both tiers of ``engine`` on ``data`` under ``settings``: the report ``--json`` prints,
    and the messages per label. ``overall`` counts what is acted on or sent to review
    (``acted_only``: what is acted on)."""
    policy = settings.policy
    # the file is read as one community's messages, in order: under language auto the bot
    # reads a message that tells no language of its own in the language most of them write
    speakers = LanguageTally(1) if settings.language == "auto" else None
    policies = {None: policy, **{lang: replace(policy, language=lang) for lang in ("vi", "en")}}
    counted = (ACT,) if acted_only else (ACT, REVIEW)
    tiers = {"acted": _Tally(), "review": _Tally(), "flagged": _Tally()}
    overall = _Tally()
    by_label: Counter[str] = Counter()
    flagged_by_label: Counter[str] = Counter()
    cat_total: Counter[str] = Counter()
    cat_true: Counter[str] = Counter()
    rule_total: Counter[str] = Counter()
    rule_true: Counter[str] = Counter()
    model_only = _Tally()
    start = time.perf_counter()
    for row in Progress(data.rows, f"checking {data.name}"):
        if speakers is not None:
            speakers.observe(data.name, row.text)
            policy = policies[speakers.majority(data.name)]
        hits = engine.check(row.text, policy).hits
        tiered = [(h, tier(h, settings)) for h in hits]
        best = max((t for _, t in tiered), key=(NONE, REVIEW, ACT).index, default=NONE)
        tiers["acted"].add(best == ACT, row.positive)
        tiers["review"].add(best == REVIEW, row.positive)
        tiers["flagged"].add(best != NONE, row.positive)
        kept = [h for h, t in tiered if t in counted]
        flagged = bool(kept)
        overall.add(flagged, row.positive)
        model_only.add(bool(kept) and all(h.via == "model" for h in kept), row.positive)
        by_label[row.label] += 1
        flagged_by_label[row.label] += flagged
        for cat in {h.category for h in kept}:
            cat_total[cat] += 1
            cat_true[cat] += row.positive
        for rid in {h.rule_id for h in kept}:
            rule_total[rid] += 1
            rule_true[rid] += row.positive
    elapsed = time.perf_counter() - start
    names = data.layout.names
    report = {
        "file": data.name, "messages": len(data.rows),
        "positive_labels": sorted(data.layout.positive),
        "min_confidence": settings.review_threshold,
        "model": engine.model.path if engine.model else None,
        # what a message that tells no language of its own was read in (see above)
        "community_language": (speakers.majority(data.name) if speakers is not None
                               else settings.language),
        "overall": overall.report(),
        "tiers": {name: t.report() for name, t in tiers.items()},
        "model_only": {"flagged": model_only.tp + model_only.fp, "violations": model_only.tp},
        "recall_by_label": {
            f"{lab} ({names.get(lab, lab)})": round(flagged_by_label[lab] / by_label[lab], 4)
            for lab in sorted(by_label)
        },
        "precision_by_category": {
            c: {"flagged": cat_total[c], "precision": round(cat_true[c] / cat_total[c], 4)}
            for c in sorted(cat_total)
        },
        "precision_by_rule": {
            r: {"flagged": rule_total[r], "precision": round(rule_true[r] / rule_total[r], 4)}
            for r in sorted(rule_total, key=lambda r: -rule_total[r])
        },
        "messages_per_second": round(len(data.rows) / elapsed) if elapsed else None,
    }
    return report, by_label


def _settings(pairs: list[str]) -> Settings | None:
    changes: dict[str, object] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep:
            print(f"--set {pair!r}: write NAME=VALUE", file=sys.stderr)
            return None
        try:
            changes[name.strip()] = json.loads(value)
        except json.JSONDecodeError:
            changes[name.strip()] = value
    try:
        return update(Settings(), changes)
    except ServiceError as exc:
        print(f"--set: {exc}", file=sys.stderr)
        return None


def _print(report: dict, by_label: Counter[str], args: argparse.Namespace) -> None:
    o = report["overall"]
    counted = ("acted on" if args.min_confidence is not None else "acted on or sent to review")
    print(f"{report['file']}: {report['messages']} messages, violation = label in "
          f"{report['positive_labels']}, model: {report['model'] or 'none'}")
    if report["community_language"]:
        print(f"  read as one community writing {report['community_language']}: a message in "
              "no language of its own is read in it")
    for name, label in (("acted", f"acted on (confidence >= {report['min_confidence']})"),
                        ("review", "sent to review only"), ("flagged", "either")):
        t = report["tiers"][name]
        print(f"  {label:<38} precision {t['precision']:.3f} recall {t['recall']:.3f} "
              f"F1 {t['f1']:.3f}   clean messages: {t['clean_share']:.2%} ({t['fp']})")
    mo = report["model_only"]
    if report["model"]:
        print(f"  flagged by the model alone: {mo['flagged']} ({mo['violations']} violations)")
    print(f"overall ({counted}): precision {o['precision']:.3f}  recall {o['recall']:.3f}  "
          f"F1 {o['f1']:.3f}   (tp {o['tp']}, fp {o['fp']}, fn {o['fn']}, tn {o['tn']})")
    print("flagged share per dataset label:")
    for lab, share in report["recall_by_label"].items():
        print(f"  {lab:<20} {share:.3f}  of {by_label[lab.split(' ')[0]]}")
    print("per category (messages flagged, share labelled violation):")
    for cat, v in report["precision_by_category"].items():
        print(f"  {cat:<20} {v['flagged']:>6}  precision {v['precision']:.3f}")
    print("per rule:")
    for rid, v in report["precision_by_rule"].items():
        print(f"  {rid:<34} {v['flagged']:>6}  precision {v['precision']:.3f}")
    print(f"speed: {report['messages_per_second']} messages/s")
