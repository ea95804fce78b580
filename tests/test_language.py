"""Language of short chat messages: vi (with or without diacritics), en, other."""

import pytest

from bot.core import detect_language

CASES = [
    ("các bạn ơi", "vi"), ("đi đâu đấy", "vi"), ("cac ban oi toi nay di an khong", "vi"),
    ("thang nay ngu that", "vi"), ("ko biet nua", "vi"), ("dit me may", "vi"),
    ("minh thich bai hat nay lam", "vi"), ("hom nay troi dep qua", "vi"),
    ("hello everyone", "en"), ("dm me the link please", "en"), ("lol that is so funny", "en"),
    ("can you send me the notes", "en"), ("I will be there at 5", "en"),
    ("Привет, как дела?", "other"), ("你好，你吃饭了吗", "other"), ("こんにちは", "other"),
]


@pytest.mark.parametrize("text,lang", CASES)
def test_language(text, lang):
    assert detect_language(text) == lang


@pytest.mark.parametrize("text,lang", [
    # a handle or a link tells nothing of the message's language: its letters are not words
    # of it ("la di da" reads as Vietnamese syllables)
    ("@la_di_daDEE try me pussy", "en"), ("@la_di_daDEE", "en"),
    ("@nguyen_van_an hello there", "en"),
    ("@john_smith_99 đi ăn không", "vi"),
    ("https://lam-dep.vn/tin-tuc/ xem cái này", "vi"),
    ("https://lam-dep.vn/tin-tuc/ look at this", "en"),
])
def test_handles_and_links_are_not_read_as_words(text, lang):
    assert detect_language(text) == lang


def test_third_language_only_when_thorough():
    text = "hola amigo como estas hoy"
    assert detect_language(text) in ("en", "vi")
    assert detect_language(text, thorough=True) == "other"


def test_no_letters():
    assert detect_language("😀 123 !!!") == "en"
    assert detect_language("") == "en"


@pytest.mark.parametrize("text,lang", [
    ("d.i.t m.e may", "vi"), ("d1t m3 m4y", "vi"), ("d-o c-h-o c-h-e-t", "vi"),
    ("f.u.c.k you", "en"), ("you are a f u c k i n g idiot", "en"), ("đ.ị.t m.ẹ m.à.y", "vi"),
    ("ｆｕｃｋ ｙｏｕ", "en"), ("𝐝𝐢𝐭 𝐦𝐞 𝐦𝐚𝐲", "vi"),  # no Latin word as typed
])
def test_a_verdict_reads_the_language_of_the_words_an_evasion_hides(engine, text, lang):
    """The verdict's language (which the member's explanation is written in) is read from the
    normalised text when the typed one hides its words."""
    verdict = engine.check(text)
    assert verdict.hits, text
    assert verdict.language == lang


@pytest.mark.parametrize("text,usual,lang", [
    # no evidence of its own: read in the community's language
    ("Vcc", "vi", "vi"), ("Vcc", "en", "en"), ("Vcc", None, "en"),
    ("gg ez", "vi", "vi"), ("sale cc", "vi", "vi"), ("😀😀", "vi", "vi"), ("😀😀", None, "en"),
    # a frequent word of either language, or a Vietnamese letter, outweighs the community's
    ("hello everyone", "vi", "en"), ("dm me the link please", "vi", "en"),
    ("cac ban oi toi nay di an khong", "en", "vi"), ("đi đâu đấy", "en", "vi"),
    ("Привет, как дела?", "vi", "other"),
])
def test_a_message_that_tells_no_language_is_read_in_its_communitys(text, usual, lang):
    assert detect_language(text, usual=usual) == lang


@pytest.mark.parametrize("text,rule", [
    ("Cc", "vi.obscene.genitals"), ("Vcc", "vi.obscene.crude-intensifier"),
    ("sale cc", "vi.obscene.genitals"), ("sml", "vi.obscene.genitals"),
])
def test_a_vietnamese_communitys_abbreviations_are_read_as_vietnamese(engine, text, rule):
    """Vietnamese chat abbreviates its swear words to letters that are no word of either
    language ("cc", "vcc"): the bot reads them as what the community writes."""
    from bot.core import CommunityPolicy
    read_vi = engine.check(text, CommunityPolicy(language="vi"))
    assert [h.rule_id for h in read_vi.hits] == [rule] and read_vi.language == "vi"
    assert read_vi.hits[0].confidence < 0.6  # to review at most: letters, not words
    assert engine.check(text, CommunityPolicy(language="en")).clean  # a copy, a cheap shot
    assert engine.check(text).clean  # a community whose language is not known yet
