"""Text normalisation that defeats evasion and maps every character back to the original text.

Stages, in order:
  1. NFKC (fullwidth, mathematical and circled letters become plain letters);
  2. casefold;
  3. drop invisible characters (zero-width, bidi controls, NULs, zalgo marks)   -> ``plain``
  4. look-alike letters to Latin; leetspeak inside words that contain letters;
  5. collapse separators between single letters ("đ.ị.t", "f u c k", "c-h-ó");
  6. squeeze runs of three or more of one letter ("địttttt", "fuuuuck");
  7. one tone-mark placement: old style "hòa", "khỏe", "thúy" become "hoà", "khoẻ", "thuý";
  8. a gap of two spaces or more between words one space wide, and one that holds an emoji,
     a tab or dots ("dầu 😂 óc chó", "yêu... mày")                             -> ``exact``
  9. drop diacritics (one character to one)                                     -> ``folded``

``plain`` keeps digits and punctuation and feeds the pattern detectors (phones, links);
``exact`` and ``folded`` are the same length and share one map, and feed the word matcher.

Speed: most chat needs nothing but case and diacritics, and one pass says so (or which of stages
4-7 have work: only those run; an invisible or look-alike character sends a text through all).
Most messages change length in no stage, so no map is built at all (an empty chain means the
identity); a stage that changes length records one map, and maps are walked back only for the
spans a verdict reports. Text typed as letters and separate marks is composed first and then
read as composed text is, behind the map composing makes. That pass, leetspeak, spaced letters,
the diacritics fold and the clusters of decomposed text run in C (``_quick.c``) where it could
be compiled; the ``*_py`` functions here give the same answers and are the reference the tests
hold the C to.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from pathlib import Path
from itertools import accumulate, compress
from typing import Callable, NamedTuple

import yaml

from bot.core.confusables import (
    ASTRAL_COMBINING, ASTRAL_EXPANDING, ASTRAL_INVISIBLE, ASTRAL_NFKC_ONE, CASEFOLD_EXPANDING,
    ASTRAL_DROPPABLE_MARKS, ASTRAL_EXPANDING_UNMARKED, CASEFOLD_TO_BASE, DROPPABLE_MARKS_BMP,
    NFKC_EXPANDING_BMP_UNMARKED,
    COMBINING_BMP,
    BEFORE_NFKC, CAPITAL_HOMOGLYPHS, COMBINING_CHARS, FOLD_TABLE, HOMOGLYPHS, LOOKALIKE_CHARS,
    INVISIBLE_BMP, INVISIBLE_CHARS, LEET, NFKC_EXPANDING_BMP, NFKC_ONE, NFKC_ONE_BMP,
    TONE_FIRSTS, TONE_MOVES,
)
from bot.core.runs import runs_around

_NFKC_ONE_BMP = re.compile(f"[{NFKC_ONE_BMP}]")
_NFKC_EXPANDING_UNMARKED = re.compile(f"[{NFKC_EXPANDING_BMP_UNMARKED}]")
_CASEFOLD_EXPANDING = re.compile(f"[{CASEFOLD_EXPANDING}]")
_CASEFOLD_TO_BASE_ANY = re.compile("[" + "".join(map(chr, CASEFOLD_TO_BASE)) + "]")
_INVISIBLE_BMP = re.compile(f"[{INVISIBLE_BMP}]")
_COMBINING_ANY = re.compile(f"[{COMBINING_BMP}]")
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
_ASCII_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]+")
_HOMOGLYPH_TABLE = str.maketrans(HOMOGLYPHS)
_HOMOGLYPH_ANY = re.compile("[" + "".join(HOMOGLYPHS) + "]")
_CAPITAL_TABLE = str.maketrans(CAPITAL_HOMOGLYPHS)
_BEFORE_NFKC_TABLE = str.maketrans(BEFORE_NFKC)
_BEFORE_NFKC_ANY = re.compile("[" + "".join(c for c in BEFORE_NFKC if ord(c) < 0x10000) + "]")
_ASTRAL_BEFORE_NFKC = frozenset(c for c in BEFORE_NFKC if ord(c) >= 0x10000)
_COMBINING_BMP_CHARS = frozenset(c for c in COMBINING_CHARS if ord(c) < 0x10000)
# astral characters NFKC does more with than compose a letter and its marks (``_composed``)
_ASTRAL_NOT_COMPOSED = _ASTRAL_BEFORE_NFKC | ASTRAL_EXPANDING_UNMARKED | ASTRAL_COMBINING
_CAPITAL_ANY = re.compile("[" + "".join(CAPITAL_HOMOGLYPHS) + "]")
_LEET_TABLE = str.maketrans(LEET)
_LEET_CHARS = "".join(re.escape(c) for c in LEET)
_LEET_ANY = re.compile(f"[{_LEET_CHARS}]")
# Leetspeak is looked for in words of word and leet characters that hold a digit, "$" or "€",
# or "@", "!" or "|" between word characters ("sh!t", "f@g"; "@user" and "wow!!" cost nothing).
# Each such character found, its word is read both ways from it (``runs_around``).
_LEET_HINT = re.compile(r"[0-9$€]|\w[@!|]\w")
_LEET_RUN = re.compile(rf"[\w{_LEET_CHARS}]*")
_HAS_LETTER = re.compile(r"[^\W\d_]")
_LETTER = r"[^\W\d_]"
# a word's runs of ASCII digits and of letters (anything else is a run of one)
_QUANTITY_PARTS = re.compile(r"[0-9]+|[^\W\d_]+|.", re.DOTALL)
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
# Characters that send a text through every stage (invisible, look-alike)
_UNICODE_SPECIAL = re.compile(
    f"[{INVISIBLE_BMP}{''.join(sorted(c for c in LOOKALIKE_CHARS if ord(c) < 0x10000))}]")
_ASTRAL_SPECIAL = ASTRAL_INVISIBLE | {c for c in LOOKALIKE_CHARS if ord(c) >= 0x10000}
_decompose = unicodedata.normalize
# a pair that may need its tone mark moved, and (what the stage moves) such a pair ending a word
_TONE_HINT = re.compile("|".join(TONE_MOVES))
_TONE_AT = re.compile("(?:" + "|".join(TONE_MOVES) + r")(?![^\W\d_])")
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
    plain_map: _Chain  # from ``plain`` back to the original (empty: the identity)
    map: _Chain  # from ``exact``/``folded`` back to the original

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Map a span of ``exact``/``folded`` to the original text."""
        return _map_span(self.map, start, end)

    def plain_span(self, start: int, end: int) -> tuple[int, int]:
        """Map a span of ``plain`` to the original text."""
        return _map_span(self.plain_map, start, end)


