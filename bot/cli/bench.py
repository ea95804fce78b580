"""``quytac bench [FILE]``: throughput, latency, start-up time and memory of the detection engine.

Runs the full engine (normalise, rulesets, language when a hit needs it) over a corpus and, in the
same run on the same messages, better-profanity's ``contains_profanity`` as the baseline. The
baseline is about a thousand times slower, so it runs on a sample (``--baseline-sample``).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

from bot.cli.common import engine_with_model
from bot.cli.corpus import generated_corpus, read_corpus


def _percentile(sorted_ns: list[int], q: float) -> float:
    return sorted_ns[min(len(sorted_ns) - 1, int(len(sorted_ns) * q))] / 1000


def _stats(lat: list[int], seconds: float) -> dict[str, float]:
    lat = sorted(lat)
    return {
        "messages": len(lat),
        "messages_per_second": round(len(lat) / seconds) if seconds else 0,
        "p50_us": round(_percentile(lat, 0.50), 1),
        "p99_us": round(_percentile(lat, 0.99), 1),
        "max_us": round(lat[-1] / 1000, 1) if lat else 0.0,
    }


def _time_together(runs: list[tuple[Callable[[str], object], list[str]]],
                   slices: int = 4) -> list[dict[str, float]]:
    """Time each (function, messages) run, all of them in turns: a slice of the first, a slice of
    the second, ... On a shared machine the noise comes and goes within seconds; taking turns,
    every run meets the same noise, so the figures side by side compare fairly."""
    clock = time.perf_counter_ns
    lat: list[list[int]] = [[] for _ in runs]
    spent = [0] * len(runs)
    for k in range(slices):
        for i, (func, messages) in enumerate(runs):
            piece = messages[k * len(messages) // slices : (k + 1) * len(messages) // slices]
            out = lat[i]
            start = clock()
            for m in piece:
                t = clock()
                func(m)
                out.append(clock() - t)
            spent[i] += clock() - start
    return [_stats(lat[i], spent[i] / 1e9) for i in range(len(runs))]


def _best_together(runs: list[tuple[Callable[[str], object], list[str]]],
                   rounds: int) -> list[dict[str, float]]:
    """The best of a few rounds of ``_time_together`` for each run: noise only ever adds time."""
    results = [_time_together(runs) for _ in range(max(1, rounds))]
    return [max((r[i] for r in results), key=lambda x: x["messages_per_second"])
            for i in range(len(runs))]


_STARTUP = """
import time, psutil, os
p = psutil.Process(os.getpid()); before = p.memory_info().rss
t = time.perf_counter()
from bot.core import Engine
from bot.core.model import default_model, load_model
m = {model!r}
e = Engine.load({rules!r}, None if m == "none" else default_model() if m == "default" else load_model(m))
e.check("warm up")
dt = time.perf_counter() - t
print(dt, before, p.memory_info().rss)
"""


def startup_and_memory(rules: str | None, model: str = "none") -> dict[str, float]:
    """Start-up and resident memory, measured in a fresh interpreter so nothing is shared."""
    out = subprocess.run([sys.executable, "-c", _STARTUP.format(rules=rules, model=model)],
                         capture_output=True, text=True, check=True).stdout.split()
    seconds, before, after = float(out[0]), int(out[1]), int(out[2])
    return {"startup_seconds": round(seconds, 3), "rss_mb": round(after / 2**20, 1),
            "rss_interpreter_mb": round(before / 2**20, 1)}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("bench", help="measure throughput, latency, start-up and memory")
    p.add_argument("file", nargs="?", help="corpus: text file (one message a line) or CSV/TSV")
    p.add_argument("--size", type=int, default=20000, help="generated corpus size (default 20000)")
    p.add_argument("--baseline-sample", type=int, default=300,
                   help="messages for the better-profanity baseline (default 300)")
    p.add_argument("--rounds", type=int, default=3,
                   help="rounds of the engine and of the baseline; the best of each is reported")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--rules", metavar="PATH", help="ruleset directory (default: shipped rulesets)")
    p.add_argument("--model", default="default",
                   help="model file of the learned stage, 'default' (the shipped one) or 'none'")
    p.add_argument("--worst", action="store_true",
                   help="search for the slowest message instead, and report it")
    p.add_argument("--seconds", type=float, default=20.0,
                   help="how long --worst searches (default 20)")
    p.add_argument("--seed", type=int, default=7, help="random seed of --worst")
    p.set_defaults(func=run)


def run_worst(args: argparse.Namespace, engine) -> int:
    from bot.cli.worst import baselines, search

    found = search(engine, seconds=args.seconds, seed=args.seed)
    base = baselines(engine)
    if args.json:
        print(json.dumps({
            "slowest": [{"milliseconds": round(f.milliseconds, 3), "family": f.family,
                         "length": len(f.text), "text": f.text} for f in found],
            **base, "searched_seconds": args.seconds, "seed": args.seed,
        }, indent=2, ensure_ascii=False))
        return 0
    print(f"searched {args.seconds:g} s (seed {args.seed}); each message is cut to the "
          f"longest a platform delivers")
    print(f"{'ms':>8}  {'family':<28} text")
    for f in found[:8]:
        preview = f.text[:48].encode("unicode_escape").decode("ascii")
        print(f"{f.milliseconds:8.3f}  {f.family[:28]:<28} {preview}")
    print(f"baseline: typical chat message {base['typical_message_ms']:.4f} ms; ordinary chat "
          f"joined into one message of maximum length {base['chat_max_length_ms']:.3f} ms")
    print(f"slowest found: {found[0].milliseconds:.3f} ms")
    return 0


def _missing_extra() -> str | None:
    """The bench extra's packages that are not installed, as one line to print, or None."""
    import importlib.util

    missing = [name for name, module in (("better-profanity", "better_profanity"),
                                         ("psutil", "psutil"))
               if importlib.util.find_spec(module) is None]
    if not missing:
        return None
    return (f"quytac bench needs {' and '.join(missing)} (the baseline and the memory figure): "
            f"pip install 'quytac[bench]'")


