"""Everyday shorthand: the short forms members type for common words ("k" and "ko" for
"không", "dc" for "được", "ng" for "người", "iu" for "yêu"; "u" for "you", "2" for "to").

A rule's phrases are written in full ("không bán", "chết đi được", "go back to your country"); a
member types "k bán", "chết đi dc", "go back 2 ur country". The forms are data (``teencode.yaml``'s
``shorthand:``, by language), and the loader writes each phrase of a rule in that language
spelled short beside it (its terms, the words around them, its exceptions and ``unless``), so no
rule lists each form. Variants are made once, at load time; matching is unchanged.

Some forms are also other words ("dk" is "được" and "địt", "e" is "em" and a letter): those
(``clearing_shorthand:``) stand for their word only in what clears a hit (``not_preceded_by``,
``not_followed_by``, ``exceptions``, ``unless``), never in what makes one count; a miss there
costs a violation read as chat, a wrong reading there would punish chat.
"""

from __future__ import annotations

import functools
import itertools
import math
import unicodedata
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from bot.core.normalize import fold

# a phrase with many short-typed words: its variants with all of them short would be many, and
# members shorten one or two; past this, fewer of its words are shortened at once
MAX_VARIANTS = 256


def _words(text: str) -> tuple[str, ...]:
    return tuple(unicodedata.normalize("NFC", text).lower().split())


@dataclass(frozen=True)
class Shorthand:
    """Each written word or phrase (as words) and the short forms it is typed as."""

    forms: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = ()
    # the words are listed without their marks and a phrase's words are looked up so (where a
    # word clears a hit, compared without its marks: "giỏi lắm" takes "làm"'s "lm")
    marks_free: bool = False

    def variants(self, phrase: str) -> tuple[str, ...]:
        """The phrase spelled with its words' short forms (not the phrase itself)."""
        if not self.forms:
            return ()
        words = _words(phrase)
        slots = self._slots(words)
        if not slots:
            return ()
        # a word that comes twice is typed short the same way twice ("k cần đơn k")
        kinds = list(dict.fromkeys(" ".join(words[a:b]) for a, b, _ in slots))
        choices = {" ".join(words[a:b]): (" ".join(words[a:b]),) + short
                   + (self._single_words.variants(" ".join(words[a:b])) if b - a > 1 else ())
                   for a, b, short in slots}
        count = 1
        for kind in kinds:
            count *= len(choices[kind])
        if count <= MAX_VARIANTS:
            picks = [dict(zip(kinds, combo))
                     for combo in itertools.product(*(choices[k] for k in kinds))]
        else:
            picks = self._fewer_short(kinds, [choices[k][1:] for k in kinds])
        pieces = self._between(words, slots)
        written = " ".join(words)
        out = []
        for pick in picks:
            forms = [pick.get(" ".join(words[a:b]), " ".join(words[a:b])) for a, b, _ in slots]
            parts = [p for piece, form in zip(pieces, forms) for p in (piece, form)]
            text = " ".join(p for p in parts + [pieces[-1]] if p)
            if text != written:
                out.append(text)
        return tuple(dict.fromkeys(out))

    @staticmethod
    def _fewer_short(kinds: list[str], shorts: list[tuple[str, ...]]) -> list[dict[str, str]]:
        """As many of the words typed short at once as keeps the variants within
        MAX_VARIANTS, each word alone at least ("k vậy mọi người", "không v mn", not every
        form of all three)."""
        def subsets(most: int) -> list[tuple[int, ...]]:
            return [subset for size in range(1, most + 1)
                    for subset in itertools.combinations(range(len(kinds)), size)]

        most = len(kinds) - 1
        while most > 1 and sum(math.prod(len(shorts[i]) for i in subset)
                               for subset in subsets(most)) > MAX_VARIANTS:
            most -= 1
        return [{kinds[i]: form for i, form in zip(subset, forms)}
                for subset in subsets(most)
                for forms in itertools.product(*(shorts[i] for i in subset))]

    @classmethod
    def union(cls, parts: "list[Shorthand]") -> "Shorthand":
        """Every part's forms (for a file written in no one language, or a language's forms
        everywhere and where a word clears), a word's from every part under it once."""
        return cls._merged((full, short) for part in parts for full, short in part.forms)

    def without_marks(self) -> "Shorthand":
        """These forms with each word listed without its marks, and a phrase's words looked up
        so: a clearing word is compared without its marks, so "qua" there is also "quá", typed
        "wa", and "lắm" also "làm", typed "lm"."""
        merged = self._merged((tuple(fold(w) for w in full), short) for full, short in self.forms)
        return Shorthand(merged.forms, marks_free=True)

    @classmethod
    def _merged(cls, entries: Iterable[tuple[tuple[str, ...], tuple[str, ...]]]) -> "Shorthand":
        merged: dict[tuple[str, ...], dict[str, None]] = {}
        for full, short in entries:
            merged.setdefault(full, {}).update(dict.fromkeys(short))
        return cls(tuple(sorted(((k, tuple(v)) for k, v in merged.items()),
                                key=lambda e: -len(e[0]))))

    def expand(self, phrases: tuple[str, ...]) -> tuple[str, ...]:
        """``phrases`` and after them each one's variants (none twice)."""
        if not self.forms:
            return phrases
        out = dict.fromkeys(phrases)
        for phrase in phrases:
            for variant in self.variants(phrase):
                out.setdefault(variant)
        return tuple(out)

    def _slots(self, words: tuple[str, ...]) -> list[tuple[int, int, tuple[str, ...]]]:
        """Where a listed word or phrase stands in ``words``, longest first, left to right."""
        firsts = self._firsts
        if self.marks_free:
            words = tuple(fold(w) for w in words)
        slots = []
        i = 0
        while i < len(words):
            for full, short in firsts.get(words[i], ()):
                if words[i:i + len(full)] == full:
                    slots.append((i, i + len(full), short))
                    i += len(full)
                    break
            else:
                i += 1
        return slots

    @functools.cached_property
    def _single_words(self) -> "Shorthand":
        """The forms of single words: a listed phrase is also typed with its words short
        ("hôm qa" beside "hqua" for "hôm qua")."""
        return Shorthand(tuple(e for e in self.forms if len(e[0]) == 1), self.marks_free)

    @functools.cached_property
    def _firsts(self) -> dict[str, list[tuple[tuple[str, ...], tuple[str, ...]]]]:
        """The entries by their first word (most phrases hold none of them)."""
        out: dict[str, list[tuple[tuple[str, ...], tuple[str, ...]]]] = {}
        for full, short in self.forms:
            out.setdefault(full[0], []).append((full, short))
        return out

    @staticmethod
    def _between(words: tuple[str, ...], slots: list[tuple[int, int, tuple[str, ...]]]
                 ) -> list[str]:
        """The words before each slot, and after the last one."""
        pieces, at = [], 0
        for a, b, _ in slots:
            pieces.append(" ".join(words[at:a]))
            at = b
        pieces.append(" ".join(words[at:]))
        return pieces