def _map_span(chain: _Chain, start: int, end: int) -> tuple[int, int]:
    """Walk a span back through each stage that changed the text, last stage first.

    Maps are composed only for the spans asked about (a verdict's few hits), not for every
    character after every stage: on a forged message that composing was a quarter of the work.
    """
    if not chain:
        return start, end
    if end <= start:  # an empty span: a position
        size = len(chain[-1][0])
        if start < size:
            for first, _ in reversed(chain):
                start = first[start]
            return start, start
        if not size:
            return 0, 0
        _, pos = _map_span(chain, size - 1, size)
        return pos, pos
    for first, last_end in reversed(chain):
        start, end = first[start], (first[end - 1] + 1 if last_end is None else last_end[end - 1])
    return start, end


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


# Per stage that changed the text: for each of its output characters, the first source index
# and the source end (exclusive) in that stage's input.
# None for the ends: each character stands for one source character (end = first + 1).
_Chain = tuple[tuple[list[int], list[int] | None], ...]


class _Mapped:
    """Text plus the maps of the stages that changed it (none: the identity)."""

    __slots__ = ("text", "maps", "squeezed", "astral")

    def __init__(self, text: str) -> None:
        self.text = text
        # the astral characters of the text, once known: no stage adds or removes an astral
        # invisible (NFKC and casefold leave them), so later stages may reuse the set
        self.astral: set[str] | None = None
        self.squeezed: frozenset[int] = frozenset()
        self.maps: list[tuple[list[int], list[int] | None]] = []

    def builder(self) -> _Builder:
        return _Builder(self.text)

    def replace(self, b: _Builder) -> None:
        self.remap("".join(b.pieces), b.first, list(map((1).__add__, b.last)))

    def remap(self, text: str, first: list[int], end: list[int] | None) -> None:
        """Replace the text by ``text``, whose character i stands for [first[i], end[i])."""
        self.text = text
        self.maps.append((first, end))

    def squeeze_runs(self, runs: list[tuple[int, int]]) -> list[int]:
        """Keep the first character of each run [a, z) (sorted, disjoint) to stand for the whole
        run; return where the kept characters are in the new text.

        The dense case of hostile text (thousands of runs) stays cheap: a keep-mask built by
        slice assignment, and index lists built by ``compress`` at C speed.
        """
        if len(runs) <= 4:
            return self._squeeze_few(runs)
        n = len(self.text)
        mask = bytearray(b"\x01") * n
        kept: list[int] = []
        removed = 0
        for a, z in runs:
            mask[a + 1 : z] = bytes(z - a - 1)
            kept.append(a - removed)
            removed += z - a - 1
        first = list(compress(range(n), mask))
        end = list(map((1).__add__, first))
        for pos, (_, z) in zip(kept, runs):
            end[pos] = z
        self.remap("".join(compress(self.text, mask)), first, end)
        return kept

    def _squeeze_few(self, runs: list[tuple[int, int]]) -> list[int]:
        """``squeeze_runs`` for the usual few runs ("cccd", "fuuuck"): slices, no mask."""
        text = self.text
        pieces: list[str] = []
        first: list[int] = []
        end: list[int] = []
        kept: list[int] = []
        pos = 0
        for a, z in runs:
            pieces.append(text[pos : a + 1])
            first.extend(range(pos, a + 1))
            end.extend(range(pos + 1, a + 1))
            end.append(z)
            kept.append(len(first) - 1)
            pos = z
        pieces.append(text[pos:])
        first.extend(range(pos, len(text)))
        end.extend(range(pos + 1, len(text) + 1))
        self.remap("".join(pieces), first, end)
        return kept


