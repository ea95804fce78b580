"""Which language a community writes in, for the texts meant for all of it (the mod log) when its
``language`` setting is ``auto``.

A sample of its messages is read (every one until a few dozen are counted, then one in
``SAMPLE_EVERY``), so clean traffic pays for a language guess rarely; the counts halve past
``KEEP`` so that a community whose talk changes language is followed. Only counts are kept, per
process and in memory: after a restart the first messages tell it again.
"""

from __future__ import annotations

from bot.core import detect_language
from bot.service.bounded import LRU

SAMPLE_EVERY = 16
WARM = 30  # every message is read until this many are counted
TRUSTED = 5  # counted messages before the majority is said
KEEP = 400


class LanguageTally:
    """Per community: how many sampled messages were Vietnamese and how many English."""

    def __init__(self, communities: int = 10_000) -> None:
        self._counts: LRU[str, list[int]] = LRU(communities)  # [vi, en, messages seen]

    def observe(self, community: str, text: str, language: str | None = None) -> None:
        """One message of the community; ``language`` when it is known already."""
        counts = self._counts.get(community)
        if counts is None:
            counts = self._counts[community] = [0, 0, 0]
        counts[2] += 1
        if language is None:
            if counts[0] + counts[1] >= WARM and counts[2] % SAMPLE_EVERY:
                return
            if not text.strip():
                return
            language = detect_language(text)
        if language == "vi":
            counts[0] += 1
        elif language == "en":
            counts[1] += 1
        if counts[0] + counts[1] > KEEP:
            counts[0] //= 2
            counts[1] //= 2

    def majority(self, community: str) -> str | None:
        """``vi`` or ``en`` once enough of the community's messages were read; None before."""
        counts = self._counts.get(community)
        if counts is None or counts[0] + counts[1] < TRUSTED:
            return None
        return "vi" if counts[0] >= counts[1] else "en"
