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
_LATIN = re.compile(r"[a-zà-ỹ]", re.IGNORECASE)


@lru_cache(maxsize=1)
def _lists() -> tuple[frozenset[str], frozenset[str]]:
    data = yaml.safe_load((Path(__file__).parent / "data" / "language.yaml").read_text("utf-8"))
    return frozenset(map(str, data["vi_common"])), frozenset(map(str, data["en_common"]))


def is_vi_syllable(word: str) -> bool:
    return bool(_VI_SYLLABLE.match(word))


def detect_language(text: str) -> str:
    """``vi``, ``en`` or ``other`` for one message."""
    if _VI_ONLY.search(text):
        return "vi"
    raw = _WORD.findall(text.casefold())
    words = [fold(w) for w in raw]
    accented = sum(1 for r, w in zip(raw, words) if r != w and w.isascii())
    words = [w for w in words if w.isascii()]
    if not words:
        letters = sum(1 for c in text if c.isalpha())
        return "other" if letters else "en"
    vi_words, en_words = _lists()
    vi, en = float(accented), 0.0  # Latin diacritics are far more Vietnamese than English
    for w in words:
        in_vi, in_en = w in vi_words, w in en_words
        syllable = is_vi_syllable(w)
        if in_vi and not in_en:
            vi += 2
        elif in_en and not in_vi:
            en += 2
        elif in_vi and in_en:
            vi += 0.5
            en += 0.5
        elif syllable:
            vi += 1
        else:
            en += 1
    if vi > en:
        return "vi"
    latin = len(_LATIN.findall(text))
    if latin < sum(1 for c in text if c.isalpha()) / 2:
        return "other"
    if en >= 2 and not any(w in en_words for w in words) and len(words) >= 3:
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
