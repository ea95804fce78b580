"""Whether a term stands where its rule says it counts: the words just before and after it.

"mọi" is a slur after "bọn" and the word *every* before "người"; "dm" is an insult, and a direct
message in "check dm". A rule says which with a context (``rulesets/``, see README "Writing a
rule"); this module answers it for one hit, on the diacritics-folded text, so a context word
typed without its marks still counts. Asked only for the hits of terms that have a context.
"""

from __future__ import annotations

import re
from bisect import bisect_right

from bot.core.normalize import Normalized, fold, normalize_term
from bot.core.ruleset import Context

_WORD = re.compile(r"[^\W_]+")
_SENTENCE_END = frozenset(".!?…\n:;")


class WordIndex:
    """Where each word of a text starts and ends, found once per text."""

    __slots__ = ("text", "starts", "ends", "list")

    def __init__(self, text: str) -> None:
        self.text = text
        found = list(_WORD.finditer(text))
        self.starts = [m.start() for m in found]
        self.ends = [m.end() for m in found]
        self.list = [m.group() for m in found]

    def index(self, pos: int) -> int:
        """The word holding the character at ``pos`` (or the last word before it)."""
        return bisect_right(self.starts, pos) - 1

    def start_of(self, pos: int) -> int:
        """Start of the word holding the character at ``pos``."""
        return self.starts[self.index(pos)]

    def end_of(self, pos: int) -> int:
        """End of the word holding the character at ``pos``."""
        return self.ends[self.index(pos)]

    def words(self, a: int, b: int) -> tuple[str, ...]:
        """Words number ``a`` to ``b`` (exclusive); () where the text has not that many."""
        if a < 0 or b > len(self.list):
            return ()
        return tuple(self.list[a:b])


NUMBER = "<number>"  # a context word that stands for any number ("500 ml" is not "ml")


class _Phrases:
    """Context phrases by their length in words, so a check looks at each window once."""

    __slots__ = ("by_size", "number")

    def __init__(self, texts: tuple[str, ...]) -> None:
        self.number = NUMBER in texts
        by_size: dict[int, set[tuple[str, ...]]] = {}
        for t in texts:
            if t != NUMBER:
                words = tuple(_WORD.findall(fold(normalize_term(t))))
                if words:
                    by_size.setdefault(len(words), set()).add(words)
        self.by_size = tuple(by_size.items())

    def __bool__(self) -> bool:
        return bool(self.by_size) or self.number

    def before(self, words: WordIndex, first: int, within: int) -> bool:
        """Whether one of the phrases ends at most ``within`` words before word ``first``."""
        for gap in range(within):
            end = first - gap
            if self.number and end >= 1 and words.list[end - 1].isdecimal():
                return True
            for size, phrases in self.by_size:
                if end - size >= 0 and tuple(words.list[end - size:end]) in phrases:
                    return True
        return False

    def after(self, words: WordIndex, last: int, within: int) -> bool:
        """Whether one of the phrases starts at most ``within`` words after word ``last``."""
        count = len(words.list)
        for gap in range(within):
            start = last + 1 + gap
            if self.number and start < count and words.list[start].isdecimal():
                return True
            for size, phrases in self.by_size:
                if start + size <= count and tuple(words.list[start:start + size]) in phrases:
                    return True
        return False


class CompiledContext:
    """A rule's context with its phrases normalised and folded, as the text will be."""

    __slots__ = ("before", "not_before", "after", "not_after", "within", "unless_name")

    def __init__(self, spec: Context) -> None:
        self.before = _Phrases(spec.preceded_by)
        self.not_before = _Phrases(spec.not_preceded_by)
        self.after = _Phrases(spec.followed_by)
        self.not_after = _Phrases(spec.not_followed_by)
        self.within = spec.within
        self.unless_name = spec.unless_name

    def holds(self, n: Normalized, words: WordIndex, start: int, end: int) -> bool:
        """Whether the hit at [start, end) of the folded text counts where it stands."""
        first, last = words.index(start), words.index(max(start, end - 1))
        within = self.within
        if self.before and not self.before.before(words, first, within):
            return False
        if self.not_before and self.not_before.before(words, first, within):
            return False
        if self.after and not self.after.after(words, last, within):
            return False
        if self.not_after and self.not_after.after(words, last, within):
            return False
        return not (self.unless_name and _written_as_name(n, start, end))


def _written_as_name(n: Normalized, start: int, end: int) -> bool:
    """Capitalised ("Dick", not "DICK" or "dick") and not the first word of a sentence."""
    a, b = n.span(start, end)
    word = n.original[a:b]
    if len(word) < 2 or not (word[0].isupper() and word[1:].islower()):
        return False
    k = a - 1
    while k >= 0 and n.original[k].isspace():
        k -= 1
    return k >= 0 and n.original[k] not in _SENTENCE_END