def _astral(text: str) -> set[str]:
    return set(_ASTRAL.findall(text)) if _ASTRAL.search(text) else set()


def _nfkc(m: _Mapped, normalized: bool) -> None:
    """``normalized``: whether the text is NFKC already (``normalize`` has asked)."""
    if normalized:
        return
    text = m.text
    astral = m.astral = _astral(text)
    if _BEFORE_NFKC_ANY.search(text) or astral & _ASTRAL_BEFORE_NFKC:
        # look-alikes NFKC would turn into another look-alike ("ϲ" is c, not a sigma)
        text = m.text = text.translate(_BEFORE_NFKC_TABLE)
        astral = m.astral = _astral(text)
    if (text[0] not in COMBINING_CHARS
            and not (_NFKC_EXPANDING_UNMARKED.search(text) or astral & ASTRAL_EXPANDING_UNMARKED)):
        out = unicodedata.normalize("NFKC", text)
        if len(out) == len(text) and not (_COMBINING_ANY.search(text) or astral & ASTRAL_COMBINING):
            # Fullwidth and mathematical letters, no marks: each character became one (no
            # expansion, nothing to compose or reorder), so no map
            m.text = out
            return
        # Letters typed as a base and marks (decomposed Vietnamese, zalgo): NFKC keeps each
        # starter and composes marks into it or leaves them after it, so each output character
        # belongs to one starter's cluster. Counting starters on both sides checks that.
        starters = [i for i, ch in enumerate(text) if ch not in COMBINING_CHARS]
        bounds = [*starters[1:], len(text)]
        if len(starters) == len(out):  # every mark composed: one character per cluster
            m.remap(out, starters, bounds)
            return
        # Zalgo: marks NFKC left standing. The invisible stage would drop them; dropped here, what
        # remains is one letter per cluster, mapped by the starters with no per-character work.
        letters = _droppable_pattern(
            "".join(sorted(astral & ASTRAL_DROPPABLE_MARKS))).sub("", out)
        if len(letters) == len(starters):
            m.remap(letters, starters, bounds)
            return
        kinds = [ch not in COMBINING_CHARS for ch in out]
        if kinds and kinds[0] and sum(kinds) == len(starters):
            cluster = list(accumulate(kinds))  # 1-based cluster of each output character
            # the cluster numbers index lists shifted by one: map() then runs at C speed
            m.remap(out, list(map([0, *starters].__getitem__, cluster)),
                    list(map([0, *bounds].__getitem__, cluster)))
            return
    # Fullwidth and mathematical letters become one letter each: one C-speed pass, no map; the
    # clusters and expanding characters are then all that is left to do
    if _NFKC_ONE_BMP.search(text) or astral & ASTRAL_NFKC_ONE:
        text = m.text = text.translate(NFKC_ONE)
        if unicodedata.is_normalized("NFKC", text):
            return
    _nfkc_clusters(m, astral)


def _nfkc_clusters(m: _Mapped, astral: set[str]) -> None:
    """NFKC of each letter-and-marks cluster and each expanding character ("ﬁ"), mapped."""
    text, maps = m.text, list(m.maps)
    pattern = _cluster_pattern("".join(sorted(astral & ASTRAL_COMBINING)),
                               "".join(sorted(astral & ASTRAL_EXPANDING)))
    nfkc = unicodedata.normalize
    spans = []
    for match in pattern.finditer(text):
        piece = match.group()
        out = nfkc("NFKC", piece)
        if out != piece:
            spans.append((match.start(), match.end(), out))
    _expand(m, spans)
    if not unicodedata.is_normalized("NFKC", m.text):
        # rare scripts that compose without combining marks (Hangul jamo): start again, slowly
        m.text, m.maps = text, maps
        _nfkc_by_cluster(m)


