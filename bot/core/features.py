"""The learned stage's features: hashed words, word pairs and short words' letters.

A message is read as the normaliser leaves it (``exact`` and ``folded``, the same length, so a
word sits at the same place in both). Each word is read as it was typed: with its diacritics
where it has them ("đít" is not "địt", "bò" is not "bo"), folded where it was typed without
("dit" may be either, and the model learns how often each). Its features, each hashed into one
of ``2**bits`` buckets:

  1. each word, read so;
  2. each pair of neighbouring words ("thằng ngu", "thang ngu");
  3. the three- and four-letter pieces of each word of at most ``SHORT`` letters, with its edges
     (" vl ", "vcl": teencode spelled many ways).

Letter pieces of longer words are left out: a model that reads them finds "ass" in "password"
and "cunt" in "Scunthorpe" (measured: it sent "class assignment due tomorrow" to review). Only
the first ``MAX_WORDS`` words count, so a forged message costs what a long one does. A feature
is FNV-1a over its kind and its code points. The model's score is the sum of the buckets'
weights over the square root of the number of features (a count each, repeats included): a
linear model on length-normalised counts.

This module is the reference; ``_score.c`` computes the same features where it could be
compiled, and the tests hold the two to the same answers.
"""

from __future__ import annotations

import math
import re
from typing import Iterable

MAX_WORDS = 64
SHORT = 4  # letter n-grams are read in words of at most this many letters
GRAMS = (3, 4)
WORD, PAIR, GRAM = 1, 2, 4
_FNV_OFFSET, _FNV_PRIME, _MASK32 = 2166136261, 16777619, 0xFFFFFFFF
_WORD = re.compile(r"[^\W_]+")


def _hash(kind: int, text: str, bits: int) -> int:
    h = ((_FNV_OFFSET ^ kind) * _FNV_PRIME) & _MASK32
    for ch in text:
        h = ((h ^ ord(ch)) * _FNV_PRIME) & _MASK32
    return (h ^ (h >> 16)) & ((1 << bits) - 1)


def features_py(exact: str, folded: str, bits: int) -> list[int]:
    """The buckets of a message's features, in a fixed order, repeats kept."""
    words = []
    for m in _WORD.finditer(folded):
        a, b = m.span()
        words.append(exact[a:b])  # as typed: folded where it has no marks, which is the same
        if len(words) == MAX_WORDS:
            break
    out = [_hash(WORD, w, bits) for w in words]
    out += [_hash(PAIR, f"{a} {b}", bits) for a, b in zip(words, words[1:])]
    for w in words:
        if len(w) <= SHORT:
            edged = f" {w} "
            for size in GRAMS:
                out += [_hash(GRAM, edged[i:i + size], bits) for i in range(len(edged) - size + 1)]
    return out


def logit_py(buckets: Iterable[int], weights: list[float] | memoryview, bias: float) -> float:
    """The model's log-odds for a message with these feature buckets."""
    buckets = list(buckets)
    if not buckets:
        return bias
    return bias + sum(weights[b] for b in buckets) / math.sqrt(len(buckets))


def delta_py(buckets: Iterable[int], overlay: dict[int, float]) -> float:
    """What a community's learned weights add to the log-odds of such a message."""
    buckets = list(buckets)
    if not buckets or not overlay:
        return 0.0
    return sum(overlay.get(b, 0.0) for b in buckets) / math.sqrt(len(buckets))
