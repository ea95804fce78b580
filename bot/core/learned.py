"""What a community's moderators taught the bot: weights over the model's feature buckets.

Every moderator decision is a labelled example (a confirmed review item is a violation, a
dismissed one is not, ...), kept as the message's hashed feature buckets and the log-odds the bot
gave it before any learning (``prior``), never as text. One online step per example moves the
community's weights so that messages like it are judged as the moderator did; the weights add to
the log-odds of every hit and of the model's score, in that community only. Replaying the
examples in order gives the same weights, so forgetting a member's examples is a replay without
them.
"""

from __future__ import annotations

import math
from array import array
from collections import Counter
from dataclasses import dataclass
from typing import Iterable

LEARNING_RATE = 1.5
MAX_WEIGHT = 6.0  # per bucket: no run of decisions makes one word decide alone
_GOLDEN = 2654435761  # the probe's multiplier, as _score.c has it


@dataclass(frozen=True, slots=True)
class Example:
    """One moderator decision, as the learning keeps it."""

    buckets: tuple[int, ...]
    prior: float  # log-odds before the community's weights (the rules' or the model's)
    label: int  # 1: a violation, 0: not


class Overlay:
    """A community's learned weights, with the probe table ``_score.c`` reads."""

    __slots__ = ("weights", "keys", "vals")

    def __init__(self, weights: dict[int, float]) -> None:
        self.weights = {b: w for b, w in weights.items() if w}
        size = 1
        while size < 2 * len(self.weights) or size < 8:
            size *= 2
        keys = array("I", bytes(4 * size))
        vals = array("f", bytes(4 * size))
        mask = size - 1
        for b, w in self.weights.items():
            slot = (b * _GOLDEN) & 0xFFFFFFFF & mask
            while keys[slot]:
                slot = (slot + 1) & mask
            keys[slot] = b + 1
            vals[slot] = w
        self.keys, self.vals = keys, vals

    def __bool__(self) -> bool:
        return bool(self.weights)

    def delta(self, buckets: Iterable[int]) -> float:
        buckets = list(buckets)
        if not buckets:
            return 0.0
        return sum(self.weights.get(b, 0.0) for b in buckets) / math.sqrt(len(buckets))


def step(weights: dict[int, float], example: Example) -> dict[int, float]:
    """The weights after one example: a step of logistic regression on its buckets, starting
    from the log-odds the bot gave it (the prior plus what was learned before)."""
    if not example.buckets:
        return weights
    scale = 1 / math.sqrt(len(example.buckets))
    z = example.prior + scale * sum(weights.get(b, 0.0) for b in example.buckets)
    p = 1 / (1 + math.exp(-z)) if z >= 0 else math.exp(z) / (1 + math.exp(z))
    error = p - example.label
    out = dict(weights)
    for b, count in Counter(example.buckets).items():
        w = out.get(b, 0.0) - LEARNING_RATE * error * count * scale
        out[b] = max(-MAX_WEIGHT, min(MAX_WEIGHT, w))
    return out


def replay(examples: Iterable[Example]) -> dict[int, float]:
    """The weights that these examples, in this order, teach."""
    weights: dict[int, float] = {}
    for example in examples:
        weights = step(weights, example)
    return weights
