"""Fit the learned stage on labelled messages, and tune how it meets the rules.

The weights are a logistic regression (scikit-learn, the ``train`` extra) on the hashed features
of ``bot/core/features.py``. A part of the training data (``holdout``, chosen by a hash of each
text) is kept out of the fit and used only to tune the thresholds, with the rules running as
they will in the bot: how far a word hit the model finds implausible is demoted, and from which
score the model alone sends a message to review. Nothing here reads a file it was not given.
"""

from __future__ import annotations

import hashlib
import math
import subprocess
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from bot.core import CommunityPolicy, Engine, detect_language, normalize
from bot.core.context import WordIndex
from bot.core.model import COVERS, Model, Thresholds, logit, sigmoid
from bot.train.data import Labelled, Row

ACT = 0.6  # the acted tier under default settings (``review_threshold``)
FLOOR = 0.4  # the review tier's floor under default settings (``review_floor``)
CLEAN_BUDGET = 0.05  # at most this share of clean messages flagged, on the held-out part
# the acted tier at least this precise there, each file at the prevalence the fit assumes
ACT_PRECISION = 0.85
# how far below the score of a message of words it never saw (its bias alone) the model must
# put a message for a word hit in it to count as implausible, in log-odds: a word the model
# does not know ("f**k", a rare slur) is no evidence of innocence, only its words that pull the
# score down are
BELOW_PRIOR = (1.5, 1.0, 0.5, 0.25, 0.0)
F1_TOLERANCE = 0.005  # review thresholds within this much of the best F1 count as as good
PROMOTE = (1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3)  # (1.0: never)
MIN_WORDS = (1, 2, 3, 4, 5, 6)
WORD_VIA = ("exact", "folded", "teencode")


class TrainError(Exception):
    """Training that cannot go on, with what to do about it."""


@dataclass
class Fitted:
    model: Model
    figures: dict[str, Any] = field(default_factory=dict)


def _sklearn() -> Any:
    try:
        from scipy.sparse import csr_matrix  # noqa: F401
        from sklearn.linear_model import LogisticRegression
    except ImportError:
        raise TrainError("training needs scikit-learn: pip install 'quytac[train]'") from None
    return LogisticRegression


def held_out(text: str, share: float) -> bool:
    """Whether a text belongs to the held-out part (a hash of the text, so stable)."""
    return zlib.crc32(b"holdout:" + text.encode("utf-8", "surrogatepass")) % 10_000 < share * 10_000


def matrix(texts: Iterable[str], reader: Model, total: int,
           progress: Callable[[Iterable, str, int], Iterable]) -> Any:
    """The length-normalised feature counts of each text, one row each."""
    import numpy as np
    from scipy.sparse import csr_matrix

    indptr, indices, values = [0], [], []
    for text in progress(texts, "features", total):
        buckets = reader.features(normalize(text))
        if buckets:
            indices += buckets
            values += [1 / math.sqrt(len(buckets))] * len(buckets)
        indptr.append(len(indices))
    return csr_matrix((np.array(values, dtype=np.float64), np.array(indices, dtype=np.int64),
                       np.array(indptr, dtype=np.int64)), shape=(total, 1 << reader.bits))


def fit(x: Any, y: Any, c: float, clip: float, weights: Any = None) -> tuple[bytes, float]:
    """Weights (float32 bytes) and bias of a logistic regression on features ``x``, each weight
    held within ``clip``: no single word may decide a message (in Facebook comments "bò" is
    nearly always the political slur; in a farmer's chat it is a cow)."""
    import numpy as np

    regression = _sklearn()
    # no class weights: the scores stay probabilities, which the learning from moderators
    # (``bot/core/learned.py``) and the thresholds read as such
    clf = regression(C=c, max_iter=3000, solver="lbfgs")
    clf.fit(x, y, sample_weight=weights)
    weights = np.clip(clf.coef_[0], -clip, clip).astype("<f4").tobytes()
    return weights, float(clf.intercept_[0])


@dataclass
class _Held:
    """What the held-out part gives, per message: its label, its top word hit and its top
    other hit (confidence, 0 for none) by the rules alone, and the model's log-odds."""

    positive: Any
    word: Any
    other: Any
    z: Any  # the model's log-odds as it reads a message for its own hit (everyday words aside)
    whole: Any  # ... of the whole message, as it reads it to move a rule's hit
    language: Any  # of each message, as the engine reads it
    words: Any  # how many words each message has
    # what each message counts for: its file's violations weighted to the prevalence the fit
    # assumes (``_prevalence``), so that thresholds are tuned for chat, not for a file
    # collected for slurs (tuned on Davidson's tweets as they are, 83% offensive, the English
    # review threshold fell to 0.21 and plain chat went to review)
    weight: Any = None


