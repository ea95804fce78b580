"""The learned stage: a model file, loaded once, that gives every message a violation score.

A model file is one line of JSON (what the model is, how it was trained, the thresholds tuned
for it) followed by ``2**bits`` little-endian float32 weights, one per feature bucket
(``bot/core/features.py``). The score is computed in C where ``_score.c`` was compiled and by the
Python reference elsewhere (the same numbers, slower).

How the score meets the rules (``Engine``): a word hit the model finds implausible (a likely
collision of a listed word with an everyday one) loses confidence, at most ``demote_cap`` in
log-odds; a message no rule catches goes to review when the score reaches ``review``; a
community's learned weights (``bot/core/learned.py``) add to the log-odds of every hit.
"""

from __future__ import annotations

import json
import math
import sys
from array import array
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from bot.core.features import count_words_py, delta_py, features_py, logit_py
from bot.core.normalize import Normalized

FORMAT = "quytac-model/1"
FEATURES = "features/4"  # the feature definition the weights were trained on
MAX_FILE_BYTES = 8 * 2**20
# what offensive-language data labels (ViHSD, Davidson): insults, obscenity, hate, contempt
COVERS = ("insult", "obscene", "hate", "discrimination")

try:
    from bot.core import _score  # type: ignore[attr-defined]
except ImportError:  # built without a C compiler: the same scores, slower
    _score = None


class ModelError(Exception):
    """A model file that cannot be used, with the file and what is wrong."""


def logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


def sigmoid(z: float) -> float:
    if z >= 0:
        return 1 / (1 + math.exp(-z))
    e = math.exp(z)
    return e / (1 + e)


def _feature_count(words: int) -> int:
    """How many features a text of ``words`` words has: each word, and each neighbouring pair."""
    return 2 * words - 1 if words else 0


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Tuned with the model, on data it was not trained on (see its card)."""

    review: float = 0.8  # a message scoring this much goes to review with no rule hit
    implausible: float = 0.1  # below this score a word hit is probably a collision
    demote_slope: float = 1.0  # log-odds taken off a hit per log-odds below ``implausible``
    demote_cap: float = 1.5  # ... and at most this much
    # a word hit below the review floor ("đẹp vl") goes to review in a message scoring this much:
    # two weak signals, neither enough alone
    promote: float = 1.0
    # the model alone sends a message to review only if it has at least this many words: on a
    # few words it has little to read, and measured on held-out comments it is mostly wrong
    min_words: int = 1
    # the review threshold in messages of these languages, instead (a model is calibrated per
    # language as well as its data lets it be: Vietnamese comments and English tweets differ)
    review_by_language: tuple[tuple[str, float], ...] = ()


@dataclass
class Model:
    """A loaded model: its weights, thresholds and what its file says about it."""

    bits: int
    bias: float
    weights: bytes
    thresholds: Thresholds = field(default_factory=Thresholds)
    info: dict[str, Any] = field(default_factory=dict)
    path: str = ""

    def __post_init__(self) -> None:
        if len(self.weights) != 4 << self.bits:
            raise ModelError(f"{self.path or 'model'}: expected {4 << self.bits} bytes of "
                             f"weights for 2**{self.bits} buckets, got {len(self.weights)}")
        self._c = _score.Scorer(self.weights, self.bits, self.bias) if _score else None
        self._floats = memoryview(self.weights).cast("f") if self._c is None else None
        t = self.thresholds
        self.review_logit = logit(t.review)
        self._review_logits = {lang: logit(r) for lang, r in t.review_by_language}
        # below this, no language's threshold is reached: the message needs no language read
        self.lowest_review_logit = min([self.review_logit, *self._review_logits.values()])
        self.implausible_logit = logit(t.implausible)
        self.promote_logit = logit(t.promote) if t.promote < 1 else math.inf
        # the categories of hit its training data labelled: the only ones it may move
        self.covers = frozenset(self.info.get("covers", COVERS))

    # -- scoring -----------------------------------------------------------------------------

    @staticmethod
    def count_words(folded: str) -> int:
        """How many words the model reads of a text (``min_words`` counts these)."""
        return _score.count_words(folded) if _score else count_words_py(folded)

    def features(self, n: Normalized) -> list[int]:
        return self.features_of(n.exact, n.folded)

    def features_of(self, exact: str, folded: str) -> list[int]:
        if self._c is not None:
            return self._c.features(exact, folded)
        return features_py(exact, folded, self.bits)

    def logit(self, n: Normalized) -> float:
        """The message's log-odds of breaking the rules, by the shipped weights alone."""
        if self._c is not None:
            return self._c.logit(n.exact, n.folded)
        return logit_py(features_py(n.exact, n.folded, self.bits), self._floats, self.bias)

    def logit_function(self) -> Any:
        """``f(exact, folded)`` -> log-odds: the C scorer's own method where there is one."""
        if self._c is not None:
            return self._c.logit
        return lambda exact, folded: logit_py(features_py(exact, folded, self.bits),
                                              self._floats, self.bias)

    def logits(self, n: Normalized, learned: Any) -> tuple[float, float]:
        """(log-odds, what a community's learned weights add): ``learned`` an ``Overlay``."""
        return self.logits_of(n.exact, n.folded, learned)

    def logits_of(self, exact: str, folded: str, learned: Any = None) -> tuple[float, float]:
        """``logits`` of a text given as its two normalised forms (``learned`` may be None)."""
        if self._c is not None:
            if learned:
                return self._c.logits(exact, folded, learned.keys, learned.vals)
            return self._c.logit(exact, folded), 0.0
        buckets = features_py(exact, folded, self.bits)
        base = logit_py(buckets, self._floats, self.bias)
        return base, delta_py(buckets, learned.weights) if learned else 0.0

    def logits_set_aside(self, exact: str, folded: str, whole: str, learned: Any = None
                         ) -> tuple[float, float]:
        """``logits_of`` a text whose everyday words were blanked out (``exact``, ``folded``),
        those words still counted as read (``whole``: the folded text before blanking). A word
        the rules read as an everyday one is a word of no weight, not a missing one: read
        without it, "mẹ nhớ con" with "mẹ nhớ" set aside would be "con" alone, which weighs
        what the whole message did."""
        z, extra = self.logits_of(exact, folded, learned)
        kept, read = _feature_count(self.count_words(folded)), _feature_count(
            self.count_words(whole))
        if 0 < kept < read:
            factor = math.sqrt(kept / read)
            z, extra = self.bias + (z - self.bias) * factor, extra * factor
        return z, extra

    def score(self, n: Normalized) -> float:
        return sigmoid(self.logit(n))

    def review_logit_for(self, language: str) -> float:
        """The log-odds from which a message in ``language`` goes to review on the score alone."""
        return self._review_logits.get(language, self.review_logit)

    def review_for(self, language: str) -> float:
        return dict(self.thresholds.review_by_language).get(language, self.thresholds.review)

    def demotion(self, z: float) -> float:
        """Log-odds taken off a word hit in a message of log-odds ``z``."""
        t = self.thresholds
        below = self.implausible_logit - z
        return min(t.demote_cap, t.demote_slope * below) if below > 0 else 0.0

    # -- files -------------------------------------------------------------------------------

    def header(self) -> dict[str, Any]:
        t = self.thresholds
        return {"format": FORMAT, "features": FEATURES, "bits": self.bits, "bias": self.bias,
                "thresholds": {"review": t.review, "implausible": t.implausible,
                               "demote_slope": t.demote_slope, "demote_cap": t.demote_cap,
                               "promote": t.promote, "min_words": t.min_words,
                               "review_by_language": dict(t.review_by_language)},
                **self.info}

    def save(self, path: Path | str) -> None:
        weights = self.weights
        if sys.byteorder == "big":  # the file is little-endian, whatever wrote it
            swapped = array("f", weights)
            swapped.byteswap()
            weights = swapped.tobytes()
        line = json.dumps(self.header(), ensure_ascii=False, sort_keys=True).encode("utf-8")
        Path(path).write_bytes(line + b"\n" + weights)


