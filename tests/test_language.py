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


def test_third_language_only_when_thorough():
    text = "hola amigo como estas hoy"
    assert detect_language(text) in ("en", "vi")
    assert detect_language(text, thorough=True) == "other"


def test_no_letters():
    assert detect_language("😀 123 !!!") == "en"
    assert detect_language("") == "en"


@pytest.mark.parametrize("text,lang", [
    ("d.i.t m.e may", "vi"), ("d1t m3 m4y", "vi"), ("c-h-o c-h-e-t", "vi"),
    ("f.u.c.k you", "en"), ("you are a f u c k i n g idiot", "en"), ("đ.ị.t m.ẹ m.à.y", "vi"),
    ("ｆｕｃｋ ｙｏｕ", "en"), ("𝐝𝐢𝐭 𝐦𝐞 𝐦𝐚𝐲", "vi"),  # no Latin word as typed
])
def test_a_verdict_reads_the_language_of_the_words_an_evasion_hides(engine, text, lang):
    """The verdict's language (which the member's explanation is written in) is read from the
    normalised text when the typed one hides its words."""
    verdict = engine.check(text)
    assert verdict.hits, text
    assert verdict.language == lang