@functools.lru_cache(maxsize=64)
def _cluster_pattern(astral_marks: str, astral_expanding: str) -> re.Pattern[str]:
    """A letter and the marks after it, or an expanding character.

    The classes hold the BMP ranges plus only the astral characters this text contains: a class
    with every astral range costs a range walk per character.
    """
    marks, expanding = COMBINING_BMP + astral_marks, NFKC_EXPANDING_BMP + astral_expanding
    return re.compile(f".?[{marks}]+|[{expanding}]", re.DOTALL)


@functools.lru_cache(maxsize=64)
def _droppable_pattern(astral: str) -> re.Pattern[str]:
    return re.compile(f"[{DROPPABLE_MARKS_BMP}{astral}]+")


@functools.lru_cache(maxsize=64)
def _invisible_pattern(astral: str) -> re.Pattern[str]:
    return re.compile(f"[{INVISIBLE_BMP}{astral}]+")


def _nfkc_by_cluster(m: _Mapped) -> None:
    """NFKC cluster by cluster (a starter and its combining marks): slow but always right."""
    text = m.text
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
    if not text.isascii() and _CAPITAL_ANY.search(text):
        # capitals that look like a letter their small letter does not ("Ν" is N, "ν" is v)
        text = m.text = text.translate(_CAPITAL_TABLE)
    if not text.isascii() and _CASEFOLD_TO_BASE_ANY.search(text):
        # what casefold and the invisible stage make, one character to one
        text = m.text = text.translate(CASEFOLD_TO_BASE)
    folded = text.lower() if text.isascii() else text.casefold()
    if len(folded) == len(text):
        m.text = folded  # casefold only ever expands, so equal length means one to one
        return
    # casefold works character by character, so only the characters that expand need work, and
    # every output character stands for one input character (its end is its start + 1)
    spans = [(c.start(), c.start() + 1, c.group().casefold())
             for c in _CASEFOLD_EXPANDING.finditer(text)]
    _expand(m, spans, str.casefold, ends=False)


def _expand(m: _Mapped, spans: list[tuple[int, int, str]],
            between: Callable[[str], str] | None = None, ends: bool = True) -> None:
    """Replace each span [a, z) of the text by its string; the rest stays one to one (passed
    through ``between`` if given, which must keep its length).
    ``ends=False``: every span is one character, so no output character needs an end.

    One flat loop with bound methods: a forged message holds thousands of spans.
    """
    text = m.text
    pieces: list[str] = []
    first: list[int] = []
    end: list[int] = []
    piece_add, first_add = pieces.append, first.extend
    end_add = end.extend if ends else _ignore
    pos = 0
    for a, z, new in spans:
        if a > pos:
            piece_add(text[pos:a] if between is None else between(text[pos:a]))
            first_add(range(pos, a))
            end_add(range(pos + 1, a + 1))
        piece_add(new)
        first_add([a] * len(new))
        end_add([z] * len(new))
        pos = z
    if pos < len(text):
        piece_add(text[pos:] if between is None else between(text[pos:]))
        first_add(range(pos, len(text)))
        end_add(range(pos + 1, len(text) + 1))
    m.remap("".join(pieces), first, end if ends else None)


def _ignore(_: object) -> None:
    pass


def _drop_invisible(m: _Mapped) -> None:
    text = m.text
    if text.isascii():
        if _ASCII_CONTROL.search(text):
            _delete_invisible(m, _ASCII_CONTROL)
    else:
        # the BMP class plus only the astral invisibles this text holds (see _cluster_pattern)
        found = m.astral if m.astral is not None else _astral(text)
        astral = "".join(sorted(found & ASTRAL_INVISIBLE))
        if astral or _INVISIBLE_BMP.search(text):
            _delete_invisible(m, _invisible_pattern(astral))


def _delete_invisible(m: _Mapped, pattern: re.Pattern[str]) -> None:
    """Drop invisible characters (``pattern`` matches some of INVISIBLE_CHARS, all the text
    holds): one set look-up per character, however many there are."""
    text = m.text
    idx = [i for i, ch in enumerate(text) if ch not in INVISIBLE_CHARS]
    m.remap(pattern.sub("", text), idx, None)


def _leet_words(text: str) -> list[tuple[int, int]]:
    """Spans of the words of ``text`` leetspeak may hide in (see ``_LEET_HINT``)."""
    return runs_around(text, _LEET_HINT, _LEET_RUN)


def _load_units() -> frozenset[str]:
    data = yaml.safe_load((Path(__file__).parent / "data" / "units.yaml").read_text("utf-8"))
    return frozenset(str(u) for u in data["units"])


UNITS = _load_units()