def load_model(path: Path | str) -> Model:
    """Read a model file; ``ModelError`` names the file and what is wrong with it."""
    where = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ModelError(f"{where}: cannot read: {exc.strerror or exc}") from None
    return parse_model(data, where)


def parse_model(data: bytes, where: str) -> Model:
    if len(data) > MAX_FILE_BYTES:
        raise ModelError(f"{where}: {len(data):,} bytes, more than a model may have "
                         f"({MAX_FILE_BYTES:,})")
    line, newline, weights = data.partition(b"\n")
    try:
        header = json.loads(line.decode("utf-8")) if newline else None
    except (UnicodeDecodeError, json.JSONDecodeError):
        header = None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ModelError(f"{where}: not a quytac model file (its first line must be JSON with "
                         f'"format": "{FORMAT}")')
    if header.get("features") != FEATURES:
        raise ModelError(f"{where}: trained on features {header.get('features')!r}; this "
                         f"version reads {FEATURES!r} (retrain it with `quytac model train`)")
    bits, bias = header.get("bits"), header.get("bias")
    if not isinstance(bits, int) or not 8 <= bits <= 24 or not isinstance(bias, (int, float)):
        raise ModelError(f"{where}: 'bits' must be a whole number from 8 to 24 and 'bias' a "
                         "number")
    raw = dict(header.get("thresholds") or {})
    try:
        by_language = tuple(sorted((str(k), float(v))
                                   for k, v in (raw.pop("review_by_language", None) or {}).items()))
        words = int(raw.pop("min_words", 1))
        thresholds = Thresholds(**{k: float(v) for k, v in raw.items()},
                                review_by_language=by_language, min_words=words)
    except (TypeError, ValueError, AttributeError) as exc:
        raise ModelError(f"{where}: bad 'thresholds': {exc}") from None
    if sys.byteorder == "big":
        swapped = array("f", weights)
        swapped.byteswap()
        weights = swapped.tobytes()
    info = {k: v for k, v in header.items()
            if k not in ("format", "features", "bits", "bias", "thresholds")}
    return Model(bits, float(bias), bytes(weights), thresholds, info, where)


DEFAULT_MODEL = "default.qtm"


def default_model() -> Model | None:
    """The model shipped in the package (``bot/models/``), or None if this install has none."""
    try:
        ref = resources.files("bot.models") / DEFAULT_MODEL
        data = ref.read_bytes()
    except (FileNotFoundError, ModuleNotFoundError, OSError):
        return None
    return parse_model(data, f"bot/models/{DEFAULT_MODEL}")
