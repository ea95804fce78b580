"""The normaliser's quick answer for ordinary chat (case and diacritics only) against the full
pipeline, and its C implementation against the Python reference."""

import importlib
import re
import shutil
import unicodedata

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.core.confusables import FOLD_TABLE, HOMOGLYPHS, INVISIBLE_CHARS, LEET

# (the package re-exports a function of the module's name)
N = importlib.import_module("bot.core.normalize")

try:
    from bot.core import _quick as C
except ImportError:  # pragma: no cover - only where no compiler built it
    C = None

needs_c = pytest.mark.skipif(C is None, reason="bot.core._quick was not compiled here")

# what the quick answer looks at, mixed with ordinary letters so that every rule gets exercised
PIECES = (
    list("abcdeiklmnostu _.-~+*/\\@!|$€0123456789") + list(LEET)
    + ["đ", "ị", "ẹ", "ờ", "ư", "Đ", "ß", "İ", "ﬁ", "ǅ", "½", "٣", "Ⅷ", "²", "\u0301", "\u0345"]
    + ["\u200b", "\x00", "\x01", "\t", "\n", "\x7f", "\u3164", "\U000e0041", "😂", "𝐟", "\U00010000"]
    + list(HOMOGLYPHS)[:8] + ["aaa", "ooo", "111", "ếếế", "f u c k", "sh!t", "3pm", "2024"]
    + ["òa", "óe", "ủy", "Ọa", "ùyy", "oà", "uý"]
    + ["…", "..", ". ", "❤", "👍🏻", "\ufe0f", "⭐"]  # (what a picture gap is made of)
)
chat_text = st.one_of(
    st.text(max_size=80),
    st.lists(st.sampled_from(PIECES), max_size=40).map("".join),
)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(chat_text)
def test_the_quick_answer_is_what_every_stage_gives(text):
    nfkc = text.isascii() or unicodedata.is_normalized("NFKC", text)
    assert N.normalize(text) == N._normalize_fully(text, nfkc)


# what sends a message down the stages within words, one stage making work for the next:
# leetspeak that makes a tone pair ("hò4") or a run ("f000"), spaced letters that make one
WORDS_PATH = ["h", "ò", "ó", "ủ", "u", "4", "3", "0", "1", "a", "e", "y", "f", " ", ".", "-",
              "_", "/", "ooo", "ààà", "cccd", "sh!t", "150k", "đ", "ị"]


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(WORDS_PATH), max_size=24).map("".join))
@example("0_a/ a")  # leetspeak makes letters that only then look spaced (once found wrongly)
def test_the_stages_within_words_give_what_every_stage_gives(text):
    assert N.normalize(text) == N._normalize_fully(text, True)


# Vietnamese typed as letters and separate marks (some keyboards do), among what else decides
# how NFKC reads a text: marks it cannot compose, a mark opening the text, emoji, fullwidth and
# mathematical letters, ligatures, look-alikes NFKC would change, invisible characters
DECOMPOSED = (
    [unicodedata.normalize("NFD", w) for w in ["hết", "Bắc", "người", "đéo", "chửi", "Ðỗ", "hoà",
                                                "hòa", "khỏe", "mày", "ngu", "vãi", "lồn"]]
    + ["a", "o", " ", ".", "1", "sh!t", "f u c k", "ooo", "\u0301", "\u0303", "\u0323",
       "\u0345", "\u0338", "\u20d2", "😂", "🤣", "𝐟", "\U0001d165", "\U000e0041", "\u200b", "ﬁ",
       "ｆ", "Ａ", "½", "ϲ", "ǅ", "İ", "ß"]
)
decomposed_text = st.one_of(
    st.lists(st.sampled_from(DECOMPOSED[:21] + ["😂"]), min_size=1, max_size=24).map("".join),
    st.lists(st.sampled_from(DECOMPOSED), min_size=1, max_size=24).map("".join),
)


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(decomposed_text)
@example("he\u0302\u0301t 😂")  # decomposed, and an emoji: composed, then read as chat is
@example("\u0301he\u0302\u0301t")  # a mark opening the text: every stage
@example("ｆuck")  # fullwidth, no mark: no map
def test_decomposed_text_reads_as_every_stage_reads_it(text):
    nfkc = unicodedata.is_normalized("NFKC", text)
    assert N.normalize(text) == N._normalize_fully(text, nfkc)


