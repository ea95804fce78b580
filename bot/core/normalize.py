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

Speed: most messages change length in no stage, so no map is built at all (an empty chain means
the identity); a stage that changes length records one map, and maps are walked back only for
the spans a verdict reports.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from itertools import accumulate, compress
from typing import Callable, NamedTuple

from bot.core.confusables import (
    ASTRAL_COMBINING, ASTRAL_EXPANDING, ASTRAL_INVISIBLE, ASTRAL_NFKC_ONE, CASEFOLD_EXPANDING,
    ASTRAL_DROPPABLE_MARKS, ASTRAL_EXPANDING_UNMARKED, CASEFOLD_TO_BASE, DROPPABLE_MARKS_BMP,
    NFKC_EXPANDING_BMP_UNMARKED,
    COMBINING_BMP,
    COMBINING_CHARS, FOLD_TABLE, HOMOGLYPHS,
    INVISIBLE_BMP, INVISIBLE_CHARS, LEET, NFKC_EXPANDING_BMP, NFKC_ONE, NFKC_ONE_BMP,
)

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
# Any character the classes above look for, in one class: most chat holds none, and one search
# costs a third of three (a regex call costs more than its scan on a short message)
_ASCII_ANY = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f0-9$@!|]")
_UNICODE_ANY = re.compile(f"[{INVISIBLE_BMP}{''.join(HOMOGLYPHS)}0-9$€@!|\U00010000-\U0010ffff]")
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


def _astral(text: str) -> set[str]:
    return set(_ASTRAL.findall(text)) if _ASTRAL.search(text) else set()


def _nfkc(m: _Mapped, normalized: bool) -> None:
    """``normalized``: whether the text is NFKC already (``normalize`` has asked)."""
    if normalized:
        return
    text = m.text
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
        # a forged message repeats a few tokens hundreds of times: each is worked out once
        done: dict[str, str] = {}

        def token(match: re.Match[str]) -> str:
            got = done.get(match.group())
            if got is None:
                got = done[match.group()] = _leet_token(match)
            return got

        text = _LEET_TOKEN.sub(token, text)
    m.text = text  # both steps map one character to one


def _collapse_spaced(m: _Mapped) -> None:
    """Drop the separators between single letters; characters are only dropped, so a keep-mask
    (one slice per spaced word, at C speed) and ``compress`` build the text and its map."""
    text = m.text
    if not _SPACED_HINT.search(text):
        return
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
    if mask is not None:
        m.remap("".join(compress(text, mask)), list(compress(range(len(text)), mask)), None)


def _squeeze(m: _Mapped) -> None:
    text = m.text
    if not _REPEAT_HINT.search(text):
        return
    runs = [r for r in _REPEAT.finditer(text) if r.group(1).isalpha()]
    if not runs:
        return
    m.squeezed = frozenset(m.squeeze_runs([r.span() for r in runs]))


def fold(text: str) -> str:
    """Drop Vietnamese and other Latin diacritics, one character to one (đ -> d)."""
    if text.isascii() or not _FOLD_NEEDED.search(text):
        return text
    return text.translate(_FOLD_LIST)


_NO_SET: frozenset[int] = frozenset()


def _needs_work(text: str, nfkc: bool) -> str | None:
    """The lowercased text if no stage but case and diacritics has work to do, else None.
    ``nfkc``: whether the text is NFKC already.

    Most chat is like that, and this answers it with a handful of C-speed scans, building no map.
    """
    if text.isascii():
        lower = text.lower()
        if _ASCII_ANY.search(lower) and (
                _ASCII_SPECIAL.search(lower)
                or (_LEET_PUNCT.search(lower) and _LEET_HINT.search(lower))):
            return None
    else:
        if not nfkc:
            return None
        lower = text.casefold()
        if len(lower) != len(text):
            return None
        if _UNICODE_ANY.search(lower) and (
                _UNICODE_SPECIAL.search(lower)
                or _astral(lower) & ASTRAL_INVISIBLE
                or (_LEET_PUNCT.search(lower) and _LEET_HINT.search(lower))):
            return None
    if _SPACED_HINT.search(lower) or _REPEAT_HINT.search(lower):
        return None
    return lower


def normalize(text: str) -> Normalized:
    """All normalised forms of ``text`` with their maps back to it."""
    nfkc = text.isascii() or unicodedata.is_normalized("NFKC", text)
    lower = _needs_work(text, nfkc)
    if lower is not None:
        return Normalized(text, lower, lower, fold(lower), _NO_SET, (), ())
    m = _Mapped(text)
    _nfkc(m, nfkc)
    _casefold(m)
    _drop_invisible(m)
    plain, plain_map = m.text, tuple(m.maps)
    _letters(m)
    _collapse_spaced(m)
    _squeeze(m)
    return Normalized(
        text, plain, m.text, fold(m.text), m.squeezed,
        plain_map, tuple(m.maps),
    )


def normalize_term(term: str) -> str:
    """The ``exact`` form of a ruleset term, so terms and messages meet in the same space."""
    return " ".join(normalize(term).exact.split())
