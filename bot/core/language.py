"""Tell Vietnamese, English and other languages apart in short chat messages.

Vietnamese-only letters answer at once. Without them (Vietnamese typed without diacritics), the
Vietnamese syllable grammar does most of the work: English words rarely fit it (final s/d/r/l,
clusters like "str", letters f/j/w/z). Word lists in ``data/language.yaml`` break ties. Only when
neither language has evidence is langdetect asked whether it is a third language.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import yaml

from bot.core.normalize import fold

_VI_LETTERS = "ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ"
# both cases spelled out: a case-insensitive class costs a case fold per character searched
_VI_ONLY = re.compile(f"[{_VI_LETTERS}{_VI_LETTERS.upper()}]")
_WORD = re.compile(r"[^\W\d_]+")
_ASCII_WORD = re.compile("[a-z]+")  # the same in lowercase ASCII text, at twice the speed
# a handle or a link is no word of the message's language ("@la_di_daDEE try me" is English):
# found in the same pass as the words, and dropped
_NOT_PROSE = r"@[\w.]+|\w+://\S+|"
_WORD_OR_NOT = re.compile(_NOT_PROSE + _WORD.pattern)
_ASCII_WORD_OR_NOT = re.compile(_NOT_PROSE + _ASCII_WORD.pattern)
_ONSET = r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnprstvx])?"
_RIME = (
    r"(?:uyen|uyet|uya|uyu|oai|oay|oeo|oac|oan|oang|oanh|oat|oam|oap|oach|oen|oet|"
    r"ieu|yeu|uoi|uou|uay|iec|iem|ien|iep|iet|ieng|uoc|uom|uon|uong|uot|"
    r"yen|yet|yem|uan|uang|uat|uan|uach|uanh|uc|ung|"
    r"ai|ao|au|ay|eo|eu|ia|iu|oa|oe|oi|ua|ui|uu|uy|ue|"
    r"a|e|i|o|u|y)(?:ch|ng|nh|c|m|n|p|t)?"
)
_VI_SYLLABLE = re.compile(f"^{_ONSET}{_RIME}$")
_LATIN_WORD = re.compile("[a-z\u00c0-\u024f\u1e00-\u1eff]+")
MAX_WORDS = 200


@lru_cache(maxsize=1)
def _data() -> dict:
    return yaml.safe_load((Path(__file__).parent / "data" / "language.yaml").read_text("utf-8"))


@lru_cache(maxsize=1)
def _lists() -> tuple[frozenset[str], frozenset[str]]:
    data = _data()
    return frozenset(map(str, data["vi_common"])), frozenset(map(str, data["en_common"]))


# Scores per word, worked out once: chat draws on a small vocabulary, and a word's score is
# several regex and set look-ups. Bounded, as a forged message may bring thousands of new words.
_SCORES: dict[str, tuple[float, float, int]] = {}
_MAX_SCORES = 50_000
_KNOWN_EN, _KNOWN_VI = 1, 2  # flags: a frequent chat word of that language
_NOT_LATIN = (0.0, 0.0, 0)


def _score(word: str) -> tuple[float, float, int]:
    """How Vietnamese and how English ``word`` (casefolded) looks, and which language's
    frequent words hold it (``_KNOWN_EN``, ``_KNOWN_VI``); ``_NOT_LATIN`` for a word in
    another script."""
    if word.isascii():
        score = _latin_score(word, 0.0)
    elif _LATIN_WORD.fullmatch(word):
        score = _latin_score(fold(word), 1.0)  # Latin diacritics: far more Vietnamese than English
    else:
        score = _NOT_LATIN
    if len(_SCORES) >= _MAX_SCORES:
        _SCORES.clear()
    _SCORES[word] = score
    return score


def _latin_score(w: str, vi: float) -> tuple[float, float, int]:
    vi_words, en_words = _lists()
    in_vi, in_en = w in vi_words, w in en_words
    if in_vi and not in_en:
        return (vi + 2, 0.0, _KNOWN_VI)
    if in_en and not in_vi:
        return (vi, 2.0, _KNOWN_EN)
    if in_vi and in_en:
        return (vi + 0.5, 0.5, _KNOWN_EN | _KNOWN_VI)
    if _VI_SYLLABLE.match(w):
        return (vi + 1, 0.0, 0)
    return (vi, 1.0, 0)


def is_everyday_word(word: str) -> bool:
    """Whether ``word`` (any case, with or without diacritics) is one of the frequent chat words
    of either language: a community term of that one word would hit everyday chat."""
    folded = fold(word.casefold())
    vi_words, en_words = _lists()
    return folded in vi_words or folded in en_words


@lru_cache(maxsize=1)
def _marked_fillers() -> frozenset[str]:
    return frozenset(map(str, _data()["marked_fillers"]))


def is_marked_filler(word: str) -> bool:
    """Whether ``word`` (lowercase) is a call or a reply typed with its marks even by members
    who type the rest without them ("ê", "ơi", "ừ"): it says nothing of how a sentence is typed."""
    return word in _marked_fillers()


def is_common_word(word: str, language: str) -> bool:
    """Whether ``word`` (any case, with or without diacritics) is one of the frequent chat words
    of ``language`` ("vi" or "en"; never for another)."""
    vi_words, en_words = _lists()
    words = {"vi": vi_words, "en": en_words}.get(language)
    return words is not None and fold(word.casefold()) in words


def is_vi_syllable(word: str) -> bool:
    return bool(_VI_SYLLABLE.match(word))


def detect_language(text: str, thorough: bool = False, usual: str | None = None) -> str:
    """``vi``, ``en`` or ``other`` for one message.

    ``thorough`` also asks langdetect whether English-looking text with no English word is a
    third language; it costs milliseconds, so the engine's hot path never asks it.

    ``usual``: the language the message's community writes in, if known. A message that gives
    no evidence of its own (no Vietnamese letter and no frequent word of either language:
    "Vcc", "gg ez", an emoji) is read in it: in a Vietnamese group "cc" is the swear word, in
    an English one a copy.
    """
    if not text.isascii() and _VI_ONLY.search(text):
        return "vi"
    # the first words tell a message's language as well as all of them, and a forged message
    # holds a thousand
    folded = text.casefold()
    if "@" in folded or "://" in folded:
        found = (_ASCII_WORD_OR_NOT if folded.isascii() else _WORD_OR_NOT).findall(folded)
        words = [w for w in found if w[0] != "@" and ":" not in w][:MAX_WORDS]
    else:
        words = (_ASCII_WORD if folded.isascii() else _WORD).findall(folded)[:MAX_WORDS]
    if not words:
        return usual or "en"  # emoji, numbers, punctuation: nothing to tell
    vi = en = 0.0
    latin = 0
    known = 0
    scores = _SCORES
    for w in words:
        score = scores.get(w)
        if score is None:
            score = _score(w)
        if score is not _NOT_LATIN:
            latin += 1
            vi += score[0]
            en += score[1]
            known |= score[2]
    if latin * 2 < len(words):
        return "other"
    if usual and not known:
        return usual
    if vi > en:
        return "vi"
    if thorough and not known & _KNOWN_EN and latin >= 3:
        return _third_language(text)
    return "en"


def _third_language(text: str) -> str:
    """English-looking by grammar but no English word: ask langdetect (slow, so asked last)."""
    try:
        from langdetect import DetectorFactory, detect
    except ImportError:  # the check extra is not installed: no third language then
        return "en"
    DetectorFactory.seed = 0
    try:
        code = detect(text)
    except Exception:  # langdetect raises on text with no features
        return "en"
    return {"vi": "vi", "en": "en"}.get(code, "other")
