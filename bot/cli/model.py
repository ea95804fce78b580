"""``quytac model train|eval|stats``: the learned stage's model, from labelled files to a file.

``train`` fits a model on labelled CSV/TSV files (``FILE#a``/``FILE#b`` for one half of a file)
and tunes its thresholds on a held-out part of them; ``eval`` measures a model on labelled files;
``stats`` shows what each community's moderators have taught it.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

from bot.cli.common import load_engine, load_model_option
from bot.cli.progress import Progress, note
from bot.core import normalize
from bot.core.model import sigmoid
from bot.train.data import DataError, read_labelled


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("model", help="train, evaluate and inspect the learned stage's model")
    msub = p.add_subparsers(dest="model_command", required=True)
    t = msub.add_parser("train", help="fit a model on labelled files (needs the train extra)")
    t.add_argument("files", nargs="+", metavar="FILE",
                   help="CSV/TSV with a text and a label column; FILE#a or FILE#b: one half")
    t.add_argument("--output", default="model.qtm", help="model file to write (default model.qtm)")
    t.add_argument("--bits", type=int, default=18, help="2**bits feature buckets (default 18)")
    t.add_argument("--c", default="8,16,32",
                   help="inverse regularisation strengths to try; the held-out part picks one "
                        "(default 8,16,32)")
    t.add_argument("--clip", type=float, default=5.0,
                   help="largest weight one feature may have, either sign (default 5)")
    t.add_argument("--holdout", type=float, default=0.1,
                   help="share of the rows kept out of the fit to tune thresholds (default 0.1)")
    e = msub.add_parser("eval", help="measure a model (alone and with the rules) on labelled files")
    e.add_argument("files", nargs="+", metavar="FILE")
    e.add_argument("--model", help="model file (default: the shipped model)")
    e.add_argument("--json", action="store_true", help="print JSON")
    for q in (t, e):
        q.add_argument("--text-col", help="column holding the message text")
        q.add_argument("--label-col", help="column holding the label")
        q.add_argument("--positive", help="comma-separated labels that mean 'violation'")
        q.add_argument("--rules", metavar="PATH", help="ruleset directory (default: shipped)")
    c = msub.add_parser("card", help="write a model's card: its data, how it was made, and its "
                                     "figures on labelled files it was not trained on")
    c.add_argument("--model", default="default", help="model file (default: the shipped model)")
    c.add_argument("--eval", nargs="*", default=[], metavar="FILE",
                   help="labelled files to measure it on, with the rules (FILE#b: one half)")
    c.add_argument("--output", help="card to write (default: standard output)")
    c.add_argument("--rules", metavar="PATH", help="ruleset directory (default: shipped)")
    t.set_defaults(func=run_train)
    e.set_defaults(func=run_eval)
    c.set_defaults(func=run_card)
    from bot.cli.learned import register_stats

    register_stats(msub)


def _files(args: argparse.Namespace) -> list | None:
    out = []
    try:
        for spec in args.files:
            out.append(read_labelled(spec, args.text_col, args.label_col, args.positive))
    except DataError as exc:
        print(exc, file=sys.stderr)
        return None
    return out


def run_train(args: argparse.Namespace) -> int:
    from bot.train.fit import TrainError, train

    if not 8 <= args.bits <= 22:
        print(f"--bits {args.bits}: use 8 to 22 (a model file holds 4 x 2**bits bytes)",
              file=sys.stderr)
        return 2
    if not 0 < args.holdout < 0.5:
        print(f"--holdout {args.holdout}: use a share above 0 and below 0.5", file=sys.stderr)
        return 2
    try:
        strengths = tuple(float(c) for c in args.c.split(",") if c.strip())
    except ValueError:
        strengths = ()
    if not strengths or any(c <= 0 for c in strengths):
        print(f"--c {args.c!r}: give positive numbers, comma-separated", file=sys.stderr)
        return 2
    files = _files(args)
    rules = load_engine(args.rules)
    if files is None or rules is None:
        return 2
    for f in files:
        note(f"{f.name}: {len(f.rows):,} rows, {sum(r.positive for r in f.rows):,} violations")
    command = "quytac model train " + " ".join(shlex.quote(a) for a in sys.argv[3:])
    try:
        if args.clip <= 0:
            raise TrainError(f"--clip {args.clip}: give a positive number")
        fitted = train(files, rules, args.bits, strengths, args.holdout, command, args.clip,
                       progress=lambda items, label, total: Progress(items, label, total))
    except TrainError as exc:
        print(exc, file=sys.stderr)
        return 2
    fitted.model.save(args.output)
    t = fitted.model.thresholds
    f = fitted.figures
    print(f"wrote {args.output} ({Path(args.output).stat().st_size:,} bytes) in "
          f"{fitted.model.info['trained']['seconds']} s")
    trained = fitted.model.info["trained"]
    print(f"regularisation: C {trained['c']} (held-out objective per C: "
          + ", ".join(f"{k['c']:g}: {k['objective']:.3f}" for k in trained["candidates"]) + ")")
    by_lang = ", ".join(f"{k} {v}" for k, v in t.review_by_language)
    print(f"thresholds: review {t.review}" + (f" ({by_lang})" if by_lang else "")
          + f", implausible {t.implausible}, demote slope {t.demote_slope} cap {t.demote_cap}, "
          f"promote {t.promote}, model alone from {t.min_words} words")
    print(f"held-out part ({f['held_out_messages']:,} messages), with the rules:")
    for tier in ("acted", "flagged"):
        m, r = f[tier], f["rules_alone"][tier]
        print(f"  {tier:<8} precision {m['precision']:.3f} recall {m['recall']:.3f} "
              f"F1 {m['f1']:.3f} clean {m['clean_share']:.3%}   (rules alone: F1 {r['f1']:.3f}, "
              f"clean {r['clean_share']:.3%})")
    return 0


def _auc(scores: list[float], positive: list[bool]) -> float:
    """Area under the ROC curve: the chance a violation scores above a clean message."""
    ranked = sorted(zip(scores, positive))
    pos = sum(positive)
    neg = len(positive) - pos
    if not pos or not neg:
        return 0.0
    rank_sum, i = 0.0, 0
    while i < len(ranked):
        j = i
        while j < len(ranked) and ranked[j][0] == ranked[i][0]:
            j += 1
        mean_rank = (i + j + 1) / 2  # ties share their ranks
        rank_sum += mean_rank * sum(1 for k in range(i, j) if ranked[k][1])
        i = j
    return (rank_sum - pos * (pos + 1) / 2) / (pos * neg)


def run_eval(args: argparse.Namespace) -> int:
    files = _files(args)
    model = load_model_option(args.model or "default")
    if files is None or model is None:
        return 2
    report = {}
    for f in files:
        scores = [sigmoid(model.logit(normalize(r.text)))
                  for r in Progress(f.rows, f"scoring {f.name}")]
        positive = [r.positive for r in f.rows]
        flagged = [s >= model.thresholds.review for s in scores]
        tp = sum(a and b for a, b in zip(flagged, positive))
        fp = sum(a and not b for a, b in zip(flagged, positive))
        fn = sum(b and not a for a, b in zip(flagged, positive))
        clean = len(positive) - sum(positive)
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        report[f.name] = {
            "messages": len(f.rows), "review_threshold": model.thresholds.review,
            "auc": round(_auc(scores, positive), 4), "precision": round(p, 4),
            "recall": round(r, 4), "f1": round(2 * p * r / (p + r), 4) if p + r else 0.0,
            "clean_share": round(fp / clean, 4) if clean else 0.0,
        }
    if args.json:
        print(json.dumps({"model": model.path, **report}, indent=2, ensure_ascii=False))
        return 0
    print(f"model {model.path} alone (score >= {model.thresholds.review} goes to review); "
          "`quytac eval FILE --model PATH` measures it with the rules")
    for name, m in report.items():
        print(f"{name}: {m['messages']:,} messages, AUC {m['auc']:.3f}, precision "
              f"{m['precision']:.3f} recall {m['recall']:.3f} F1 {m['f1']:.3f}, clean messages "
              f"sent to review {m['clean_share']:.2%}")
    return 0


def run_card(args: argparse.Namespace) -> int:
    from bot.cli.evaluate import measure
    from bot.service.settings import Settings
    from bot.train.card import render

    model = load_model_option(args.model)
    if model is None:
        return 2
    engine = load_engine(args.rules, model)
    if engine is None:
        return 2
    measured = []
    try:
        for spec in args.eval:
            measured.append(measure(read_labelled(spec), engine, Settings())[0])
    except DataError as exc:
        print(exc, file=sys.stderr)
        return 2
    card = render(model, measured)
    if args.output:
        Path(args.output).write_text(card, encoding="utf-8")
        print(f"wrote {args.output}")
    else:
        print(card, end="")
    return 0
