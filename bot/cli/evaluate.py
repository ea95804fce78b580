"""``quytac eval FILE``: precision, recall and F1 of the engine on a labelled CSV/TSV file.

Known layouts are recognised by their header (ViHSD: ``free_text,label_id``; Davidson 2017:
``tweet,class``); any other file needs ``--text-col``, ``--label-col`` and ``--positive``.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bot.cli.common import load_engine

# header columns -> (text column, label column, positive labels, label names)
KNOWN_LAYOUTS = {
    ("free_text", "label_id"): ("free_text", "label_id", {"1", "2"},
                                {"0": "clean", "1": "offensive", "2": "hate"}),
    ("tweet", "class"): ("tweet", "class", {"0", "1"},
                         {"0": "hate", "1": "offensive", "2": "neither"}),
}


@dataclass
class Layout:
    text: str
    label: str
    positive: set[str]
    names: dict[str, str]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("eval", help="measure the engine on a labelled CSV/TSV file")
    p.add_argument("file", help="CSV or TSV file with a text and a label column")
    p.add_argument("--text-col", help="column holding the message text")
    p.add_argument("--label-col", help="column holding the label")
    p.add_argument("--positive", help="comma-separated labels that mean 'violation'")
    p.add_argument("--min-confidence", type=float, default=0.0,
                   help="count only hits at or above this confidence (default: any hit)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--rules", metavar="PATH", help="ruleset directory (default: shipped rulesets)")
    p.set_defaults(func=run)


def _layout(header: list[str], args: argparse.Namespace) -> Layout | str:
    for (text_col, label_col), (t, lab, pos, names) in KNOWN_LAYOUTS.items():
        if text_col in header and label_col in header:
            layout = Layout(t, lab, set(pos), dict(names))
            break
    else:
        layout = Layout(args.text_col or "", args.label_col or "", set(), {})
    if args.text_col:
        layout.text = args.text_col
    if args.label_col:
        layout.label = args.label_col
    if args.positive:
        layout.positive = {p.strip() for p in args.positive.split(",") if p.strip()}
    for option, column in (("--text-col", layout.text), ("--label-col", layout.label)):
        if not column:
            return f"unknown layout: give {option} (columns: {', '.join(header)})"
        if column not in header:
            return f"{option} {column!r} is not a column (columns: {', '.join(header)})"
    if not layout.positive:
        return "give --positive: the labels that mean 'violation'"
    return layout


def _prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4)}


def run(args: argparse.Namespace) -> int:
    path = Path(args.file)
    try:
        raw = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"{path}: cannot read: {exc}", file=sys.stderr)
        return 2
    dialect = "excel-tab" if path.suffix.lower() == ".tsv" or raw.split("\n", 1)[0].count("\t") else "excel"
    rows = list(csv.DictReader(raw.splitlines(), dialect=dialect))
    header = list(rows[0].keys()) if rows else []
    layout = _layout(header, args)
    if isinstance(layout, str):
        print(f"{path}: {layout}", file=sys.stderr)
        return 2
    engine = load_engine(args.rules)
    if engine is None:
        return 2
    tp = fp = fn = tn = 0
    by_label: Counter[str] = Counter()
    flagged_by_label: Counter[str] = Counter()
    cat_total: Counter[str] = Counter()
    cat_true: Counter[str] = Counter()
    rule_total: Counter[str] = Counter()
    rule_true: Counter[str] = Counter()
    start = time.perf_counter()
    for row in rows:
        text = row.get(layout.text) or ""
        label = (row.get(layout.label) or "").strip()
        positive = label in layout.positive
        hits = [h for h in engine.check(text).hits if h.confidence >= args.min_confidence]
        flagged = bool(hits)
        by_label[label] += 1
        flagged_by_label[label] += flagged
        for cat in {h.category for h in hits}:
            cat_total[cat] += 1
            cat_true[cat] += positive
        for rid in {h.rule_id for h in hits}:
            rule_total[rid] += 1
            rule_true[rid] += positive
        tp += flagged and positive
        fp += flagged and not positive
        fn += positive and not flagged
        tn += not positive and not flagged
    elapsed = time.perf_counter() - start
    report = {
        "file": str(path), "messages": len(rows), "positive_labels": sorted(layout.positive),
        "min_confidence": args.min_confidence,
        "overall": {**_prf(tp, fp, fn), "tp": tp, "fp": fp, "fn": fn, "tn": tn},
        "recall_by_label": {
            f"{lab} ({layout.names.get(lab, lab)})": round(flagged_by_label[lab] / by_label[lab], 4)
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
        "messages_per_second": round(len(rows) / elapsed) if elapsed else None,
    }
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return 0
    o = report["overall"]
    print(f"{path}: {len(rows)} messages, violation = label in {sorted(layout.positive)}"
          + (f", hits with confidence >= {args.min_confidence}" if args.min_confidence else ""))
    print(f"violation vs clean: precision {o['precision']:.3f}  recall {o['recall']:.3f}  "
          f"F1 {o['f1']:.3f}   (tp {tp}, fp {fp}, fn {fn}, tn {tn})")
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
    return 0
