"""The learned stage's features: hashed words and word pairs of a message.

A message is read as the normaliser leaves it (``exact`` and ``folded``, the same length, so a
word sits at the same place in both). Each word is read as it was typed: with its diacritics
where it has them ("đít" is not "địt", "bò" is not "bo"), as it is where it has none ("dit" may
be either, and the model learns how often each). Its features, each hashed into one of
``2**bits`` buckets:

  1. each word, read so;
  2. each pair of neighbouring words ("thằng ngu", "thang ngu"), from the two words' hashes.

Whole words, not pieces of them: a model that reads letter n-grams finds "ass" in "password"
and "cunt" in "Scunthorpe" (measured: it sent "class assignment due tomorrow" to review), and
the pieces of short words, tried as well, measured no better on held-out comments while
tripling the work of every message. Only the first ``MAX_WORDS`` words count, so a forged
message costs what a long one does. A word is FNV-1a over its kind and its code points. The
model's score is the sum of the buckets' weights over the square root of the number of
features (a count each, repeats included): a linear model on length-normalised counts.

This module is the reference; ``_score.c`` computes the same features where it could be
compiled, and the tests hold the two to the same answers.
"""

from __future__ import annotations

import math
import re
from typing import Iterable

MAX_WORDS = 64
WORD, PAIR = 1, 2
_FNV_OFFSET, _FNV_PRIME, _MASK32 = 2166136261, 16777619, 0xFFFFFFFF
_WORD = re.compile(r"[^\W_]+")


def _fnv(kind: int, text: str) -> int:
    h = ((_FNV_OFFSET ^ kind) * _FNV_PRIME) & _MASK32
    for ch in text:
        h = ((h ^ ord(ch)) * _FNV_PRIME) & _MASK32
    return h


def pair_hash(first: int, second: int) -> int:
    """A pair of neighbouring words from the two words' hashes (each word is hashed once)."""
    return ((((first ^ PAIR) * 0x9E3779B1) & _MASK32 ^ second) * _FNV_PRIME) & _MASK32


def _bucket(h: int, bits: int) -> int:
    return (h ^ (h >> 16)) & ((1 << bits) - 1)


def _hash(kind: int, text: str, bits: int) -> int:
    return _bucket(_fnv(kind, text), bits)


def features_py(exact: str, folded: str, bits: int) -> list[int]:
    """The buckets of a message's features, in a fixed order, repeats kept."""
    words = []
    for m in _WORD.finditer(folded):
        a, b = m.span()
        words.append(exact[a:b])  # as typed: folded where it has no marks, which is the same
        if len(words) == MAX_WORDS:
            break
    hashes = [_fnv(WORD, w) for w in words]
    out = [_bucket(h, bits) for h in hashes]
    out += [_bucket(pair_hash(a, b), bits) for a, b in zip(hashes, hashes[1:])]
    return out


def count_words_py(folded: str) -> int:
    """How many words the model reads of a text (at most ``MAX_WORDS``)."""
    count = 0
    for _ in _WORD.finditer(folded):
        count += 1
        if count == MAX_WORDS:
            break
    return count


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