def quantity(word: str) -> bool:
    """Whether a word is a number written with its units ("7ml", "150k", "1m70", "7h30"), which
    is not leetspeak: "7ml" is not "tml". Trailing "!" and "|" are punctuation."""
    body = word.rstrip("!|")
    if not body or not "0" <= body[0] <= "9":
        return False
    return all("0" <= part[0] <= "9" or part in UNITS
               for part in _QUANTITY_PARTS.findall(body))


def _leet_token(token: str) -> str:
    if not _HAS_LETTER.search(token) or quantity(token):
        return token  # "2024", "!!!", "150k": numbers, punctuation, quantities
    if token[0] == "@":  # a mention, not a leet "a"
        return token[0] + token[1:].translate(_LEET_TABLE)
    body = token.rstrip("!|")  # trailing "!" is punctuation
    return body.translate(_LEET_TABLE) + token[len(body) :]


def _leet_py(text: str) -> str:
    """Leetspeak read as letters in the words that hold it, one character to one ("sh!t",
    "5hit"; not "2024", "3pm", "7ml"). ``_quick.c`` does the same in one pass where it could be
    compiled."""
    # a forged message repeats a few words hundreds of times: each is worked out once
    done: dict[str, str] = {}
    pieces: list[str] = []
    pos = 0
    for start, end in _leet_words(text):
        word = text[start:end]
        got = done.get(word)
        if got is None:
            got = done[word] = _leet_token(word)
        pieces += (text[pos:start], got)
        pos = end
    pieces.append(text[pos:])
    return "".join(pieces)


def _letters(m: _Mapped) -> None:
    text = m.text
    if not text.isascii() and _HOMOGLYPH_ANY.search(text):
        text = text.translate(_HOMOGLYPH_TABLE)
    if _LEET_ANY.search(text):
        text = _leet(text)
    m.text = text  # both steps map one character to one


def _collapse_spaced(m: _Mapped, hinted: bool = False) -> None:
    """Drop the separators between single letters; characters are only dropped, so a keep-mask
    (one slice per spaced word, at C speed) and ``compress`` build the text and its map.
    ``hinted``: the quick answer said there may be spaced letters (no hint to look for)."""
    text = m.text
    if not hinted and not _SPACED_HINT.search(text):
        return
    mask = _spaced(text)
    if mask is not None:
        m.remap("".join(compress(text, mask)), list(compress(range(len(text)), mask)), None)


def _spaced_py(text: str) -> bytes | None:
    """Which characters of ``text`` to keep (1) once spaced letters are joined, or None where
    no letters are spaced. ``_quick.c`` answers the same in one pass where it could be
    compiled."""
    mask: bytearray | None = None
    for match in _SPACED.finditer(text):
        if mask is None:
            mask = bytearray(b"\x01") * len(text)
        seg = match.group()
        if " " in seg and not _SPACE_ONLY.fullmatch(seg):
            # "đ.ị.t m.ẹ": dots join letters, the first space of a gap still separates words
            keep = bytes([ch not in _SEPARATORS or (ch == " " and seg[i - 1] != " ")
                          for i, ch in enumerate(seg)])
        else:
            keep = bytes([ch not in _SEPARATORS for ch in seg])
        mask[match.start():match.end()] = keep
    return None if mask is None else bytes(mask)


def _squeeze(m: _Mapped) -> None:
    runs = _runs(m.text)
    if runs:
        m.squeezed = frozenset(m.squeeze_runs(runs))


def _runs_py(text: str) -> list[tuple[int, int]]:
    """The spans of each letter typed three times or more ("fuuuck"; not "1000"). ``_quick.c``
    finds the same in one pass where it could be compiled."""
    if not _REPEAT_HINT.search(text):
        return []
    return [r.span() for r in _REPEAT.finditer(text) if r.group(1).isalpha()]


def _tones(m: _Mapped) -> None:
    """Old-style tone placement in an open syllable moved to the new style ("hòa" -> "hoà",
    "thủy" -> "thuỷ"): a term and a message then meet whichever style each was written in.
    Two characters become two, so no map."""
    text = m.text
    if not text.isascii() and _TONE_HINT.search(text):
        m.text = _TONE_AT.sub(_move_tone, text)


def _move_tone(pair: re.Match[str]) -> str:
    return TONE_MOVES[pair.group()]


def _fold_py(text: str) -> str:
    """Drop Vietnamese and other Latin diacritics, one character to one (đ -> d).
    (``fold``, where ``_quick.c`` could not be compiled.)"""
    if text.isascii():
        return text
    # Decomposing and dropping what is not ASCII takes a third less time than a translate
    # (which looks up every character). It is the table's fold exactly when nothing was dropped
    # whole: no character's decomposition holds two ASCII characters, and those holding one are
    # the table's (tests check every code point).
    out = _decompose("NFD", text.replace("đ", "d").replace("Đ", "d")).encode("ascii", "ignore")
    if len(out) == len(text):
        return out.decode("ascii")
    if not _FOLD_NEEDED.search(text):
        return text
    return text.translate(_FOLD_LIST)


