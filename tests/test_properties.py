"""Property tests: any text, however hostile, gives a verdict whose spans lie inside it."""

import unicodedata

import pytest

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core import ChannelWindow, Message, normalize
from bot.core.confusables import CASEFOLD_TO_BASE

ZALGO = [chr(c) for c in range(0x300, 0x370)]
TRICKS = ["\u200b", "\u200d", "\u202e", "\u202c", "\u2066", "\ufeff", "\x00", "\u3164", "\U000e0041",
          "đ", "ị", "ẹ", "ｆ", "𝐟", "а", "ο", ".", " ", "-", "_", "@", "1", "3", "!", "ß", "İ", "ﬁ"]
SEEDS = ["địt mẹ mày", "fuck", "óc chó", "dm", "lol", "0912345678", "discord.gg/x", "@a"]

hostile_text = st.one_of(
    st.text(max_size=300),
    st.lists(st.sampled_from(TRICKS + ZALGO + SEEDS), max_size=120).map("".join),
    st.tuples(st.sampled_from(SEEDS), st.lists(st.sampled_from(ZALGO + TRICKS), max_size=20))
    .map(lambda p: "".join(c + "".join(p[1]) for c in p[0])),
)


def _check_spans(engine, text):
    verdict = engine.check(text)
    for h in verdict.hits:
        assert 0 <= h.start <= h.end <= len(text)
        assert h.matched == text[h.start : h.end]
    return verdict


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hostile_text)
def test_any_text_gives_spans_inside_it(engine, text):
    _check_spans(engine, text)


@settings(max_examples=300, deadline=None)
@given(hostile_text)
def test_normalized_maps_stay_inside_the_original(text):
    n = normalize(text)
    assert len(n.exact) == len(n.folded)
    for i in range(len(n.exact)):
        a, b = n.span(i, i + 1)
        assert 0 <= a < b <= len(text)
    for i in range(len(n.plain)):
        a, b = n.plain_span(i, i + 1)
        assert 0 <= a < b <= len(text)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                HealthCheck.data_too_large])
@given(st.sampled_from(TRICKS + ZALGO + SEEDS + ["a", "x "]), st.integers(1, 100_000))
def test_texts_up_to_100kb(engine, piece, size):
    text = (piece * (size // len(piece) + 1))[:size]
    _check_spans(engine, text)


def test_100kb_of_mixed_evasions(engine):
    text = ("đ.ị.t m.ẹ \u200b f u c k ｆｕｃｋ số nó 0912345678 @a " + "".join(ZALGO[:5])) * 2000
    text = text[:100_000]
    verdict = _check_spans(engine, text)
    assert {"vi.insult.mother", "en.obscene.profanity", "privacy.phone"} <= {
        h.rule_id for h in verdict.hits}


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.text(max_size=40), st.floats(0, 1e6, allow_nan=False)), max_size=30))
def test_flood_window_never_raises(engine, messages):
    window = ChannelWindow()
    for text, ts in messages:
        engine.check(Message(text=text, author_id="u", channel_id="c", timestamp=ts), window=window)


def _reference_plain(text):
    """The ``plain`` stages done the slow, obvious way on the whole text."""
    from bot.core.confusables import INVISIBLE_CHARS

    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(c for c in folded if c not in INVISIBLE_CHARS)


VIETNAMESE_NFD = [unicodedata.normalize("NFD", w) for w in ("địt", "mẹ", "ếch", "Ở", "ụ", "ữ")]
# characters casefold turns into two or three: a letter and marks ("ẗ", "İ"), or letters ("ß")
CASEFOLD_EXPANDS = ["ẗ", "İ", "ǰ", "ΐ", "ẞ", "ß", "ŉ", "ﬀ", "Ｔ\u0308",
                    "b\u0345", "x\u0345\u0301",  # a mark that casefolds to a letter (ι)
                    "ᴠ\u0344", "a\u0344", "𝐯\u0344\u0301"]  # a mark NFKC expands into marks


@pytest.mark.parametrize("char", sorted(map(chr, CASEFOLD_TO_BASE)))
def test_a_letter_casefold_gives_with_marks_becomes_that_letter(char):
    text = f"x{char}y"
    n = normalize(text)
    assert n.plain == _reference_plain(text) and len(n.plain) == 3
    assert n.plain_span(1, 2) == (1, 2)  # still the character it came from


@settings(max_examples=400, deadline=None)
@given(st.one_of(
    hostile_text,
    st.lists(st.sampled_from(VIETNAMESE_NFD + TRICKS + ZALGO + CASEFOLD_EXPANDS
                             + ["a", " ", "Ａ", "𝐚"]),
             max_size=80).map("".join),
))
def test_fast_normalisation_paths_agree_with_plain_unicode(text):
    # the fast paths (one-to-one table, composed clusters, expanding characters) must give
    # exactly what NFKC, casefold and dropping invisibles give on the whole text
    assert normalize(text).plain == _reference_plain(text)
