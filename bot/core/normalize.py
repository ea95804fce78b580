"""Text normalisation that defeats evasion and maps every character back to the original text.

Stages, in order:
  1. NFKC (fullwidth, mathematical and circled letters become plain letters);
  2. casefold;
  3. drop invisible characters (zero-width, bidi controls, NULs, zalgo marks)   -> ``plain``
  4. look-alike letters to Latin; leetspeak inside words that contain letters;
  5. collapse separators between single letters ("đ.ị.t", "f u c k", "c-h-ó");
  6. squeeze runs of three or more of one letter ("địttttt", "fuuuuck")         -> ``exact``
  7. drop diacritics (one character to one)                                     -> ``folded``

``plain`` keeps digits and punctuation and feeds the pattern detectors (phones, links);
``exact`` and ``folded`` are the same length and share one map, and feed the word matcher.

Speed: most messages change length in no stage, so no map is built at all (``None`` means the
identity); a stage that changes length builds one list.
"""

from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple

from bot.core.confusables import (
    ASTRAL_INVISIBLE, FOLD_TABLE, HOMOGLYPHS, INVISIBLE_ASTRAL, INVISIBLE_BMP, LEET,
)

_INVISIBLE_BMP = re.compile(f"[{INVISIBLE_BMP}]")
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
_INVISIBLE = re.compile(f"[{INVISIBLE_BMP}{INVISIBLE_ASTRAL}]+")
_ASCII_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]+")
_HOMOGLYPH_TABLE = str.maketrans(HOMOGLYPHS)
_HOMOGLYPH_ANY = re.compile("[" + "".join(HOMOGLYPHS) + "]")
_LEET_TABLE = str.maketrans(LEET)
_LEET_CHARS = "".join(re.escape(c) for c in LEET)
_LEET_ANY = re.compile(f"[{_LEET_CHARS}]")
# a token of word and leet characters holding at least one leet character; the lookbehind pins
# each attempt to a token start, so the scan stays linear
# "@", "!" and "|" count only between word characters ("sh!t", "f@g"), so "@user" and "wow!!"
# cost nothing
_LEET_TOKEN = re.compile(
    rf"(?<![\w{_LEET_CHARS}])[\w{_LEET_CHARS}]*?(?:[0-9$€]|(?<=\w)[@!|](?=\w))[\w{_LEET_CHARS}]*"
)
_LEET_HINT = re.compile(r"[0-9$€]|\w[@!|]\w")
_HAS_LETTER = re.compile(r"[^\W\d_]")
_LETTER = r"[^\W\d_]"
# three or more single letters, each separated by a short run of separators
_SPACED = re.compile(
    rf"(?<![^\W_]){_LETTER}(?:[ ._\-~+*/\\]{{1,3}}{_LETTER}(?![^\W_])){{2,}}"
)
# two single letters in a row, the first between separators: cheap, and true of every match
_SPACED_HINT = re.compile(r"[ ._\-~+*/\\]\w[ ._\-~+*/\\]\w(?!\w)")
_SEPARATORS = frozenset(" ._-~+*/\\")
_SPACE_ONLY = re.compile(rf"(?:{_LETTER}| )+")
# any character three times or more; only letters are squeezed (a letter class here is four
# times slower than checking the few runs found)
_REPEAT = re.compile(r"(.)\1{2,}", re.DOTALL)
_REPEAT_HINT = re.compile(r"(.)\1\1", re.DOTALL)
# Characters that always mean work for a later stage (one bitmap look-up per character)
_ASCII_SPECIAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f0-9$]")
_UNICODE_SPECIAL = re.compile(f"[{INVISIBLE_BMP}{''.join(HOMOGLYPHS)}0-9$€]")
_LEET_PUNCT = re.compile(r"[@!|]")
_FOLD_NEEDED = re.compile("[" + "".join(chr(c) for c in FOLD_TABLE) + "]")
# A list indexed by code point translates twice as fast as the dict; code points past its end
# raise IndexError, which str.translate takes as "leave unchanged".
_FOLD_LIST = list(range(max(FOLD_TABLE) + 1))
for _k, _v in FOLD_TABLE.items():
    _FOLD_LIST[_k] = _v