_NO_SET: frozenset[int] = frozenset()
_new = tuple.__new__  # a named tuple built without its Python-level constructor


# What the quick answer says when it is not the folded text: which stages within words may have
# work, or that a character calls for every stage (invisible, look-alike, control)
_LEET, _SPACED_WORK, _REPEAT_WORK, _ALL, _TONE, _GAP_WORK = 1, 2, 4, 8, 16, 32


def _quick_py(lower: str, ascii: bool) -> str | int:
    """The folded text if no stage but case and diacritics has work to do, else _ALL or which
    stages within words may have (_LEET | _SPACED_WORK | _REPEAT_WORK | _TONE), or that two
    spaces stand in a row (_GAP_WORK: the last stage narrows the gap).
    ``lower``: the text lowercased, of its length and in NFKC; ``ascii``: whether the text is.

    Most chat is like that. ``_quick.c`` answers the same in one pass where it could be
    compiled; this is the reference, and what runs where it could not.
    """
    if ascii:
        if _ASCII_CONTROL.search(lower):
            return _ALL
    elif _UNICODE_SPECIAL.search(lower) or _astral(lower) & _ASTRAL_SPECIAL:
        return _ALL
    work = 0
    if _LEET_HINT.search(lower) and any(
            _HAS_LETTER.search(lower, a, b) and not quantity(lower[a:b])
            for a, b in _leet_words(lower)):
        work |= _LEET  # numbers ("0912345678", "2024") and quantities ("150k") are left be
    if _SPACED_HINT.search(lower):
        work |= _SPACED_WORK
    if _REPEAT_HINT.search(lower) and any(r.group(1).isalpha() for r in _REPEAT.finditer(lower)):
        work |= _REPEAT_WORK  # only runs of letters are squeezed ("1000" stays)
    if not ascii and _TONE_HINT.search(lower):
        work |= _TONE
    if "  " in lower or _picture_gaps_py(lower):
        work |= _GAP_WORK
    return work or fold(lower)


# A character's classes, as _quick.c names them: work in ASCII text, work in other text, leetspeak
# between word characters, a separator of spaced letters, part of a leetspeak word, leetspeak
# wherever it stands in a word with letters, the first of a pair whose tone mark may move
_C_SPECIAL_ASCII, _C_SPECIAL_OTHER, _C_LEET_PUNCT, _C_SEPARATOR, _C_LEET, _C_LEET_ALWAYS = (
    1, 2, 4, 8, 16, 32)
_C_TONE_FIRST = 64
_C_COMBINING = 128  # a combining mark (``COMBINING_CHARS``): it belongs to the letter before it


def _quick_tables() -> tuple[bytes, bytes, bytes]:
    """What ``_quick.c`` reads: per BMP character its classes, what it folds to and what it is
    as leetspeak."""
    classes = bytearray(0x10000)
    for code in [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F]:
        classes[code] |= _C_SPECIAL_ASCII  # as _ASCII_CONTROL
    for ch in [*INVISIBLE_CHARS, *LOOKALIKE_CHARS]:
        if ord(ch) < 0x10000:
            classes[ord(ch)] |= _C_SPECIAL_OTHER  # as _UNICODE_SPECIAL
    for ch in "@!|":
        classes[ord(ch)] |= _C_LEET_PUNCT
    for ch in _SEPARATORS:
        classes[ord(ch)] |= _C_SEPARATOR
    for ch in LEET:
        classes[ord(ch)] |= _C_LEET
    for ch in "0123456789$€":
        classes[ord(ch)] |= _C_LEET_ALWAYS
    for ch in TONE_FIRSTS:
        classes[ord(ch)] |= _C_TONE_FIRST
    for ch in COMBINING_CHARS:
        if ord(ch) < 0x10000:
            classes[ord(ch)] |= _C_COMBINING
    folds = bytearray(0x10000)
    for code, to in FOLD_TABLE.items():
        folds[code] = to
    leets = bytearray(0x10000)
    for ch, to in LEET.items():
        leets[ord(ch)] = ord(to)
    return bytes(classes), bytes(folds), bytes(leets)


_ASCII_DIGIT = re.compile("[0-9]")


def _picture_gaps_py(text: str) -> bool:
    """Whether a picture, a tab or an ellipsis stands between two words of ``text``. (The
    pattern takes some 10 µs to say no, so a look for their characters comes first: every
    picture and "…" stand above every Vietnamese letter.)"""
    if "\t" not in text and ".." not in text and (text.isascii() or max(text) < "…"):
        return False
    return _PICTURE_GAP.search(text) is not None


