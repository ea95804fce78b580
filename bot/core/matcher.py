"""One multi-pattern automaton for every term of every rule, matched on the diacritics-folded text.

Each hit on the folded text is then checked against the exact text at the same position:
  - the exact term is there -> an exact hit (the rule's confidence);
  - the user left diacritics out (or used non-Vietnamese look-alike marks) and the term may be
    matched folded -> a folded hit (lower confidence);
  - the user typed different Vietnamese marks ("các" for "cặc", "lớn" for "lồn") -> no hit.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from itertools import accumulate
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


_WORD = re.compile(r"[^\W_]+")


class _Words:
    """Where each word of a text starts and ends, found once per text.

    Widening a wildcard hit to its whole word by walking character by character is quadratic
    on a hostile message that is one 4,000-letter word full of hits.
    """

    __slots__ = ("starts", "ends")

    def __init__(self, text: str) -> None:
        spans = [m.span() for m in _WORD.finditer(text)]
        self.starts = [a for a, _ in spans]
        self.ends = [b for _, b in spans]

    def _index(self, pos: int) -> int:
        return bisect_right(self.starts, pos) - 1

    def start_of(self, pos: int) -> int:
        """Start of the word holding the character at ``pos``."""
        return self.starts[self._index(pos)]

    def end_of(self, pos: int) -> int:
        """End of the word holding the character at ``pos``."""
        return self.ends[self._index(pos)]


class TermMatcher:
    """Aho-Corasick over folded keys; each key carries the entries that share it."""

    def __init__(self, entries: Iterable[TermEntry], enough: int = 8) -> None:
        self.enough = enough
        table: dict[str, list[TermEntry]] = {}
        for entry in entries:
            table.setdefault(fold(entry.exact), []).append(entry)
        self.size = len(table)
        # rules with an exception phrase: whether a hit counts depends on where it is
        guarded = {e.rule for group in table.values() for e in group if e.via == "exception"}
        self._automaton = ahocorasick.Automaton()
        # the exception phrases alone, to learn cheaply which rules' phrases a text holds
        self._phrases = ahocorasick.Automaton()
        for key, group in table.items():
            self._automaton.add_word(
                key, (len(key), tuple(group),
                      frozenset(e.rule for e in group if e.rule in guarded)))
            excepting = frozenset(e.rule for e in group if e.via == "exception")
            if excepting:
                wild = any(e.open_start or e.open_end for e in group if e.via == "exception")
                self._phrases.add_word(key, (len(key), excepting, wild))
        if table:
            self._automaton.make_automaton()
        if len(self._phrases):
            self._phrases.make_automaton()

    def scan(self, n: Normalized) -> list[TermMatch]:
        if not self.size:
            return []
        exact, folded = n.exact, n.folded
        unaccented = exact == folded
        out: list[TermMatch] = []
        size = len(folded)
        for last, (length, group, _) in self._automaton.iter(folded):
            start, end = last - length + 1, last + 1
            before = start > 0 and folded[start - 1].isalnum()
            after = end < size and folded[end].isalnum()
            for entry, via, conf in _decide(group, exact[start:end], before, after, unaccented):
                if entry.squeeze_only and n.squeezed.isdisjoint(range(start, end)):
                    continue
                if (entry.open_start and before) or (entry.open_end and after):
                    return self._scan_many(n)  # widening to whole words: the careful path
                out.append(TermMatch(entry, start, end, via, conf))
            if len(out) > self.enough:
                return self._scan_many(n)  # a forged message, most likely
        return out

    def _scan_many(self, n: Normalized) -> list[TermMatch]:
        """The scan for messages with many matches or wildcard terms: each typed form is decided
        once, repeats past what a verdict lists are skipped, and wildcard hits widen to their
        word with one index of the text's words rather than a walk per hit."""
        exact, folded = n.exact, n.folded
        unaccented = exact == folded
        out: list[TermMatch] = []
        size = len(folded)
        words: _Words | None = None
        # Per typed form: what it matches, and how many of its hits were listed that no
        # exception phrase can cancel ("sure" hits). Past the number of hits a verdict lists per
        # rule, more of the same form change nothing: the rule already has that many hits that
        # stand, each earlier than any more.
        decided: dict[tuple[str, bool, bool], list] = {}
        enough = self.enough
        # a rule is guarded only where one of its exception phrases occurs (the folded key is
        # enough to say it may: more than that only makes the scan careful where it need not be)
        present: set[int] = set()
        phrases = Spans()
        if len(self._phrases):
            for last, (length, rules, wild) in self._phrases.iter(folded):
                present |= rules
                a, b = last - length + 1, last + 1
                if wild:  # a wildcard phrase may stand for its whole words: as wide as that
                    words = words or _Words(folded)
                    a, b = words.start_of(a), words.end_of(b - 1)
                phrases.add(a, b)
        new = tuple.__new__  # a TermMatch without the named tuple's Python-level __new__
        for last, (length, group, guarded) in self._automaton.iter(folded):
            start, end = last - length + 1, last + 1
            before = start > 0 and folded[start - 1].isalnum()
            after = end < size and folded[end].isalnum()
            key = (exact[start:end], before, after)
            form = decided.get(key)
            if form is None:
                form = decided[key] = [_decide(group, key[0], before, after, unaccented), 0]
            found, count = form
            # inside a phrase that may cancel it: listed whatever the count (the engine decides)
            sure = not guarded & present or not phrases.inside(start, end)
            if not found or (count >= enough and sure):
                continue
            before_len = len(out)
            for entry, via, confidence in found:
                if entry.squeeze_only and n.squeezed.isdisjoint(range(start, end)):
                    continue
                s, e = start, end
                if (entry.open_start and before) or (entry.open_end and after):
                    if words is None:
                        words = _Words(folded)
                    if entry.open_start and before:
                        s = words.start_of(start - 1)
                    if entry.open_end and after:
                        e = words.end_of(end)
                out.append(new(TermMatch, (entry, s, e, via, confidence)))
            if sure and len(out) > before_len:
                form[1] = count + 1
        return out


class Spans:
    """Spans, and whether a span lies inside one of them: sorted by start with the furthest end
    reached so far, one bisection a question (sorted once, when first asked)."""

    __slots__ = ("spans", "starts", "reach")

    def __init__(self) -> None:
        self.spans: list[tuple[int, int]] = []
        self.starts: list[int] | None = None
        self.reach: list[int] = []

    def add(self, a: int, b: int) -> None:
        self.spans.append((a, b))
        self.starts = None

    def inside(self, a: int, b: int) -> bool:
        if self.starts is None:
            self.spans.sort()
            self.starts = [x for x, _ in self.spans]
            self.reach = list(accumulate((y for _, y in self.spans), max))
        i = bisect_right(self.starts, a) - 1
        return i >= 0 and self.reach[i] >= b


def _decide(group: tuple[TermEntry, ...], typed: str, before: bool, after: bool,
            unaccented: bool) -> tuple[tuple[TermEntry, str, float], ...]:
    """The entries of ``group`` that ``typed`` matches between these boundaries, and how."""
    found = []
    for entry in group:
        if (before and not entry.open_start) or (after and not entry.open_end):
            continue
        if entry.needs_marks and unaccented:
            continue  # "ngu" in "di ngu thoi" may well be "ngủ"
        if typed == entry.exact:
            found.append((entry, entry.via if entry.via != "term" else "exact", entry.confidence))
        elif entry.foldable and consistent(typed, entry.exact):
            found.append((entry, entry.via if entry.via != "term" else "folded",
                          entry.folded_confidence))
    return tuple(found)
