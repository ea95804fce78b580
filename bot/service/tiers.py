"""Which tier a hit falls in under a community's settings: acted on, sent to review, or neither.

A rule's hit is acted on from ``review_threshold`` (0.6) and sent to review from
``review_floor`` (0.4); below, nobody is troubled with it. The model's own hits go to review
(the engine makes one only from the model's review threshold) and are acted on only where a
community opts in with ``model_act_threshold``.
"""

from __future__ import annotations

from typing import Iterable

from bot.core import Hit
from bot.service.settings import Settings

ACT, REVIEW, NONE = "act", "review", "none"
_RANK = {NONE: 0, REVIEW: 1, ACT: 2}


def tier(hit: Hit, settings: Settings) -> str:
    if hit.via == "model":
        act = settings.model_act_threshold
        return ACT if act is not None and hit.confidence >= act else REVIEW
    if hit.confidence >= settings.review_threshold:
        return ACT
    return REVIEW if hit.confidence >= settings.review_floor else NONE


def top_tier(hits: Iterable[Hit], settings: Settings) -> str:
    """The highest tier among ``hits`` (``none`` for none)."""
    best = NONE
    for hit in hits:
        t = tier(hit, settings)
        if _RANK[t] > _RANK[best]:
            best = t
    return best


def in_tier(hits: Iterable[Hit], settings: Settings, wanted: str) -> list[Hit]:
    return [h for h in hits if tier(h, settings) == wanted]
