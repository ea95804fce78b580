"""Whether a term stands where its rule says it counts: the words just before and after it.

"mọi" is a slur after "bọn" and the word *every* before "người"; "dm" is an insult, and a direct
message in "check dm". A rule says which with a context (``rulesets/``; docs/ENGINE.md,
"Writing a rule"); this module answers it for one hit, on the diacritics-folded text, so a context word
typed without its marks still counts. A word that makes a hit count ("preceded_by",
"followed_by") and was typed with marks must carry its own: "Nam Kỳ bán gạo" is not "Nam Kỳ
bẩn", "người miền Tây lưới cá" not "lười", "đều" not "đểu". (Words that clear a hit are read
folded whatever their marks: a typo must not make an innocent message an insult.) Asked only
for the hits of terms that have a context.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable

from bot.core.confusables import VIETNAMESE_LETTERS
from bot.core.language import is_marked_filler
from bot.core.normalize import Normalized, fold, normalize_term
from bot.core.ruleset import Context

_WORD = re.compile(r"[^\W_]+")
# in ASCII text (most folded text), words are what is left of it once everything but letters
# and digits is a space: a translate and a split, several times faster than a regex
_ASCII_SPACES = str.maketrans({chr(c): " " for c in range(128) if not chr(c).isalnum()})


def _words_in(text: str, start: int, end: int) -> list[str]:
    piece = text[start:end]
    if piece.isascii():
        return piece.translate(_ASCII_SPACES).split()
    return _WORD.findall(piece)
_SENTENCE_END = frozenset(".!?…\n:;")
_SPAN = 24  # characters of text to read per word a context looks at, either side
_SEEN_MOST = 4096  # stretches remembered per context, and by the name check (_NAMES)


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


def consistent(typed: str, term: str, plain: bool = True) -> bool:
    """Whether ``typed`` is ``term`` with diacritics left out or faked, never changed.

    Called only where ``typed`` and ``term`` fold to the same letters. ``plain``: whether a
    word typed without any diacritics may stand for a written form with them (not among words
    typed with theirs, where "gia" in "gia đình" is not "giá").
    """
    if len(typed) != len(term):
        return False
    if typed.isascii():
        # no diacritics typed at all: the plain omission case, where the text around is plain
        return plain or term.isascii()
    if "đ" in term and _stroke_dropped(typed, term):
        return False
    for a, b in zip(typed, term):
        if a == b:
            continue
        if a in VIETNAMESE_LETTERS and a != fold(b):
            return False  # a real Vietnamese letter with other marks: another word
        if fold(a) != fold(b):
            return False
    return True


def _stroke_dropped(typed: str, term: str) -> bool:
    """Whether a word typed with its marks has "d" where the term's word has "đ": another word
    ("dù mẹ có nói gì" is not "đù mẹ", "dụ nhau đi chơi" not "đụ nhau"), as a word typed with
    other marks is; a word typed with none still stands for either."""
    for t, w in zip(typed.split(" "), term.split(" ")):
        if "đ" in w and not t.isascii() and any(a == "d" and b == "đ" for a, b in zip(t, w)):
            return True
    return False


class _Phrases:
    """Context phrases: single words and longer ones by their length in words, so a check
    looks at each window once; each found by its folded words, with the forms it is written in
    (``marks``: a word typed with marks must carry a written form's own, ``consistent``)."""

    __slots__ = ("singles", "by_size", "number", "marks")

    def __init__(self, texts: tuple[str, ...], marks: bool = False) -> None:
        self.number = NUMBER in texts
        self.marks = marks
        singles: dict[str, set[tuple[str, ...]]] = {}
        by_size: dict[int, dict[tuple[str, ...], set[tuple[str, ...]]]] = {}
        for t in texts:
            if t != NUMBER:
                written = tuple(_WORD.findall(normalize_term(t)))
                words = tuple(fold(w) for w in written)
                if len(words) == 1:
                    singles.setdefault(words[0], set()).add(written)
                elif words:
                    by_size.setdefault(len(words), {}).setdefault(words, set()).add(written)
        self.singles = {k: tuple(v) for k, v in singles.items()}
        self.by_size = tuple((size, {k: tuple(v) for k, v in found.items()})
                             for size, found in by_size.items())

    def _typed_as(self, typed: list[str], a: int, b: int,
                  forms: tuple[tuple[str, ...], ...] | None, plain: bool) -> bool:
        """Whether the words ``typed[a:b]`` are one of ``forms``, as this list reads them
        (``plain``: as ``consistent`` reads a word typed without diacritics)."""
        if forms is None:
            return False
        if not self.marks:
            return True
        words = typed[a:b]
        return any(all(consistent(t, w, plain) for t, w in zip(words, form)) for form in forms)

    def __bool__(self) -> bool:
        return bool(self.singles or self.by_size) or self.number

    def longest(self) -> int:
        return max([1, *(size for size, _ in self.by_size)])

    def _one(self, words: list[str], typed: list[str], i: int, plain: bool) -> bool:
        return (self._typed_as(typed, i, i + 1, self.singles.get(words[i]), plain)
                or (self.number and words[i].isdecimal()))

    def before(self, words: list[str], typed: list[str], within: int, plain: bool = True
               ) -> bool:
        """Whether one of the phrases ends at most ``within`` words before the term (``words``:
        the folded words before it, nearest last; ``typed``: the same as typed; ``plain``: as
        ``consistent`` reads a word typed without diacritics)."""
        for gap in range(within):
            end = len(words) - gap
            if end < 1:
                return False
            if self._one(words, typed, end - 1, plain):
                return True
            for size, phrases in self.by_size:
                if end - size >= 0 and self._typed_as(
                        typed, end - size, end, phrases.get(tuple(words[end - size:end])), plain):
                    return True
        return False

    def after(self, words: list[str], typed: list[str], within: int, plain: bool = True
              ) -> bool:
        """Whether one of the phrases starts at most ``within`` words after the term
        (``words``: the folded words after it, nearest first; ``typed``: as typed; ``plain``:
        as in ``before``)."""
        count = len(words)
        for start in range(min(within, count)):
            if self._one(words, typed, start, plain):
                return True
            for size, phrases in self.by_size:
                if start + size <= count and self._typed_as(
                        typed, start, start + size, phrases.get(tuple(words[start:start + size])),
                        plain):
                    return True
        return False


class CompiledContext:
    """A rule's context with its phrases normalised and folded, as the text will be."""

    __slots__ = ("before", "not_before", "after", "not_after", "within", "unless_name",
                 "neutral", "marked", "reach", "looks_before", "looks_after", "_seen")

    def __init__(self, spec: Context) -> None:
        self.before = _Phrases(spec.preceded_by, marks=True) or None
        self.not_before = _Phrases(spec.not_preceded_by) or None
        self.after = _Phrases(spec.followed_by, marks=True) or None
        self.not_after = _Phrases(spec.not_followed_by) or None
        self.looks_before = self.before is not None or self.not_before is not None
        self.looks_after = self.after is not None or self.not_after is not None
        self.within = spec.within
        self.unless_name = spec.unless_name
        self.neutral = spec.neutral
        self.marked = spec.marked
        # how many words either side a check may need: the window, and the longest phrase
        longest = max((p.longest() for p in (self.before, self.not_before, self.after,
                                             self.not_after) if p is not None), default=1)
        self.reach = self.within + longest
        # The words around a hit decide it, so the same stretch of text decides alike: a forged
        # message repeating one term a thousand times ("dm dm dm ...") is read once per stretch
        # (bounded: cleared when full)
        self._seen: dict[tuple[str, str], bool] = {}

    def holds(self, n: Normalized, start: int, end: int) -> bool:
        """Whether the hit at [start, end) of the folded text counts where it stands. (The
        words either side are read from a stretch of the text around it, not the whole.)"""
        exact = n.exact  # (as long as the folded text: each word stands at the same place)
        span = _SPAN * self.reach
        key = (exact[max(0, start - span):start] if self.looks_before else "",
               exact[end:end + span] if self.looks_after else "")
        counts = self._seen.get(key)
        if counts is None:
            counts = self._around(key[0], key[1])
            if len(self._seen) >= _SEEN_MOST:
                self._seen.clear()
            self._seen[key] = counts
        return counts and not (self.unless_name and _written_as_name(n, start, end))

    def _around(self, left: str, right: str) -> bool:
        """Whether the words of ``left`` (the stretch before a hit, as typed) and ``right``
        (after it) are what the context asks for. A word that makes the hit count must stand in
        its sentence ("mẹ dạy con nấu ăn. lol ok" holds no "con lol"); one that clears it may
        stand in the next, where a message often says what it meant ("tao biết nhà mày ở đâu
        rồi. Mai qua lấy sách")."""
        within, reach = self.within, self.reach
        left_words = _words_in(left, 0, len(left))[-reach:] if self.looks_before else []
        right_words = _words_in(right, 0, len(right))[:reach] if self.looks_after else []
        # (a word typed plain stands for its marked forms where the text around is plain, unless
        # the context holds its words to their marks)
        plain = not self.marked and not _mostly_marked(left_words + right_words)
        if self.looks_before:
            before = [fold(w) for w in left_words]
            if self.before is not None:
                own = _sentence_before(left, _SENTENCE_EDGE)
                mine = left_words if own is left else _words_in(own, 0, len(own))[-reach:]
                if not self.before.before([fold(w) for w in mine], mine, within, plain):
                    return False
            if self.not_before is not None and self.not_before.before(before, left_words, within):
                return False
        if self.looks_after:
            after = [fold(w) for w in right_words]
            if self.after is not None:
                own = _sentence_after(right, _SENTENCE_EDGE)
                mine = right_words if own is right else _words_in(own, 0, len(own))[:reach]
                if not self.after.after([fold(w) for w in mine], mine, within, plain):
                    return False
            if self.not_after is not None and self.not_after.after(after, right_words, within):
                return False
        return True


# where a sentence ends, for the words that make a hit count: a full stop before a space, or a
# line break. Another sentence's words do not make a term what it is ("mẹ dạy con nấu ăn. lol
# ok" is laughter, not "con lol"). Not a question or an exclamation: a question answered ("send
# me nudes? no way") and a pitch ("FREE NITRO!!! claim here") are read whole; nor an ellipsis,
# a pause mid-sentence
_SENTENCE_EDGE = re.compile(r"(?<![.])\.\s|\n")


MIXED_REACH = 5  # words either side read to tell how the text around a phrase is typed
# where a sentence ends for telling how it was typed: any of its ends (a question typed with
# marks says nothing of the answer typed without)
_TYPED_EDGE = re.compile(r"[.!?…]+\s|\n")


def in_a_plain_sentence(exact: str, start: int, end: int) -> bool:
    """Whether the word at [start, end) of ``exact`` stands in a sentence typed without any
    diacritics (two words of two letters or more beside it, read at most ``MIXED_REACH``
    either side), though the message has marks elsewhere: an unaccented word there is read as
    the sentence's own typing reads it ("an xong roi di ngu. Người Hoa ở Chợ Lớn ..." sleeps),
    as the same sentence sent alone would be. Letters alone ("ngu v k l") are no typing, and a
    call or a reply typed with its marks ("ê", "ơi": ``language.is_marked_filler``) no sign of
    marks."""
    left, right = _sentence_around(exact, start, end)
    words = _words_in(left, 0, len(left))[-MIXED_REACH:] + _words_in(right, 0, len(right))[
        :MIXED_REACH]
    # (a call or a reply typed with its marks, "ê di ngu thoi", says nothing of the typing)
    return (all(w.isascii() or is_marked_filler(w) for w in words)
            and sum(len(w) > 1 and w.isascii() and w.isalpha() for w in words) >= 2)


def sentence_of(exact: str, start: int, end: int) -> str:
    """The sentence the word at [start, end) of ``exact`` stands in (read at most
    ``MIXED_REACH`` words' worth of text either side)."""
    left, right = _sentence_around(exact, start, end)
    return left + exact[start:end] + right


def _sentence_around(exact: str, start: int, end: int) -> tuple[str, str]:
    """The text of its sentence before and after the word at [start, end) of ``exact``, read at
    most ``MIXED_REACH`` words' worth either side."""
    a, b = max(0, start - _SPAN * MIXED_REACH), end + _SPAN * MIXED_REACH
    return (_sentence_before(exact[a:start], _TYPED_EDGE),
            _sentence_after(exact[end:b], _TYPED_EDGE))


def _sentence_before(left: str, edge: re.Pattern[str]) -> str:
    """The part of ``left`` (text just before a word) in the word's own sentence."""
    last = None
    for last in edge.finditer(left):
        pass
    return left if last is None else left[last.end():]


def _sentence_after(right: str, edge: re.Pattern[str]) -> str:
    """The part of ``right`` (text just after a word) in the word's own sentence."""
    m = edge.search(right)
    return right if m is None else right[:m.start()]


def typed_plain_among_marked(exact: str, start: int, end: int, written: str) -> bool:
    """Whether the phrase at [start, end) of ``exact`` was typed without diacritics where its
    listed form ``written`` has them, among words typed with theirs (two at least, and at least
    half as many as those typed without: much everyday Vietnamese carries no marks of its own).

    Someone who types marks types them on the words they mean: "bắc cái thang cho bố sửa mái"
    holds a ladder, not "thằng chó", and "lấy con dao cho mẹ" a knife; so is a phrase typed with
    marks on some words and none on one whose listed form has them ("da mặt cho đỡ sợ", not
    "mặt chó"). Only phrases: one word typed plain is often its own spelling of a swear word
    ("duma", "ditme")."""
    typed = exact[start:end]
    if " " not in typed or written.isascii():
        return False
    if not typed.isascii():
        # marks typed within the phrase itself: a word of it typed without the marks its listed
        # form has is that word ("da mặt cho đỡ sợ", "quật cho chết": not "mặt chó", "chó chết")
        return _marks_left_off(typed.split(), written.split())
    a, b = max(0, start - _SPAN * MIXED_REACH), end + _SPAN * MIXED_REACH
    left, right = _words_in(exact, a, start), _words_in(exact, end, b)
    if a and exact[a - 1].isalnum():
        left = left[1:]  # (the stretch began inside a word)
    if b < len(exact) and exact[b].isalnum():
        right = right[:-1]
    return _mostly_marked(left[-MIXED_REACH:] + right[:MIXED_REACH], plain_per_marked=2)


def _marks_left_off(typed: list[str], listed: list[str]) -> bool:
    """Whether a word of ``typed`` carries no marks where its word in ``listed`` has them."""
    return len(typed) == len(listed) and any(
        t.isascii() and t.isalpha() and not w.isascii() for t, w in zip(typed, listed))


_OPEN_QUOTES = frozenset("\"'“‘«„`")
_CLOSE_QUOTES = frozenset("\"'”’»“`")


def quoted(exact: str, start: int, end: int) -> bool:
    """Whether a hit is a word set in quotation marks ('"đm" nghĩa là gì', 'is "bitch" a bad
    word'): a word mentioned, not used."""
    return 0 < start and end < len(exact) and exact[start - 1] in _OPEN_QUOTES and (
        exact[end] in _CLOSE_QUOTES)


_SPEECH_OPENS = frozenset("“«„")  # and the straight '"', which opens or closes by its count
_SPEECH_CLOSES = frozenset("\"”»“")
_SPEECH_MARKS = ("\"", "“", "”", "«", "»", "„")
_BEFORE_QUOTE = " :,-–—"
MAX_SAYING_WORDS = 3


def saying_words(phrases: Iterable[str]) -> frozenset[str]:
    """A file's ``quoting:`` phrases as ``in_quoted_speech`` compares them: folded, lowercase,
    one space between words."""
    return frozenset(" ".join(fold(p).lower().split()) for p in phrases if p.strip())


def opens_a_quotation(exact: str) -> bool:
    """Whether a message holds a quotation mark that may open a quotation (asked once a message,
    before ``in_quoted_speech`` is asked for each hit)."""
    return '"' in exact or "“" in exact or "«" in exact or "„" in exact


def in_quoted_speech(exact: str, start: int, end: int, saying: frozenset[str]) -> bool:
    """Whether a hit stands inside a quotation opened just after a word of saying in
    ``saying`` ('phản diện nói "tao giết mày"', 'the song goes "..."'): someone else's words,
    told. Double quotation marks only: an apostrophe is no quotation. Looked at only for a
    hit, so a message with none costs nothing."""
    q = max(exact.rfind(mark, 0, start) for mark in _SPEECH_MARKS)
    if q < 0:
        return False
    mark = exact[q]
    if mark == '"':
        if exact.count('"', 0, q) % 2:  # the nearest straight quote before the hit closes one
            return False
    elif mark not in _SPEECH_OPENS:
        return False
    if not any(exact.find(c, end) >= 0 for c in _SPEECH_CLOSES):
        return False  # a quotation never closed: the rest of the message is the writer's
    words = exact[:q].rstrip(_BEFORE_QUOTE).split()[-MAX_SAYING_WORDS:]
    folded = [fold(w).lower() for w in words]
    return any(" ".join(folded[k:]) in saying for k in range(len(folded)))


def follows_a_report(exact: str, ends: list[int], start: int, within: int) -> bool:
    """Whether a hit at ``start`` has a reporting phrase ("chửi mình là", "called me a")
    ending at one of ``ends`` at most ``within`` words before it."""
    return any(end <= start and len(_words_in(exact, end, start)) <= within for end in ends)


def _mostly_marked(words: list[str], plain_per_marked: int = 1) -> bool:
    """Whether words around a hit are typed with diacritics (two at least, and no more than
    ``plain_per_marked`` typed without for each): there a word typed without any is itself
    ("gia đình", "bao nhiêu"), not a marked word's plain spelling. A spammer's "nhà cái uy tin
    nap rut" is plain."""
    marked = plain = 0
    for w in words:
        if not w.isascii():
            marked += 1
        elif w.isalpha():
            plain += 1
    return marked >= 2 and marked * plain_per_marked >= plain


def _written_as_name(n: Normalized, start: int, end: int) -> bool:
    """Capitalised ("Dick", not "DICK" or "dick"), in a sentence not capitalised throughout
    (a title, or "Suck My Dick"), and not its first word unless a capitalised surname follows
    ("Dick Cheney was ...")."""
    a, b = n.span(start, end)
    text = n.original
    if not _capitalised(text[a:b]):
        return False
    # decided by the sentence around it, read at most _NAME_REACH characters either side: the
    # same stretch decides alike, so a forged message repeating "with Dick" is read once
    lo = max(0, a - _NAME_REACH)
    key = (text[lo:b + _NAME_REACH], a - lo, b - lo)
    named = _NAMES.get(key)
    if named is None:
        if len(_NAMES) >= _SEEN_MOST:
            _NAMES.clear()
        named = _NAMES[key] = _name_in(*key)
    return named


def _name_in(piece: str, a: int, b: int) -> bool:
    """Whether the capitalised word at [a, b) of ``piece`` stands as a name in its sentence."""
    head = _WORD.findall(_SENTENCE_BREAK.split(piece[:a])[-1])
    tail = _WORD.findall(_SENTENCE_BREAK.split(piece[b:], maxsplit=1)[0])
    if not head:
        if not tail or not _capitalised(tail[0]):
            return False
        others = tail[1:]
    else:
        others = head[1:] + tail  # (the sentence's first word is capitalised anyway)
    return not others or any(w[0].islower() for w in others)


def _capitalised(word: str) -> bool:
    return len(word) >= 2 and word[0].isupper() and word[1:].islower()


# how far either side of a word its sentence is read: enough to tell a name from a title, and
# a bound on the work for a forged sentence of a thousand "Dick"s
_NAME_REACH = 80
_SENTENCE_BREAK = re.compile("[" + re.escape("".join(sorted(_SENTENCE_END))) + "]")
_NAMES: dict[tuple[str, int, int], bool] = {}
