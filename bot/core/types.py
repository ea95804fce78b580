"""Values that cross layers: the platform-neutral message and the engine's verdict."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import NamedTuple


@dataclass(frozen=True, slots=True)
class Message:
    """One message as every adapter hands it to the core."""

    text: str
    author_id: str = ""
    channel_id: str = ""
    community_id: str = ""
    timestamp: float = 0.0
    mention_count: int = 0


class Hit(NamedTuple):
    """One rule broken by one message, with where and how sure.

    Immutable like the other values here, but a named tuple: a frozen dataclass sets each of its
    nine fields through ``object.__setattr__``, which was a sixth of checking a flagged message.
    """

    rule_id: str
    category: str
    clause: str
    severity: int
    start: int  # span in the ORIGINAL text, end exclusive
    end: int
    matched: str  # original text of the span
    confidence: float
    via: str  # exact | folded | teencode | pattern | link | mentions | flood | duplicate | model


class ModelNote(NamedTuple):
    """What the learned stage contributed to a verdict (a named tuple, as ``Hit``: one is built
    for every flagged message; the probabilities are worked out when asked for)."""

    z: float  # the shipped model's log-odds that the message breaks the rules
    learned: float  # what the community's learned weights added to them
    changed: tuple[tuple[str, float, float], ...] = ()  # (rule, confidence before, after)
    # words the rules read as everyday ones here ("dm" in "check dm"), which the model did not
    # read: it sees them as the same letters as the listed words
    set_aside: tuple[str, ...] = ()
    # the message's two normalised forms as the model read them (``Model.features_of`` gives
    # what learning keeps of it: hashed features; the text itself is never stored)
    read: tuple[str, str] = ("", "")

    @property
    def score(self) -> float:
        """The probability the message breaks the rules, the community's learning in."""
        return _sigmoid(self.z + self.learned)

    @property
    def base(self) -> float:
        """The same by the shipped model alone."""
        return _sigmoid(self.z)


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1 / (1 + math.exp(-z))
    e = math.exp(z)
    return e / (1 + e)


class Verdict(NamedTuple):
    """What the engine says about one message (a named tuple, as ``Hit``: one is built for
    every flagged message)."""

    hits: tuple[Hit, ...] = ()
    language: str | None = None  # vi | en | other; None when nothing needed it
    model: ModelNote | None = None  # None: no model loaded, or a clean message

    @property
    def clean(self) -> bool:
        return not self.hits

    def top(self) -> Hit | None:
        """The most severe hit (ties broken by confidence), as the ladder will use it."""
        if not self.hits:
            return None
        return max(self.hits, key=lambda h: (h.severity, h.confidence))


@dataclass(frozen=True, slots=True)
class RecentMessage:
    """What the flood window remembers of a past message: never the text, only a hash."""

    timestamp: float
    digest: int


@dataclass(slots=True)
class ChannelWindow:
    """Recent messages per (author, channel); kept by the engine's caller and passed in."""

    recent: dict[tuple[str, str], list[RecentMessage]] = field(default_factory=dict)