@dataclass(frozen=True)
class Forms:
    """A language's short forms where a word makes a hit count, and where it clears one."""

    counting: Shorthand = Shorthand()
    clearing: Shorthand = Shorthand()

    @classmethod
    def of(cls, everywhere: Shorthand, clearing_only: Shorthand) -> "Forms":
        return cls(everywhere, Shorthand.union([everywhere, clearing_only]).without_marks())

    @classmethod
    def union(cls, parts: "list[Forms]") -> "Forms":
        """Every part's forms (for a file written in no one language)."""
        return cls(Shorthand.union([p.counting for p in parts]),
                   Shorthand.union([p.clearing for p in parts]).without_marks())


def load_shorthand(raw: Any, file: str, line: int, problem: Callable[[str, str], None],
                   taken: Shorthand | None = None, key: str = "shorthand") -> Shorthand:
    """The ``shorthand:`` mapping (at ``file:line``) of a word to its short forms; each problem
    is reported with the line it is on, and its entry left out. ``taken``: forms already
    given to a word elsewhere (a form stands for one word)."""
    if raw is None:
        return Shorthand()
    if not isinstance(raw, dict):
        problem(f"{file}:{line}", f"'{key}' must be a mapping of a word to the short forms "
                                  "it is typed as")
        return Shorthand()
    entries: list[tuple[tuple[str, ...], tuple[str, ...]]] = []
    owner: dict[str, str] = {form: " ".join(full) for full, short in (taken or Shorthand()).forms
                             for form in short}
    for word, forms in raw.items():
        if word.startswith("__"):
            continue
        at = f"{file}:{raw['__keys__'].get(word, '?')}"
        if not isinstance(forms, list) or not forms or not all(
                isinstance(f, str) and f.strip() for f in forms):
            problem(at, f"{key} {word!r}: give a list of the short forms it is typed as")
            continue
        full = _words(word)
        short = []
        for form in forms:
            typed = " ".join(_words(form))
            if typed == " ".join(full) or "*" in typed:
                problem(at, f"{key} {word!r}: {form!r} is not a short form of it")
            elif typed in owner:
                problem(at, f"{key} {word!r}: {form!r} is already a short form of "
                            f"{owner[typed]!r}; a form stands for one word")
            else:
                owner[typed] = word
                short.append(typed)
        if short:
            entries.append((full, tuple(short)))
    # a phrase is found before a word it starts with ("người ta" before "người")
    entries.sort(key=lambda e: -len(e[0]))
    return Shorthand(tuple(entries))


def load_shorthands(raw: Any, file: str, line: int, languages: tuple[str, ...],
                    problem: Callable[[str, str], None],
                    taken: dict[str, Shorthand] | None = None,
                    key: str = "shorthand") -> dict[str, Shorthand]:
    """``shorthand:`` (or ``key``), a mapping of a language to its words' short forms;
    ``taken``: each language's forms already given elsewhere."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        problem(f"{file}:{line}", f"'{key}' must map a language (" + ", ".join(languages)
                + ") to its words' short forms")
        return {}
    out = {}
    for language, forms in raw.items():
        if language.startswith("__"):
            continue
        at = raw["__keys__"].get(language, line)
        if language not in languages:
            problem(f"{file}:{at}", f"{key}: unknown language {language!r} (one of: "
                                    f"{', '.join(languages)})")
            continue
        out[language] = load_shorthand(forms, file, at, problem,
                                       (taken or {}).get(language), key)
    return out
