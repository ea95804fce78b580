"""The runs of characters around sparse hints in a text: the words a leetspeak character or a
dot between letters stands in. Found from each hint outwards (the run's start read on the
reversed text), where one regex for "a run holding a hint" tries a lookbehind at every position.
"""

from __future__ import annotations

import re


def runs_around(text: str, hint: re.Pattern[str], run: re.Pattern[str]) -> list[tuple[int, int]]:
    """Spans of the maximal runs of ``run`` characters (``run`` matches such a run, possibly
    empty) that hold the start of a ``hint`` match, in order, each once."""
    spans: list[tuple[int, int]] = []
    back = ""
    size = len(text)
    found = hint.search(text)
    while found is not None:
        at = found.start()
        if not back:
            back = text[::-1]
        start = at - (run.match(back, size - at).end() - (size - at))
        end = run.match(text, at).end()
        spans.append((start, end))
        found = hint.search(text, max(end, at + 1))  # the next one past this run
    return spans