def _has_digit_py(text: str) -> bool:
    """Whether ``text`` holds an ASCII digit (what RE2's \\d matches)."""
    return _ASCII_DIGIT.search(text) is not None


def _load_quick() -> tuple[Callable[[str, bool], str | int], Callable[[str], str],
                           Callable[[str], str], Callable[[str], bytes | None],
                           Callable[[str], bool], Callable[[str], list[tuple[int, int]]],
                           Callable[[str], tuple[list[int], list[int]] | None],
                           Callable[[str], bool]]:
    try:
        from bot.core import _quick  # type: ignore[attr-defined]
    except ImportError:  # built without a C compiler: the same answers, slower
        return (_quick_py, _fold_py, _leet_py, _spaced_py, _has_digit_py, _runs_py, _clusters_py,
                _picture_gaps_py)
    _quick.setup(*_quick_tables(), _ASTRAL_SPECIAL, frozenset(TONE_MOVES), UNITS)
    return (_quick.quick, _quick.fold, _quick.leet, _quick.spaced, _quick.has_digit, _quick.runs,
            _quick.clusters, _quick.picture_gaps)


# fold(text): diacritics dropped, one character to one (đ -> d), by the table;
# has_digit(text): whether it holds an ASCII digit; _picture_gaps(text): whether a picture, a
# tab or an ellipsis stands between two words
_plain_fold, fold, _leet, _spaced, has_digit, _runs, _clusters, _picture_gaps = _load_quick()




def _spaced_once(n: Normalized, pictures: bool = True) -> Normalized:
    """The last stage: gaps between words one space wide (most text has none to narrow).
    ``pictures``: whether a gap may hold a picture, a tab or dots (the quick answer says)."""
    exact = n.exact
    if "  " in exact or (pictures and _picture_gaps(exact)):
        return _single_spaced(n)
    return n


# a gap of more than one space (tabs in it too): one space, as a term's words are written
# ("địt  mẹ mày" is "địt mẹ mày", "my  uncle  dick" is "my uncle dick"); so is a gap between
# two words that holds an emoji, a pictograph, a tab or an ellipsis ("dầu 😂 óc chó" is walnut
# oil, as "dầu óc chó" is; "yêu... mày chết đi được" is fond, as without the pause; "địt😂mẹ
# mày" is "địt mẹ mày"). A line break stays, it ends a sentence, and so does one full stop; a
# picture or dots that open or close the text stay where they are ("lol 😂", "thôi...").
# (as is_picture in _quick.c; a character there that is a word character, "❶", is a word)
_PICTURE = "(?:(?!\\w)[\t\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF])"
_MARK = rf"(?:{_PICTURE}|\.{{2,}}|…)"  # (one full stop ends a sentence, or joins "fb.com")
_BETWEEN_WORDS = rf"(?<=\w)(?: |{_MARK})*{_MARK}(?: |{_MARK})*(?=\w)"
_PICTURE_GAP = re.compile(_BETWEEN_WORDS)
_GAP = re.compile(rf"{_BETWEEN_WORDS}|[ \t]*  [ \t]*")


def _single_spaced(n: Normalized) -> Normalized:
    """``n`` with each gap of spaces and tabs in ``exact`` and ``folded`` one space wide, behind
    a map of its own (``plain``, which the patterns read, keeps them)."""
    # a gap is squeezed as a run of one letter is: its first character stands for it
    m = _Mapped(n.exact)
    kept = m.squeeze_runs([gap.span() for gap in _GAP.finditer(n.exact)])
    text = m.text
    if any(text[k] != " " for k in kept):  # (a gap that opens with a tab)
        chars = list(text)
        for k in kept:
            chars[k] = " "
        text = "".join(chars)
    squeezed = n.squeezed
    if squeezed:
        moved = {old: new for new, old in enumerate(m.maps[0][0])}
        squeezed = frozenset(moved[p] for p in squeezed if p in moved)
    return _new(Normalized, (n.original, n.plain, text, fold(text), squeezed, n.plain_map,
                             n.map + tuple(m.maps)))