class Normalized(NamedTuple):
    """The normalised forms of one text, with maps back to the original.

    A named tuple rather than a frozen dataclass: it is built for every message, and a tuple
    is several times cheaper to build.
    """

    original: str
    plain: str
    exact: str
    folded: str
    squeezed: frozenset[int]  # positions in ``exact`` that stand for a squeezed run
    plain_starts: tuple[int, ...] | None  # per character of ``plain``: original start (None: same)
    plain_ends: tuple[int, ...] | None
    starts: tuple[int, ...] | None  # per character of ``exact``/``folded``: original start
    ends: tuple[int, ...] | None

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Map a span of ``exact``/``folded`` to the original text."""
        return _map_span(self.starts, self.ends, start, end)

    def plain_span(self, start: int, end: int) -> tuple[int, int]:
        """Map a span of ``plain`` to the original text."""
        return _map_span(self.plain_starts, self.plain_ends, start, end)


def _map_span(
    starts: tuple[int, ...] | None, ends: tuple[int, ...] | None, start: int, end: int
) -> tuple[int, int]:
    if starts is None or ends is None:
        return start, end
    if end <= start:
        pos = starts[start] if start < len(starts) else (ends[-1] if ends else 0)
        return pos, pos
    return starts[start], ends[end - 1]


class _Builder:
    """Output text of one stage, built piece by piece with the source span of each character.

    Index lists grow with ``range`` and compose with ``map``: both run at C speed, which matters
    for a 100 KB message full of evasions.
    """

    __slots__ = ("text", "pieces", "first", "last")

    def __init__(self, text: str) -> None:
        self.text = text
        self.pieces: list[str] = []
        self.first: list[int] = []  # per output character: first source index
        self.last: list[int] = []  # per output character: last source index (inclusive)

    def keep(self, a: int, b: int) -> None:
        """Copy source characters [a, b) unchanged."""
        if b > a:
            self.pieces.append(self.text[a:b])
            self.first.extend(range(a, b))
            self.last.extend(range(a, b))

    def emit(self, out: str, a: int, b: int) -> None:
        """Output ``out`` standing for source characters [a, b)."""
        if out:
            self.pieces.append(out)
            self.first.extend([a] * len(out))
            self.last.extend([b - 1] * len(out))


class _Mapped:
    """Text plus, per character, the span of the original it came from (None = identity)."""

    __slots__ = ("text", "starts", "ends", "squeezed")

    def __init__(self, text: str) -> None:
        self.text = text
        self.squeezed: frozenset[int] = frozenset()
        self.starts: list[int] | None = None
        self.ends: list[int] | None = None

    def builder(self) -> _Builder:
        return _Builder(self.text)

    def replace(self, b: _Builder) -> None:
        if self.starts is None or self.ends is None:
            self.starts = b.first
            self.ends = list(map((1).__add__, b.last))
        else:
            self.starts = list(map(self.starts.__getitem__, b.first))
            self.ends = list(map(self.ends.__getitem__, b.last))
        self.text = "".join(b.pieces)

    def delete(self, pattern: re.Pattern[str]) -> None:
        """Remove what ``pattern`` matches."""
        b = self.builder()
        pos = 0
        for m in pattern.finditer(self.text):
            b.keep(pos, m.start())
            pos = m.end()
        b.keep(pos, len(self.text))
        self.replace(b)


def _nfkc(m: _Mapped) -> None:
    text = m.text
    if text.isascii() or unicodedata.is_normalized("NFKC", text):
        return
    # Normalise cluster by cluster (a starter and its combining marks) so each output character
    # knows which original characters it came from.
    b = m.builder()
    i, n = 0, len(text)
    while i < n:
        j = i + 1
        while j < n and unicodedata.combining(text[j]):
            j += 1
        piece = text[i:j]
        out = unicodedata.normalize("NFKC", piece)
        if out == piece:
            b.keep(i, j)
        else:
            b.emit(out, i, j)
        i = j
    m.replace(b)


def _casefold(m: _Mapped) -> None:
    text = m.text
    folded = text.lower() if text.isascii() else text.casefold()
    if len(folded) == len(text):
        m.text = folded  # casefold only ever expands, so equal length means one to one
        return
    b = m.builder()
    for i, ch in enumerate(text):
        b.emit(ch.casefold(), i, i + 1)
    m.replace(b)


def _drop_invisible(m: _Mapped) -> None:
    text = m.text
    if text.isascii():
        if _ASCII_CONTROL.search(text):
            m.delete(_ASCII_CONTROL)
    elif _INVISIBLE_BMP.search(text) or (_ASTRAL.search(text) and _INVISIBLE.search(text)):
        m.delete(_INVISIBLE)


def _leet_token(match: re.Match[str]) -> str:
    token = match.group()
    if not _HAS_LETTER.search(token):
        return token  # "2024", "!!!": numbers and punctuation, not leetspeak
    if token[0] == "@":  # a mention, not a leet "a"
        return token[0] + token[1:].translate(_LEET_TABLE)
    body = token.rstrip("!|")  # trailing "!" is punctuation
    return body.translate(_LEET_TABLE) + token[len(body) :]


def _letters(m: _Mapped) -> None:
    text = m.text
    if not text.isascii() and _HOMOGLYPH_ANY.search(text):
        text = text.translate(_HOMOGLYPH_TABLE)
    if _LEET_ANY.search(text) and _LEET_HINT.search(text):
        text = _LEET_TOKEN.sub(_leet_token, text)
    m.text = text  # both steps map one character to one


def _collapse_spaced(m: _Mapped) -> None:
    text = m.text
    if not _SPACED_HINT.search(text):
        return
    matches = list(_SPACED.finditer(text))
    if not matches:
        return
    b = m.builder()
    pos = 0
    for match in matches:
        b.keep(pos, match.start())
        seg, at = match.group(), match.start()
        # "đ.ị.t m.ẹ": dots join letters, the first space of a gap still separates words
        gaps = " " in seg and not _SPACE_ONLY.fullmatch(seg)
        kept = [at + i for i, ch in enumerate(seg)
                if ch not in _SEPARATORS or (gaps and ch == " " and seg[i - 1] != " ")]
        b.pieces.append("".join([text[i] for i in kept]))
        b.first.extend(kept)
        b.last.extend(kept)
        pos = match.end()
    b.keep(pos, len(text))
    m.replace(b)


def _squeeze(m: _Mapped) -> None:
    text = m.text
    if not _REPEAT_HINT.search(text):
        return
    runs = [r for r in _REPEAT.finditer(text) if r.group(1).isalpha()]
    if not runs:
        return
    b = m.builder()
    squeezed: list[int] = []
    pos = 0
    for r in runs:
        b.keep(pos, r.start())
        squeezed.append(len(b.first))
        b.emit(r.group(1), r.start(), r.end())  # the kept letter stands for the whole run
        pos = r.end()
    b.keep(pos, len(text))
    m.replace(b)
    m.squeezed = frozenset(squeezed)


def fold(text: str) -> str:
    """Drop Vietnamese and other Latin diacritics, one character to one (đ -> d)."""
    if text.isascii() or not _FOLD_NEEDED.search(text):
        return text
    return text.translate(_FOLD_LIST)


_NO_SET: frozenset[int] = frozenset()


def _needs_work(text: str) -> str | None:
    """The lowercased text if no stage but case and diacritics has work to do, else None.

    Most chat is like that, and this answers it with a handful of C-speed scans, building no map.
    """
    if text.isascii():
        lower = text.lower()
        if _ASCII_SPECIAL.search(lower):
            return None
    else:
        if not unicodedata.is_normalized("NFKC", text):
            return None
        lower = text.casefold()
        if len(lower) != len(text) or _UNICODE_SPECIAL.search(lower):
            return None
        if _ASTRAL.search(lower) and any(c in ASTRAL_INVISIBLE for c in _ASTRAL.findall(lower)):
            return None
    if _LEET_PUNCT.search(lower) and _LEET_HINT.search(lower):
        return None
    if _SPACED_HINT.search(lower) or _REPEAT_HINT.search(lower):
        return None
    return lower


def normalize(text: str) -> Normalized:
    """All normalised forms of ``text`` with their maps back to it."""
    lower = _needs_work(text)
    if lower is not None:
        return Normalized(text, lower, lower, fold(lower), _NO_SET, None, None, None, None)
    m = _Mapped(text)
    _nfkc(m)
    _casefold(m)
    _drop_invisible(m)
    plain, plain_starts, plain_ends = m.text, m.starts, m.ends
    _letters(m)
    _collapse_spaced(m)
    _squeeze(m)
    return Normalized(
        text, plain, m.text, fold(m.text), m.squeezed,
        None if plain_starts is None else tuple(plain_starts),
        None if plain_ends is None else tuple(plain_ends),
        None if m.starts is None else tuple(m.starts),
        None if m.ends is None else tuple(m.ends),
    )


def normalize_term(term: str) -> str:
    """The ``exact`` form of a ruleset term, so terms and messages meet in the same space."""
    return " ".join(normalize(term).exact.split())
