"""Character tables for normalisation: look-alike letters, leetspeak digits, invisible characters.

These are facts about characters, not about words: words live in ``rulesets/``.
NFKC already folds fullwidth, mathematical, circled and superscript letters; the look-alike
tables cover what NFKC leaves alone, from Unicode's confusables data (``data/confusables.tsv``,
UTS #39: Cyrillic, Greek, Armenian, Cherokee, IPA, symbols), with a few more by hand.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

# look-alikes Unicode's confusables data leaves out (already casefolded) -> Latin letter
_BY_HAND: dict[str, str] = {
    # Cyrillic
    "а": "a", "в": "b", "е": "e", "ё": "e", "һ": "h", "і": "i", "ї": "i", "ј": "j", "к": "k",
    "м": "m", "н": "h", "о": "o", "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s",
    "ԁ": "d", "ԛ": "q", "ԝ": "w", "ү": "y", "ց": "g",
    # Greek
    "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p",
    "τ": "t", "υ": "u", "χ": "x", "ω": "w", "ς": "s", "γ": "y",
    # Armenian
    "ո": "n", "ս": "u", "հ": "h", "օ": "o", "զ": "q",
    # IPA and Latin extensions that NFKC keeps
    "ɑ": "a", "ɡ": "g", "ı": "i", "ȷ": "j", "ɩ": "i", "ʋ": "u", "ℓ": "l", "ƅ": "b",
    # small capitals
    "ᴀ": "a", "ʙ": "b", "ᴄ": "c", "ᴅ": "d", "ᴇ": "e", "ꜰ": "f", "ɢ": "g", "ʜ": "h", "ɪ": "i",
    "ᴊ": "j", "ᴋ": "k", "ʟ": "l", "ᴍ": "m", "ɴ": "n", "ᴏ": "o", "ᴘ": "p", "ǫ": "q", "ʀ": "r",
    "ꜱ": "s", "ᴛ": "t", "ᴜ": "u", "ᴠ": "v", "ᴡ": "w", "ʏ": "y", "ᴢ": "z",
}

# leetspeak character -> letter; applied only inside words that also contain letters
LEET: dict[str, str] = {
    "0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b",
    "@": "a", "$": "s", "!": "i", "|": "l", "€": "e",
}

# Characters that carry no visible letter: removed before matching. Hangul fillers render as
# blank space and are a favourite for invisible names.
_EXTRA_INVISIBLE = "\u115f\u1160\u3164\uffa0\u2800"


def _ranges(cps: list[int]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for cp in cps:
        if out and out[-1][1] == cp - 1:
            out[-1] = (out[-1][0], cp)
        else:
            out.append((cp, cp))
    return out


def _scan_unicode() -> tuple[list[tuple[int, int]], dict[int, int], list[int], list[int],
                             list[int]]:
    """One pass over the code points that matter, for every table built from Unicode data.

    Returns the invisible ranges: every format, control and combining-mark code point (and
    invisible fillers). Combining marks that survive NFKC cannot be Vietnamese (NFKC composes
    all of its letters), so they are zalgo noise or mark stacking, and are dropped.
    Also returns what NFKC needs to run fast on hostile text: the characters NFKC turns into
    one other character (fullwidth and mathematical letters), the ones it expands ("ﬁ"), and
    the combining marks, which NFKC may compose with the letter before them; and the characters
    that casefold expands ("ß" -> "ss").
    """
    keep = {"\t", "\n", "\r"}
    invisible: list[int] = []
    one: dict[int, int] = {}
    expanding: list[int] = []
    combining: list[int] = []
    casefold_expanding: list[int] = []
    category, decomposition = unicodedata.category, unicodedata.decomposition
    is_combining, nfkc = unicodedata.combining, unicodedata.normalize
    # Planes 3-13 and 15-16 hold no format, mark or compatibility characters; plane 14 holds
    # tags and selectors.
    for cp in [*range(0x30000), *range(0xE0000, 0xE1000)]:
        ch = chr(cp)
        cat = category(ch)
        if (cat in ("Cf", "Cc", "Mn", "Me", "Cs") and ch not in keep) or ch in _EXTRA_INVISIBLE:
            invisible.append(cp)
        if is_combining(ch):
            combining.append(cp)
        if len(ch.casefold()) > 1:
            casefold_expanding.append(cp)
        if decomposition(ch):
            out = nfkc("NFKC", ch)
            if len(out) == 1 and out != ch:
                one[cp] = ord(out)
            elif len(out) > 1:
                expanding.append(cp)
    return _ranges(invisible), one, expanding, combining, casefold_expanding


def _class_body(ranges: list[tuple[int, int]]) -> str:
    return "".join(f"\\U{a:08x}" if a == b else f"\\U{a:08x}-\\U{b:08x}" for a, b in ranges)


_RANGES, NFKC_ONE, _EXPANDING, _COMBINING, _CASEFOLD_EXPANDING = _scan_unicode()
# Split in two because Python's regex engine tests a BMP class with one bitmap look-up but walks
# astral ranges one by one; emoji are astral, so astral characters are checked against a set.
INVISIBLE_BMP = _class_body([r for r in _RANGES if r[0] < 0x10000])
INVISIBLE_CHARS = frozenset(chr(c) for a, b in _RANGES for c in range(a, b + 1))
ASTRAL_INVISIBLE = frozenset(chr(c) for a, b in _RANGES if a >= 0x10000 for c in range(a, b + 1))
# BMP classes for regexes, astral characters as sets (for the same reason as above)
NFKC_EXPANDING_BMP = _class_body(_ranges([c for c in _EXPANDING if c < 0x10000]))
ASTRAL_EXPANDING = frozenset(chr(c) for c in _EXPANDING if c >= 0x10000)
COMBINING_BMP = _class_body(_ranges([c for c in _COMBINING if c < 0x10000]))
ASTRAL_COMBINING = frozenset(chr(c) for c in _COMBINING if c >= 0x10000)
COMBINING_CHARS = frozenset(map(chr, _COMBINING))
# Marks the invisible stage drops whatever surrounds them (casefold leaves them as they are):
# NFKC may drop those it leaves uncomposed at once, saving a map of them.
_DROPPABLE = [c for c in _COMBINING
              if chr(c) in INVISIBLE_CHARS and chr(c).casefold() == chr(c)]
DROPPABLE_MARKS_BMP = _class_body(_ranges([c for c in _DROPPABLE if c < 0x10000]))
ASTRAL_DROPPABLE_MARKS = frozenset(chr(c) for c in _DROPPABLE if c >= 0x10000)
# Marks NFKC expands into other such marks (U+0344 -> U+0308 U+0301): they change a text's
# length only among marks that are dropped, so a text holding them needs no per-cluster NFKC.
_DROPPABLE_SET = frozenset(map(chr, _DROPPABLE))
_EXPANDING_MARKS = {c for c in _EXPANDING if chr(c) in _DROPPABLE_SET and all(
    m in _DROPPABLE_SET for m in unicodedata.normalize("NFKC", chr(c)))}
NFKC_EXPANDING_BMP_UNMARKED = _class_body(
    _ranges([c for c in _EXPANDING if c < 0x10000 and c not in _EXPANDING_MARKS]))
ASTRAL_EXPANDING_UNMARKED = frozenset(
    chr(c) for c in _EXPANDING if c >= 0x10000 and c not in _EXPANDING_MARKS)
# Casefold expansions that are a letter and marks the invisible stage drops anyway ("ẗ" -> "t"
# and a diaeresis): mapped straight to the letter, one character to one, before casefolding.
CASEFOLD_TO_BASE = {c: ord(chr(c).casefold()[0]) for c in _CASEFOLD_EXPANDING
                    if chr(c).casefold()[0] not in INVISIBLE_CHARS
                    and all(m in INVISIBLE_CHARS for m in chr(c).casefold()[1:])}
# all in the BMP, as it happens; a class of them finds the few that change a text's length
CASEFOLD_EXPANDING = _class_body(_ranges(_CASEFOLD_EXPANDING))
NFKC_ONE_BMP = _class_body(_ranges([c for c in sorted(NFKC_ONE) if c < 0x10000]))
ASTRAL_NFKC_ONE = frozenset(chr(c) for c in NFKC_ONE if c >= 0x10000)


# Outside the Latin blocks, the only characters whose canonical decomposition is an ASCII
# character and marks (";" for U+037E, "K" for the kelvin sign, "=" for "≠"); a test checks every
# code point, as ``fold`` relies on the table and NFD agreeing.
_ASCII_DECOMPOSING_ELSEWHERE = (0x37E, 0x1FEF, 0x212A, 0x212B, 0x2260, 0x226E, 0x226F)


def _fold_table() -> dict[int, int]:
    """Character with diacritics -> its ASCII base (and đ -> d), one character to one."""
    table: dict[int, int] = {ord("đ"): ord("d"), ord("Đ"): ord("d")}
    for cp in [*range(0xC0, 0x250), *range(0x1E00, 0x1F00), *_ASCII_DECOMPOSING_ELSEWHERE]:
        base = unicodedata.normalize("NFD", chr(cp))[0]
        if base != chr(cp) and base.isascii():
            table[cp] = ord(base)
    return table


FOLD_TABLE = _fold_table()
VIETNAMESE_LETTERS = frozenset(
    "aàáảãạăằắẳẵặâầấẩẫậbcdđeèéẻẽẹêềếểễệghiìíỉĩịklmnoòóỏõọôồốổỗộơờớởỡợpqrstuùúủũụưừứửữựvxyỳýỷỹỵ"
)


def _tone_moves() -> dict[str, str]:
    """Old-style tone placement -> new style, in the open syllables where the two differ: "òa"
    -> "oà", "ỏe" -> "oẻ", "úy" -> "uý" (hòa/hoà, khỏe/khoẻ, thúy/thuý). Both spellings are
    correct Vietnamese and both are common; matching needs one of them."""
    moves: dict[str, str] = {}
    for first, seconds in (("o", "ae"), ("u", "y")):
        for mark in ("\u0300", "\u0301", "\u0309", "\u0303", "\u0323"):
            toned = unicodedata.normalize("NFC", first + mark)
            for second in seconds:
                moves[toned + second] = first + unicodedata.normalize("NFC", second + mark)
    return moves


# (two characters to two: a text keeps its length and every position)
TONE_MOVES = _tone_moves()
TONE_FIRSTS = frozenset(pair[0] for pair in TONE_MOVES)


def _read_confusables() -> dict[str, str]:
    """``data/confusables.tsv``: character -> the Latin letter it looks like (as written)."""
    out: dict[str, str] = {}
    path = Path(__file__).parent / "data" / "confusables.tsv"
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            code, letter, _ = line.split("\t", 2)
            out[chr(int(code, 16))] = letter
    return out


def _lookalikes() -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """Three tables, one character to one: characters read before NFKC, capitals read before
    casefold, and the rest after.

    NFKC and casefold alone would mislead: Greek capital nu looks like N, its small letter like
    v, so "ΝΙGGΑ" must be read as capitals first; the lunate sigma "ϲ" looks like c, and NFKC
    makes it a sigma, which looks like o. No Vietnamese letter changes, and dropped characters
    are dropped. A capital that Unicode reads as "l" is a capital I ("ΙΙ" is ii).
    """
    vietnamese = VIETNAMESE_LETTERS | {c.upper() for c in VIETNAMESE_LETTERS}
    after: dict[str, str] = dict(_BY_HAND)
    capitals: dict[str, str] = {}
    changed_by_nfkc: dict[str, str] = {}
    for ch, letter in _read_confusables().items():
        folded = ch.casefold()
        if ch in vietnamese or ch in INVISIBLE_CHARS or len(folded) != 1:
            continue
        letter = "i" if letter == "l" and ch.isupper() else letter.lower()
        if unicodedata.normalize("NFKC", ch) != ch:
            changed_by_nfkc[ch] = letter
        elif folded == ch:
            after[ch] = letter
        else:
            capitals[ch] = letter

    def read(ch: str) -> str:
        if ch in capitals:
            return capitals[ch]
        folded = ch.casefold()
        return after.get(folded, folded)

    # a capital whose small letter reads the same needs no reading of its own
    capitals = {ch: letter for ch, letter in capitals.items()
                if after.get(ch.casefold()) != letter}
    before = {}
    for ch, letter in changed_by_nfkc.items():
        out = unicodedata.normalize("NFKC", ch)
        if len(out) != 1 or read(out) != letter:
            before[ch] = letter
    return before, capitals, after


# look-alikes read before NFKC, capitals read before casefold, and the rest (already casefolded)
BEFORE_NFKC, CAPITAL_HOMOGLYPHS, HOMOGLYPHS = _lookalikes()
# what a text's casefolded form holds where a look-alike stood: sends it through every stage
# (a character NFKC changes sends it there anyway)
LOOKALIKE_CHARS = frozenset(HOMOGLYPHS) | {ch.casefold() for ch in CAPITAL_HOMOGLYPHS}