def test_decomposed_vietnamese_reads_as_composed_and_maps_back():
    typed = unicodedata.normalize("NFD", "Đm thằng chó, mày ngu vãi")
    n = N.normalize(typed)
    assert n.exact == "đm thằng chó, mày ngu vãi" and n.folded == "dm thang cho, may ngu vai"
    a = n.exact.index("chó")
    start, end = n.span(a, a + 3)
    assert typed[start:end] == unicodedata.normalize("NFD", "chó")


@needs_c
@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(chat_text, decomposed_text))
def test_c_finds_clusters_as_the_python_reference(text):
    assert C.clusters(text) == N._clusters_py(text)


@needs_c
def test_c_finds_clusters_as_the_python_reference_for_every_bmp_character():
    for code in range(0x10000):
        ch = chr(code)
        for text in (ch, "a" + ch, ch + "a\u0301", "😂" + ch + ch):
            assert C.clusters(text) == N._clusters_py(text), (hex(code), text)
    assert C.clusters("") is None and C.clusters("\u0301a") is None
    with pytest.raises(TypeError, match="clusters"):
        C.clusters(b"a")


@needs_c
@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(chat_text)
def test_c_answers_as_the_python_reference(text):
    assert C.picture_gaps(text) == N._picture_gaps_py(text), text
    for lower in {text, text.lower(), text.casefold()}:
        # (ASCII text may be asked either way; other text never as ASCII)
        for ascii in ((True, False) if lower.isascii() else (False,)):
            assert C.quick(lower, ascii) == N._quick_py(lower, ascii), (lower, ascii)


@needs_c
def test_c_answers_as_the_python_reference_for_every_bmp_character():
    contexts = ["{}", "a{}b", "{}{}{}", "1{}x", "x{}1", "a {} b c", "{}đ", "@{}3!", "{}3pm!|",
                "h{}a", "th{}y", "kh{}e nhé", "7m{}", "15{}k!", "1{}70", "a {}.. b", "a.{}.b",
                "a😂{} b", "a {}😂 .b"]
    for code in range(0x10000):
        ch = chr(code)
        for ctx in contexts:
            text = ctx.format(ch, ch, ch)
            for ascii in ((True, False) if text.isascii() else (False,)):
                assert C.quick(text, ascii) == N._quick_py(text, ascii), (hex(code), ctx, ascii)
            assert C.leet(text) == N._leet_py(text), (hex(code), ctx)
            assert C.has_digit(text) == N._has_digit_py(text), (hex(code), ctx)
            assert C.picture_gaps(text) == N._picture_gaps_py(text), (hex(code), ctx)
            assert C.runs(text) == N._runs_py(text), (hex(code), ctx)
        for ctx in ["{} . a . b", "a.{}.b.c", "a {} b {} c", "x{} a b c", "a b c{}", "đ.{}.t m.ẹ"]:
            text = ctx.format(ch, ch)
            assert C.spaced(text) == N._spaced_py(text), (hex(code), ctx)


@needs_c
@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(chat_text, st.lists(st.sampled_from(list("ab đị1_ ._-~+*/\\") + ["  ", "...."]),
                                     max_size=30).map("".join)))
def test_c_joins_spaced_letters_as_the_python_reference(text):
    assert C.spaced(text) == N._spaced_py(text)


@needs_c
@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(chat_text)
def test_c_reads_leetspeak_as_the_python_reference(text):
    got = C.leet(text)
    assert got == N._leet_py(text) and hash(got) == hash(N._leet_py(text))


