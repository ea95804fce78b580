"""One multi-pattern automaton for every term of every rule, matched on the diacritics-folded text.

Each hit on the folded text is then checked against the exact text at the same position:
  - the exact term is there -> an exact hit (the rule's confidence);
  - the user left diacritics out (or used non-Vietnamese look-alike marks) and the term may be
    matched folded -> a folded hit (lower confidence);
  - the user typed different Vietnamese marks ("các" for "cặc", "lớn" for "lồn") -> no hit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, NamedTuple

import ahocorasick

from bot.core.confusables import VIETNAMESE_LETTERS
from bot.core.normalize import Normalized, fold, normalize_term


@dataclass(frozen=True, slots=True)
class TermEntry:
    rule: int  # index of the rule in the engine's rule list
    exact: str  # normalised form, diacritics kept
    foldable: bool
    confidence: float
    folded_confidence: float
    via: str  # term | teencode | exception
    languages: tuple[str, ...]
    open_start: bool  # "*term": may end a longer word
    open_end: bool  # "term*": may start a longer word
    squeeze_only: bool = False  # "fagot" for "faggot": only where a run was squeezed
    needs_marks: bool = False  # unaccented Vietnamese term: only in text typed with diacritics


class TermMatch(NamedTuple):
    entry: TermEntry
    start: int  # span in the normalised (exact/folded) text
    end: int
    via: str  # exact | folded | teencode | exception
    confidence: float


def parse_term(term: str) -> tuple[str, bool, bool]:
    """A ruleset term, its wildcards split off: ("fuck*") -> ("fuck", False, True)."""
    open_start = term.startswith("*")
    open_end = term.endswith("*")
    return normalize_term(term.strip("*")), open_start, open_end


def consistent(typed: str, term: str) -> bool:
    """Whether ``typed`` is ``term`` with diacritics left out or faked, never changed.

    Called only where ``typed`` and ``term`` fold to the same letters.
    """
    if len(typed) != len(term):
        return False
    if typed.isascii():
        return True  # no diacritics typed at all: the plain omission case
    for a, b in zip(typed, term):
        if a == b:
            continue
        if a in VIETNAMESE_LETTERS and a != fold(b):
            return False  # a real Vietnamese letter with other marks: another word
        if fold(a) != fold(b):
            return False
    return True


class TermMatcher:
    """Aho-Corasick over folded keys; each key carries the entries that share it."""

    def __init__(self, entries: Iterable[TermEntry]) -> None:
        table: dict[str, list[TermEntry]] = {}
        for entry in entries:
            table.setdefault(fold(entry.exact), []).append(entry)
        self.size = len(table)
        self._automaton = ahocorasick.Automaton()
        for key, group in table.items():
            self._automaton.add_word(key, (len(key), tuple(group)))
        if table:
            self._automaton.make_automaton()

    def scan(self, n: Normalized) -> list[TermMatch]:
        if not self.size:
            return []
        exact, folded = n.exact, n.folded
        out: list[TermMatch] = []
        size = len(folded)
        for last, (length, group) in self._automaton.iter(folded):
            start, end = last - length + 1, last + 1
            before = start > 0 and folded[start - 1].isalnum()
            after = end < size and folded[end].isalnum()
            typed = exact[start:end]
            for entry in group:
                if (before and not entry.open_start) or (after and not entry.open_end):
                    continue
                if entry.squeeze_only and not any(p in n.squeezed for p in range(start, end)):
                    continue
                if entry.needs_marks and exact == folded:
                    continue  # "ngu" in "di ngu thoi" may well be "ngủ"
                s, e = start, end
                if entry.open_start:
                    while s > 0 and folded[s - 1].isalnum():
                        s -= 1
                if entry.open_end:
                    while e < size and folded[e].isalnum():
                        e += 1
                if typed == entry.exact:
                    via = entry.via if entry.via != "term" else "exact"
                    out.append(TermMatch(entry, s, e, via, entry.confidence))
                elif entry.foldable and consistent(typed, entry.exact):
                    via = entry.via if entry.via != "term" else "folded"
                    out.append(TermMatch(entry, s, e, via, entry.folded_confidence))
        return out