def _held(rows: list[Row], rules: Engine, model: Model,
          progress: Callable[[Iterable, str, int], Iterable], weight: Any = None) -> _Held:
    import numpy as np

    # the rules with the model loaded but changing nothing, and every message read to the end:
    # the hits as the rules give them, and the score as the engine reads it (without the words
    # the rules read as everyday ones)
    probe = Engine(rules.ruleset, Model(model.bits, model.bias, model.weights,
                                        Thresholds(review=1.0, demote_cap=0.0)))
    everything = CommunityPolicy(model_review=1e-9)
    positive, word, other, z, whole, language, words = [], [], [], [], [], [], []
    for r in progress(rows, "tuning", len(rows)):
        verdict = probe.check(r.text, everything, note=True)
        assert verdict.model is not None
        hits = [h for h in verdict.hits if h.via != "model"]
        positive.append(r.positive)
        moved = [h.via in WORD_VIA and h.category in COVERS for h in hits]
        word.append(max((h.confidence for h, m in zip(hits, moved) if m), default=0.0))
        other.append(max((h.confidence for h, m in zip(hits, moved) if not m), default=0.0))
        z.append(logit(verdict.model.base))
        n = normalize(r.text)
        whole.append(model.logit(n))
        language.append(verdict.language or detect_language(n.exact))
        words.append(len(WordIndex(n.folded).list))
    return _Held(np.array(positive), np.array(word), np.array(other), np.array(z),
                 np.array(whole), np.array(language), np.array(words),
                 np.ones(len(rows)) if weight is None else np.asarray(weight, dtype=float))


def _rule_tiers(h: _Held, t: Thresholds) -> tuple[Any, Any]:
    """(acted, flagged by a rule) per held-out message under these thresholds and default
    settings, as the engine would judge (the model's own hits aside)."""
    import numpy as np

    below = np.clip(logit(t.implausible) - h.whole, 0, None)
    demote = np.minimum(t.demote_cap, t.demote_slope * below)
    c = np.clip(h.word, 1e-6, 1 - 1e-6)
    demoted = 1 / (1 + np.exp(demote - np.log(c / (1 - c))))
    # as the engine does it: the model alone never takes a hit below the review floor, and
    # takes one below it up to the floor in a message it scores ``promote`` or more
    word = np.where(h.word > 0, np.maximum(demoted, np.minimum(h.word, FLOOR)), 0.0)
    if t.promote < 1:
        word = np.where((h.word > 0) & (h.word < FLOOR) & (demote == 0)
                        & (h.whole >= logit(t.promote)), FLOOR, word)
    top = np.maximum(word, h.other)
    return top >= ACT, top >= FLOOR


def _tiers(h: _Held, t: Thresholds) -> tuple[Any, Any]:
    """(acted, flagged) per held-out message, the model's own hits included."""
    import numpy as np

    acted, by_rule = _rule_tiers(h, t)
    reviews = dict(t.review_by_language)
    review = np.array([reviews.get(lang, t.review) for lang in h.language])
    return acted, by_rule | ((1 / (1 + np.exp(-h.z)) >= review) & (h.words >= t.min_words))


def _prf(predicted: Any, positive: Any, weight: Any = None) -> dict[str, float]:
    """Precision, recall, F1 and the share of clean messages flagged, each message counting
    for its ``weight`` (1 each if None)."""
    import numpy as np

    w = np.ones(len(positive)) if weight is None else weight
    tp = float(w[predicted & positive].sum())
    fp = float(w[predicted & ~positive].sum())
    fn = float(w[~predicted & positive].sum())
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    clean = float(w[~positive].sum())
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4),
            "clean_share": round(fp / clean, 4) if clean else 0.0}


