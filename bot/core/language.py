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

_VI_ONLY = re.compile("[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]", re.IGNORECASE)
_WORD = re.compile(r"[^\W\d_]+")
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
def _lists() -> tuple[frozenset[str], frozenset[str]]:
    data = yaml.safe_load((Path(__file__).parent / "data" / "language.yaml").read_text("utf-8"))
    return frozenset(map(str, data["vi_common"])), frozenset(map(str, data["en_common"]))


def is_vi_syllable(word: str) -> bool:
    return bool(_VI_SYLLABLE.match(word))


def detect_language(text: str, thorough: bool = False) -> str:
    """``vi``, ``en`` or ``other`` for one message.

    ``thorough`` also asks langdetect whether English-looking text with no English word is a
    third language; it costs milliseconds, so the engine's hot path never asks it.
    """
    if _VI_ONLY.search(text):
        return "vi"
    # the first words tell a message's language as well as all of them, and a forged message
    # holds a thousand
    words = _WORD.findall(text.casefold())[:MAX_WORDS]
    if not words:
        return "en"  # emoji, numbers, punctuation: nothing to tell, reply in English
    latin = [w for w in words if w.isascii() or _LATIN_WORD.fullmatch(w)]
    if len(latin) * 2 < len(words):
        return "other"
    vi_words, en_words = _lists()
    vi = en = 0.0
    known_en = False
    for w in latin:
        if not w.isascii():
            w = fold(w)
            vi += 1  # Latin diacritics are far more Vietnamese than English
        in_vi, in_en = w in vi_words, w in en_words
        known_en = known_en or in_en
        if in_vi and not in_en:
            vi += 2
        elif in_en and not in_vi:
            en += 2
        elif in_vi and in_en:
            vi += 0.5
            en += 0.5
        elif _VI_SYLLABLE.match(w):
            vi += 1
        else:
            en += 1
    if vi > en:
        return "vi"
    if thorough and not known_en and len(latin) >= 3:
        return _third_language(text)
    return "en"


def _third_language(text: str) -> str:
    """English-looking by grammar but no English word: ask langdetect (slow, so asked last)."""
    try:
        from langdetect import DetectorFactory, detect
    except ImportError:  # pragma: no cover - langdetect is a declared dependency
        return "en"
    DetectorFactory.seed = 0
    try:
        code = detect(text)
    except Exception:  # langdetect raises on text with no features
        return "en"
    return {"vi": "vi", "en": "en"}.get(code, "other")