@needs_c
@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(chat_text, st.lists(st.sampled_from(["a", "aa", "aaa", "b", "ế", "ếế", "1", "\n",
                                                     "...", "𝐟", "𝐟𝐟𝐟", " "]),
                                     max_size=30).map("".join)))
def test_c_finds_repeated_letters_as_the_python_reference(text):
    assert C.runs(text) == N._runs_py(text)


@needs_c
def test_c_results_are_ordinary_strings():
    # a str built wider than its characters need compares unequal to an equal one
    folded = C.quick("các bạn ơi 😂", False)
    assert folded == "cac ban oi 😂" and hash(folded) == hash("cac ban oi 😂")
    assert C.quick("đi đâu", False) == "di dau"
    assert C.quick("sh!t", True) == N._LEET and C.quick("f u c k", True) == N._SPACED_WORK
    assert C.quick("fuuuck 5hit", True) == N._REPEAT_WORK | N._LEET
    assert C.quick("fuuuck 3pm", True) == N._REPEAT_WORK  # a number with its unit
    assert C.runs("fuuuck 1000 cccd ...") == [(1, 4), (12, 15)]


def test_numbers_alone_are_not_leetspeak_but_in_words_they_are():
    assert N.normalize("gọi 0912345678 lúc sh1t").exact == "gọi 0912345678 lúc shit"
    assert N.normalize("gọi 0912345678 lúc 9h").exact == "gọi 0912345678 lúc 9h"  # 9: no letter
    assert N.normalize("tổng 1000 đồng").folded == "tong 1000 dong"
    assert N.normalize("sh1t").exact == "shit"
    assert N.normalize("shiiit").exact == "shit"


def test_the_compiled_module_is_built_where_a_compiler_is():
    if not (shutil.which("cc") or shutil.which("gcc")):
        pytest.skip("no C compiler here: the Python reference runs instead")
    assert C is not None, "a C compiler is here but bot/core/_quick.c was not built"
    assert (N._plain_fold, N.fold, N._leet, N._spaced, N._runs) == (
        C.quick, C.fold, C.leet, C.spaced, C.runs)


def test_fold_is_the_table_for_every_code_point():
    """The C fold reads the table; the Python one decomposes where it can and falls back to the
    table: both must be the table's."""
    for code in range(0x110000):
        if 0xD800 <= code < 0xE000:
            continue
        ch = chr(code)
        by_table = ch.translate(N._FOLD_LIST)
        assert N.fold(ch) == by_table, hex(code)
        assert N._fold_py(ch) == by_table, hex(code)
        ascii = unicodedata.normalize("NFD", ch.replace("đ", "d").replace("Đ", "d"))
        assert len(ascii.encode("ascii", "ignore")) <= 1, hex(code)
    assert N.fold("Đường đi ≠ 😂") == "duong di = 😂"  # (đ folds to d in either case)
    assert N._fold_py("Đường đi ≠ 😂") == "duong di = 😂"
    assert all(chr(v).isascii() for v in FOLD_TABLE.values())


def test_invisible_characters_send_text_the_long_way():
    for ch in ["\u200b", "\u3164", "\U000e0041"]:
        assert ch in INVISIBLE_CHARS
        assert N._plain_fold("a" + ch + "ê", False) == N._ALL


# what _leet_words finds, said as one regex: a run of word and leet characters holding a digit,
# "$", "€", or "@", "!" or "|" between word characters (the lookbehind pins it to a word start)
_LEET_CLASS = "".join("\\" + c if c in "\\]^-" else c for c in LEET)
_LEET_WORD_SPEC = re.compile(
    rf"(?<![\w{_LEET_CLASS}])[\w{_LEET_CLASS}]*?(?:[0-9$€]|(?<=\w)[@!|](?=\w))[\w{_LEET_CLASS}]*")


@settings(max_examples=2000, deadline=None)
@given(chat_text)
def test_leet_words_are_those_the_regex_finds(text):
    assert N._leet_words(text) == [m.span() for m in _LEET_WORD_SPEC.finditer(text)]