def normalize(text: str) -> Normalized:
    """All normalised forms of ``text`` with their maps back to it."""
    if text.isascii():
        nfkc = True
        lower = text.lower()
        folded = _plain_fold(lower, True)
    else:
        # (NFKC hands back the text itself where its quick check says the text is NFKC already;
        # where it cannot tell, as for decomposed letters, asking whether the text is NFKC costs
        # what normalising it does, so it is normalised once and compared)
        out = _decompose("NFKC", text)
        nfkc = out is text or out == text
        if not nfkc:
            composed = _composed(text, out)
            if composed is not None:
                return composed
        lower = text.casefold() if nfkc else ""
        folded = _plain_fold(lower, False) if nfkc and len(lower) == len(text) else _ALL
    if folded.__class__ is str:
        # (the tuple built directly: the named tuple's own constructor is a Python call)
        return _new(Normalized, (text, lower, lower, folded, _NO_SET, (), ()))
    if folded != _ALL:
        return _normalize_words(text, lower, folded)
    return _normalize_fully(text, nfkc)


def _composed(text: str, out: str) -> Normalized | None:
    """Text typed as letters and separate marks (some keyboards type Vietnamese so, "a" and a
    combining acute for "á"), read as the same text composed is, its maps led by the map NFKC's
    composing makes: what every stage gives, without every stage. None where NFKC does more than
    compose each letter with the marks after it (``_nfkc`` decides those). ``out``: the text's
    NFKC."""
    if (_BEFORE_NFKC_ANY.search(text) or _NFKC_EXPANDING_UNMARKED.search(text)
            or _astral(text) & _ASTRAL_NOT_COMPOSED):
        return None
    clusters = _clusters(text)
    if clusters is None or len(out) != len(clusters[0]):
        return None  # (a mark opens the text, or one is left standing: zalgo)
    n = normalize(out)
    if len(clusters[0]) == len(text):  # no mark at all (fullwidth letters): no map, as ``_nfkc``
        return _new(Normalized, (text, *n[1:]))
    composing = (clusters,)
    return _new(Normalized, (text, n.plain, n.exact, n.folded, n.squeezed,
                             composing + n.plain_map, composing + n.map))


def _clusters_py(text: str) -> tuple[list[int], list[int]] | None:
    """Where each letter-and-marks cluster of ``text`` starts and ends (a BMP combining mark
    belongs to the character before it), or None if such a mark opens the text. ``_quick.c``
    answers the same in one pass where it could be compiled."""
    if not text or text[0] in _COMBINING_BMP_CHARS:
        return None
    starters = [i for i, ch in enumerate(text) if ch not in _COMBINING_BMP_CHARS]
    return starters, [*starters[1:], len(text)]


def _normalize_words(text: str, lower: str, work: int) -> Normalized:
    """The stages within words that have ``work``, for text whose lowercase form ``lower`` is
    what the stages before them would give (one to one: NFKC already, no invisible or look-alike
    character). A stage that changed the text may have made work for the next ("f u u u c k"
    collapses to a run), so after one, the next looks for itself."""
    m = _Mapped(lower)
    hinted = bool(work & _SPACED_WORK)  # (the quick answer found the spaced letters' hint)
    if work & _LEET:
        # (no look-alike letter here, and leetspeak is: the quick answer said so)
        m.text = _leet(lower)
        if m.text != lower:  # ("f000" -> "fooo"): the later stages look for themselves
            work |= _SPACED_WORK | _REPEAT_WORK | _TONE
            hinted = False
    if work & _SPACED_WORK:
        before = m.text
        _collapse_spaced(m, hinted)
        work |= _REPEAT_WORK | _TONE if m.text is not before else 0
    if work & _REPEAT_WORK:
        _squeeze(m)
    if work & _TONE:
        _tones(m)  # (a stage before may have made a pair: "h ò a" is "hòa", "hò4" is "hòa")
    # (a gap the quick answer found, or one a stage left: "f u c k  you"; no stage makes a
    # picture, a tab or dots, but leetspeak may make the word beside one, "0🉉$a", and joining
    # spaced letters may drop a separator between one and a word)
    return _spaced_once(_new(Normalized, (text, lower, m.text, fold(m.text), m.squeezed, (),
                                          tuple(m.maps))),
                        bool(work & (_GAP_WORK | _LEET | _SPACED_WORK)))


def _normalize_fully(text: str, nfkc: bool) -> Normalized:
    """Every stage, for text the quick check says needs more than case and diacritics (and, in
    tests, for any text: the quick answer must be what this gives)."""
    m = _Mapped(text)
    _nfkc(m, nfkc)
    _casefold(m)
    _drop_invisible(m)
    plain, plain_map = m.text, tuple(m.maps)
    _letters(m)
    _collapse_spaced(m)
    _squeeze(m)
    _tones(m)
    return _spaced_once(_new(Normalized, (text, plain, m.text, fold(m.text), m.squeezed,
                                          plain_map, tuple(m.maps))))


def normalize_term(term: str) -> str:
    """The ``exact`` form of a ruleset term, so terms and messages meet in the same space."""
    return " ".join(normalize(term).exact.split())