def tune(h: _Held, bias: float) -> tuple[Thresholds, float, dict[str, Any]]:
    """Demotion and review thresholds together: the best F1 of everything flagged (acted on or
    sent to review), averaged over the languages, with at most ``CLEAN_BUDGET`` of each
    language's clean messages flagged and the acted tier at least ``ACT_PRECISION`` precise,
    each message counting for its weight."""
    languages = [lang for lang in sorted(set(h.language.tolist()))
                 if (h.language == lang).sum() >= 200]  # too few to tune on: the overall one
    parts = {lang: h.language == lang for lang in languages}
    w = h.weight
    best: tuple[float, Thresholds] | None = None
    for below in BELOW_PRIOR:  # (the mildest demotion first: the first that is precise wins)
        implausible = round(sigmoid(bias - below), 4)
        for slope in (0.5, 1.0, 2.0, 4.0):
            for cap in (0.5, 1.0, 1.5, 2.0, 3.0):
                for promote in PROMOTE:
                    demoted = Thresholds(review=1.0, implausible=implausible,
                                         demote_slope=slope, demote_cap=cap, promote=promote)
                    acted, by_rule = _rule_tiers(h, demoted)
                    # (nothing acted on at all: no precision to hold to)
                    if acted.any() and _prf(acted, h.positive, w)["precision"] < ACT_PRECISION:
                        continue
                    for min_words in MIN_WORDS:
                        long_enough = h.words >= min_words
                        reviews = {lang: _review_threshold(h.positive[keep], by_rule[keep],
                                                           h.z[keep], long_enough[keep], w[keep])
                                   for lang, keep in parts.items()}
                        overall = _review_threshold(h.positive, by_rule, h.z, long_enough, w)
                        t = Thresholds(review=overall[1], implausible=implausible,
                                       demote_slope=slope, demote_cap=cap, promote=promote,
                                       min_words=min_words, review_by_language=tuple(
                                           sorted((k, v[1]) for k, v in reviews.items())))
                        f1 = (sum(v[0] for v in reviews.values()) / len(reviews) if reviews
                              else overall[0])
                        if best is None or f1 > best[0] + 1e-9:
                            best = (f1, t)
    if best is None:
        raise TrainError(f"no thresholds give an acted tier {ACT_PRECISION:.0%} precise on the "
                         "held-out part: the rules alone are less precise than that there "
                         "(check the labels, or the rules against this data with quytac eval)")
    objective, thresholds = best
    acted, flagged = _tiers(h, thresholds)
    no_model = Thresholds(review=1.0, implausible=1e-6, demote_slope=0.0, demote_cap=0.0)
    rules_acted, rules_flagged = _tiers(h, no_model)
    figures = {
        "held_out_messages": int(len(h.positive)),
        "acted": _prf(acted, h.positive, w), "flagged": _prf(flagged, h.positive, w),
        "rules_alone": {"acted": _prf(rules_acted, h.positive, w),
                        "flagged": _prf(rules_flagged, h.positive, w)},
        "by_language": {lang: {"messages": int(keep.sum()),
                               "acted": _prf(acted[keep], h.positive[keep], w[keep]),
                               "flagged": _prf(flagged[keep], h.positive[keep], w[keep])}
                        for lang in sorted(set(h.language.tolist()))
                        for keep in [h.language == lang]},
    }
    return thresholds, objective, figures


REVIEW_GRID = tuple(step / 100 for step in range(20, 100))


def _review_threshold(positive: Any, by_rule: Any, z: Any, long_enough: Any, weight: Any
                      ) -> tuple[float, float]:
    """(F1, score) of the score from which the model alone sends to review (messages
    ``long_enough``): the best F1 of everything flagged with at most ``CLEAN_BUDGET`` of clean
    messages flagged (every threshold of the grid at once)."""
    import numpy as np

    grid = np.array(REVIEW_GRID)
    scores = np.where(long_enough, 1 / (1 + np.exp(-z)), 0.0)
    flagged = by_rule[:, None] | (scores[:, None] >= grid[None, :])
    pos = positive[:, None]
    w = weight[:, None]
    tp = ((flagged & pos) * w).sum(0)
    fp = ((flagged & ~pos) * w).sum(0)
    fn = ((~flagged & pos) * w).sum(0)
    clean = max(float(weight[~positive].sum()), 1e-9)
    f1 = np.where(tp > 0, 2 * tp / np.maximum(2 * tp + fp + fn, 1e-9), 0.0)
    allowed = fp / clean <= CLEAN_BUDGET
    if not allowed.any():
        return 0.0, 0.99
    top = float(np.where(allowed, f1, -1.0).max())
    # the highest threshold about as good as the best: a few held-out clean messages cannot
    # tell 0.24 from 0.6, and every point lower is more of a community's chat in review
    best = int(np.flatnonzero(allowed & (f1 >= top - F1_TOLERANCE)).max())
    return float(f1[best]), float(grid[best])


def _prevalence(files: list[Labelled], holdout: float) -> list[float]:
    """Per file, the weight of each of its violations: each file's violations count so that
    every file has the same share of violations, the lowest any file has (measured on the
    fitted part). A file's share says how it was collected (Davidson's tweets were picked for
    slurs, 83% of them are labelled offensive), not how often people break the rules; left as
    they are, the model would expect most English to be offensive, and thresholds tuned on them
    would send plain English chat to review."""
    shares = []
    for f in files:
        kept = [r.positive for r in f.rows if not held_out(r.text, holdout)]
        shares.append(sum(kept) / len(kept) if kept else 0.0)
    target = min((s for s in shares if 0 < s < 1), default=0.0)
    # w * share / (w * share + (1 - share)) = target
    return [target * (1 - share) / ((1 - target) * share) if 0 < share < 1 and target else 1.0
            for share in shares]