@pytest.mark.parametrize("text", [
    "chai 7ml giá 150k", "cao 1m70 nặng 55kg", "hẹn 7h30 tối nay", "lương 2tr5 một tháng",
    "the meeting is at 3pm", "size 4xl", "phòng 3pn 2wc", "ship 30k nhé!!", "1st place", "1m",
])
def test_a_number_with_its_units_is_a_quantity_not_leetspeak(text):
    """"7ml" is not "tml", "1m" is not "im": a word that starts with a number and whose letters
    are all units (``data/units.yaml``) stays as typed, in C and in Python alike."""
    assert N.normalize(text).exact == text.lower()
    assert N._leet_py(text.lower()) == text.lower()
    if C is not None:
        assert C.leet(text.lower()) == text.lower()


@pytest.mark.parametrize("text, read", [
    ("5hit", "shit"), ("a55", "ass"), ("sh1t", "shit"), ("7mlx", "tmlx"), ("1mx2", "imx2"),
    ("150kg!|", "150kg!|"), ("5ml@", "smla"),
])
def test_digits_in_a_word_that_is_not_a_quantity_are_leetspeak(text, read):
    assert N._leet_py(text) == read
    if C is not None:
        assert C.leet(text) == read
        assert bool(C.quick(text, True) != N.fold(text)) == (read != text)


def test_a_gap_of_spaces_between_words_is_one_space_mapped_back():
    # (phones and copied text leave two spaces; a term's words are written with one)
    text = "Địt  mẹ   mày\tnhé  con  chó"
    n = N.normalize(text)
    assert n.exact == "địt mẹ mày nhé con chó" and n.folded == "dit me may nhe con cho"
    assert n.plain == text.lower()  # (the patterns read the text's own gaps)
    start = n.exact.index("mày")
    assert text[slice(*n.span(start, start + 3))] == "mày"
    assert text[slice(*n.span(0, n.exact.index("mày") + 3))] == "Địt  mẹ   mày"
    assert n == N._normalize_fully(text, True)
    squeezed = N.normalize("fuuuuck    you")
    assert squeezed.exact == "fuck you" and squeezed.squeezed == frozenset({1})


@pytest.mark.parametrize("text, exact", [
    ("Dầu 😂 óc chó ép lạnh", "dầu óc chó ép lạnh"),  # walnut oil, as without the emoji
    ("dầu😂óc chó", "dầu óc chó"),
    ("địt👉🏻 mẹ mày", "địt mẹ mày"),  # (a skin tone is a picture too)
    ("ván sau ❤️ tao thắng", "ván sau tao thắng"),  # (the variation selector is invisible)
    ("bánh\tóc chó", "bánh óc chó"),
    ("lol 😂😂", "lol 😂😂"),  # a picture that closes the text stays
    ("😂 ok mn", "😂 ok mn"),
    ("số ❶ nhé", "số ❶ nhé"),  # a word character among the pictures is a word
    ("yêu... mày chết đi được", "yêu mày chết đi được"),  # a pause, as without it
    ("ghét …mày chết đi được", "ghét mày chết đi được"),
    ("ngủ đi. Mai dậy sớm", "ngủ đi. mai dậy sớm"),  # one full stop ends a sentence
    ("vào fb.com mà xem", "vào fb.com mà xem"),
    ("thôi... 😂", "thôi... 😂"),
])
def test_a_picture_or_a_tab_between_words_is_one_space_mapped_back(text, exact):
    n = N.normalize(text)
    assert n.exact == exact
    # (the patterns read it as typed: NFKC, no invisible character)
    assert n.plain == unicodedata.normalize("NFKC", text).lower().replace("\ufe0f", "")
    last = exact.split()[-1]
    start = n.exact.rindex(last)
    assert text[slice(*n.span(start, start + len(last)))].lower() == last
    assert n == N._normalize_fully(text, unicodedata.is_normalized("NFKC", text))