def run(args: argparse.Namespace) -> int:
    problem = _missing_extra() if not args.worst else None
    if problem:
        print(problem, file=sys.stderr)
        return 2
    engine = engine_with_model(args.rules, args.model)
    if engine is None:
        return 2
    model = engine.model
    if args.worst:
        return run_worst(args, engine)
    messages = read_corpus(Path(args.file)) if args.file else generated_corpus(args.size)
    if not messages:
        print("empty corpus", file=sys.stderr)
        return 2
    flagged = sum(1 for m in messages if engine.check(m).hits)  # also warms caches
    from better_profanity import profanity

    profanity.load_censor_words()
    sample = messages[: args.baseline_sample]
    # (the engine's two runs one after the other: after the baseline, which fills the processor's
    # caches with its own work, the first messages of a slice pay for reloading them)
    ours, ours_on_sample, baseline = _best_together(
        [(engine.check, messages), (engine.check, sample), (profanity.contains_profanity, sample)],
        args.rounds)
    report = {
        "corpus": args.file or f"generated ({len(messages)} mixed vi/en chat messages)",
        "messages": len(messages), "flagged": flagged,
        "mean_length": round(sum(map(len, messages)) / len(messages), 1),
        "quytac": ours, "quytac_on_baseline_sample": ours_on_sample,
        "better_profanity_0_7": baseline, "model": model.path if model else None,
        **startup_and_memory(args.rules, args.model),
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"corpus: {report['corpus']}, mean length {report['mean_length']} characters, "
          f"{flagged} flagged; model: {report['model'] or 'none'}")
    print(f"{'':28}{'messages/s':>12}{'p50 µs':>10}{'p99 µs':>10}{'max µs':>10}")
    for name, r in (("quytac (full engine)", ours),
                    (f"quytac, first {len(sample)}", ours_on_sample),
                    (f"better-profanity, first {len(sample)}", baseline)):
        print(f"{name:28}{r['messages_per_second']:>12,}{r['p50_us']:>10}{r['p99_us']:>10}"
              f"{r['max_us']:>10}")
    print(f"start-up (import + load all rulesets): {report['startup_seconds']} s; resident memory "
          f"{report['rss_mb']} MB (interpreter alone {report['rss_interpreter_mb']} MB)")
    return 0