def _typing(rows: list[Row]) -> tuple[Any, Any]:
    """Per row, whether it is Vietnamese typed without marks ("toi nay di choi khong"), and
    whether it is Vietnamese typed with them."""
    import numpy as np

    plain, marked = [], []
    for r in rows:
        n = normalize(r.text)
        vietnamese = detect_language(n.exact) == "vi"
        plain.append(vietnamese and n.exact == n.folded)
        marked.append(vietnamese and n.exact != n.folded)
    return np.array(plain, dtype=bool), np.array(marked, dtype=bool)


def _plain_factor(positive: Any, plain: Any, marked: Any) -> float:
    """The weight of a Vietnamese violation typed without marks, so that such violations are as
    frequent among messages typed plain as among those typed with marks. In ViHSD the plain
    comments are harsher (23% offensive against 17%), and a model that learns it reads every
    plain word as more suspect: "con di hoc chua" went to review. How people type says nothing
    of whether they break the rules (as a file's share of violations says how it was collected,
    ``_prevalence``)."""
    if not plain.any() or not marked.any():
        return 1.0
    share, target = positive[plain].mean(), positive[marked].mean()
    if not 0 < target < share < 1:
        return 1.0  # (plain typing no harsher: nothing to undo)
    return float(target * (1 - share) / ((1 - target) * share))


def _row_weights(files: list[Labelled], factors: list[float], holdout: float,
                 held: bool) -> Any:
    """Each row's weight (its file's factor for a violation, 1 for a clean message), of the
    fitted rows or of the held-out ones, in the order ``train`` lists them."""
    import numpy as np

    return np.array([factor if r.positive else 1.0 for f, factor in zip(files, factors)
                     for r in f.rows if held_out(r.text, holdout) == held])


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True,
                             cwd=Path(__file__).resolve().parent, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return ""
    return out.stdout.strip() if out.returncode == 0 else ""


def train(files: list[Labelled], rules: Engine, bits: int = 18,
          strengths: tuple[float, ...] = (8.0, 16.0, 32.0), holdout: float = 0.1,
          command: str = "", clip: float = 5.0,
          progress: Callable[[Iterable, str, int], Iterable] = lambda x, *_: x) -> Fitted:
    """A model fitted on ``files`` less their held-out part, its regularisation chosen and its
    thresholds tuned on that part (the objective of ``tune``)."""
    import numpy as np

    started = time.monotonic()
    rows = [r for f in files for r in f.rows]
    fit_rows = [r for r in rows if not held_out(r.text, holdout)]
    tune_rows = [r for r in rows if held_out(r.text, holdout)]
    if not tune_rows:
        raise TrainError(f"no rows held out for tuning (holdout {holdout}): give more data")
    if len({r.positive for r in fit_rows}) < 2:
        raise TrainError("the training rows need both violations and clean messages")
    reader = Model(bits, 0.0, bytes(4 << bits))
    x = matrix((r.text for r in fit_rows), reader, len(fit_rows), progress)
    y = np.array([r.positive for r in fit_rows], dtype=np.int8)
    factors = _prevalence(files, holdout)
    # violations typed plain weighted down, in the fit and in tuning alike (``_plain_factor``)
    plain_fit, marked = _typing(fit_rows)
    plain = _plain_factor(y == 1, plain_fit, marked)
    plain_held = _typing(tune_rows)[0]
    positive_held = np.array([r.positive for r in tune_rows], dtype=bool)
    weights_of_rows = (_row_weights(files, factors, holdout, held=False)
                       * np.where(plain_fit & (y == 1), plain, 1.0))
    weights_of_held = (_row_weights(files, factors, holdout, held=True)
                       * np.where(plain_held & positive_held, plain, 1.0))
    candidates = []
    best: tuple[float, float, Model, Thresholds, dict[str, Any]] | None = None
    for c in strengths:
        weights, bias = fit(x, y, c, clip, weights_of_rows)
        model = Model(bits, bias, weights)
        thresholds, objective, figures = tune(_held(tune_rows, rules, model, progress,
                                                    weights_of_held), bias)
        candidates.append({"c": c, "objective": round(objective, 4)})
        if best is None or objective > best[0]:
            best = (objective, c, model, thresholds, figures)
    assert best is not None
    _, c, model, thresholds, figures = best
    info = {
        "trained": {
            "files": [{"path": str(f.path), "half": f.half, "rows": len(f.rows),
                       "sha256": _sha256(f.path), "positive_labels": sorted(f.layout.positive)}
                      for f in files],
            "fit_rows": len(fit_rows), "held_out_rows": len(tune_rows), "holdout": holdout,
            "c": c, "clip": clip, "candidates": candidates, "command": command,
            "plain_factor": round(plain, 4),
            "commit": _commit(),
            "date": time.strftime("%Y-%m-%d", time.gmtime()),
            "seconds": round(time.monotonic() - started, 1),
        },
        "held_out_figures": figures,
        "covers": list(COVERS),
    }
    return Fitted(Model(bits, model.bias, model.weights, thresholds, info), figures)
