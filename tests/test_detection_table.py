"""One table of Vietnamese and English messages: evasions, collision traps, Unicode tricks, clean text.

Each row says which rule must fire (or that the message must stay clean). Evasion rows are
built from a few base insults by the transformations attackers use, so every form is tried on
several words.
"""

import pytest

from bot.core import Engine

ZWSP, ZWJ, RLO, PDF = "\u200b", "\u200d", "\u202e", "\u202c"

# (text, rule id that must fire)
FLAGGED = [
    # Vietnamese, as written
    ("địt mẹ mày", "vi.insult.mother"),
    ("Địt con mẹ mày", "vi.insult.mother"),
    ("đụ má mày", "vi.insult.mother"),
    ("con mẹ mày", "vi.insult.mother"),
    ("thằng mặt lồn", "vi.obscene.genitals"),
    ("cái lồn gì vậy", "vi.obscene.genitals"),
    ("con cặc", "vi.obscene.genitals"),
    ("đầu buồi", "vi.obscene.genitals"),
    ("con đĩ", "vi.obscene.sex"),
    ("thằng ngu", "vi.insult.stupid"),
    ("óc chó", "vi.insult.stupid"),
    ("não phẳng", "vi.insult.stupid"),
    ("đồ súc sinh", "vi.insult.animal"),
    ("thằng chó", "vi.insult.animal"),
    ("tao giết mày", "vi.violence.threat"),
    ("bọn bắc kỳ", "vi.discrimination.region"),
    ("lũ tàu khựa", "vi.discrimination.region"),
    ("thằng pê đê", "vi.discrimination.gender"),
    ("lũ cuồng đạo", "vi.discrimination.religion"),
    ("nhà cái uy tín", "vi.ads.gambling"),
    ("cá độ bóng đá uy tín", "vi.ads.gambling"),
    ("tài xỉu online", "vi.ads.gambling"),
    ("vay tiền nhanh, liên hệ zalo", "vi.ads.loans"),
    ("ship cỏ mỹ", "vi.ads.drugs"),
    ("hàng rep 1:1 giá rẻ", "vi.ads.counterfeit"),
    ("bán acc giá rẻ", "vi.ads.accounts"),
    ("việc nhẹ lương cao inbox ngay", "vi.spam.scam-jobs"),
    # Vietnamese without diacritics (phrases stay unambiguous)
    ("dit me may", "vi.insult.mother"),
    ("dit con me may", "vi.insult.mother"),
    ("du ma may", "vi.insult.mother"),
    ("con me may", "vi.insult.mother"),
    ("ngu nhu bo", "vi.insult.stupid"),
    ("thang ngu", "vi.insult.stupid"),
    ("bac ky cho", "vi.discrimination.region"),
    ("nha cai uy tin", "vi.ads.gambling"),
    ("tai xiu uy tin", "vi.ads.gambling"),
    ("vay tien nhanh lh zalo", "vi.ads.loans"),
    ("di chet di", "vi.violence.threat"),
    # teencode
    ("dm thằng kia", "vi.insult.mother"),
    ("đm", "vi.insult.mother"),
    ("đcm", "vi.insult.mother"),
    ("dcm thang nay", "vi.insult.mother"),
    ("cmm", "vi.insult.mother"),
    ("clgt", "vi.obscene.genitals"),
    ("loz", "vi.obscene.genitals"),
    ("tml", "vi.obscene.genitals"),
    ("hay vcl", "vi.obscene.crude-intensifier"),
    ("đẹp vkl", "vi.obscene.crude-intensifier"),
    ("occho", "vi.insult.stupid"),
    ("djt", "vi.obscene.sex"),
    # English
    ("fuck you", "en.obscene.profanity"),
    ("what the fuck", "en.obscene.profanity"),
    ("fucking hell", "en.obscene.profanity"),
    ("motherfucker", "en.obscene.profanity"),
    ("bullshit", "en.obscene.profanity"),
    ("you idiot", "en.insult.direct"),
    ("piece of shit", "en.insult.direct"),
    ("go fuck yourself", "en.insult.direct"),
    ("shut up bitch", "en.discrimination.gender"),
    ("dirty whore", "en.discrimination.gender"),
    ("you fag", "en.discrimination.lgbt"),
    ("faggots", "en.discrimination.lgbt"),
    ("nigger", "en.hate.racial-slur"),
    ("dirty chinks", "en.hate.racial-slur"),
    ("go back to your country", "en.hate.general"),
    ("kill yourself", "en.violence.threat"),
    ("I'll kill you", "en.violence.threat"),
    ("kys", "en.violence.threat"),
    ("double your bitcoin", "en.ads.illegal"),
    ("claim your free spins", "en.ads.illegal"),
    # links, privacy, mentions
    ("join discord.gg/abc", "links.invite"),
    ("https://t.me/joinchat/AAAA", "links.invite"),
    ("https://t.me/+AbCd", "links.invite"),
    ("xem bit.ly/x1", "links.shortener"),
    ("www.infowars.com/story", "links.fake-news"),
    ("mua ở đây shope.ee/abc", "links.undisclosed-affiliate"),
    ("số nó 0912345678", "privacy.phone"),
    ("số của nó +84 912 345 678", "privacy.phone"),
    ("sdt nó 0912.345.678", "privacy.phone"),
    ("cccd của nó 001203012345", "privacy.citizen-id"),
    ("stk của thằng này 0123456789 vcb", "privacy.bank-account"),
    ("@a1 @b2 @c3 @d4 @e5 @f6", "spam.mass-mention"),
    ("vào fb88 nhận thưởng", "vi.ads.gambling"),
]

# Evasion transformations, each applied to several base insults
BASES = [
    ("địt mẹ mày", "vi.insult.mother"),
    ("óc chó", "vi.insult.stupid"),
    ("fuck", "en.obscene.profanity"),
    ("faggot", "en.discrimination.lgbt"),
    ("bitch", "en.discrimination.gender"),
]


def _spaced(t, sep):
    return " ".join(sep.join(w) for w in t.split())


EVASIONS = {
    "upper": str.upper,
    "dotted": lambda t: _spaced(t, "."),
    "spaced": lambda t: _spaced(t, " ") if " " not in t else t,
    "underscored": lambda t: _spaced(t, "_"),
    "hyphenated": lambda t: _spaced(t, "-"),
    "zero-width": lambda t: ZWSP.join(t),
    "zwj": lambda t: ZWJ.join(t),
    "fullwidth": lambda t: "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in t),
    "bold-math": lambda t: "".join(
        chr(0x1D41A + ord(c) - 97) if "a" <= c <= "z" else c for c in t),
    "repeated": lambda t: "".join(c * 5 if i == len(t) // 2 and c.isalpha() else c
                                  for i, c in enumerate(t)),
    "bidi": lambda t: RLO + PDF + t,
    "cyrillic": lambda t: t.replace("o", "о").replace("a", "а").replace("c", "с"),
    "greek": lambda t: t.replace("o", "ο").replace("i", "ι"),
    "decomposed": lambda t: __import__("unicodedata").normalize("NFD", t),
    "in-sentence": lambda t: f"này {t} nhé" if " " in t else f"hey {t} lol",
}
for name, fn in EVASIONS.items():
    for base, rule in BASES:
        FLAGGED.append((fn(base), rule))

FLAGGED += [
    ("f u c k", "en.obscene.profanity"),
    ("f_u_c_k", "en.obscene.profanity"),
    ("fuuuuuck", "en.obscene.profanity"),
    ("sh!t", "en.obscene.profanity"),
    ("$hit", "en.obscene.profanity"),
    ("b1tch", "en.discrimination.gender"),
    ("f4gg0t", "en.discrimination.lgbt"),
    ("n1gg3r", "en.hate.racial-slur"),
    ("đ.ị.t m.ẹ", "vi.insult.mother"),
    ("đ ị t m ẹ m à y", "vi.insult.mother"),
    ("địttttt", "vi.obscene.sex"),
    ("c-h-ó đ-ẻ", None),  # placeholder replaced below
    ("d1t m3 m4y", "vi.insult.mother"),
    ("ditmemay", "vi.insult.mother"),
    ("f\u0336u\u0336c\u0336k\u0336", "en.obscene.profanity"),  # strike-through marks
    ("f̷̢u̸c̵k", "en.obscene.profanity"),  # zalgo
    ("ⓕⓤⓒⓚ", "en.obscene.profanity"),  # circled
    ("ᶠᵘᶜᵏ", "en.obscene.profanity"),  # superscript
    ("ꜰᴜᴄᴋ", "en.obscene.profanity"),  # small capitals
]
FLAGGED = [row for row in FLAGGED if row[1] is not None]

CLEAN = [
    # collision traps: insults that become everyday words without diacritics
    "các bạn ơi, buổi học hôm nay đủ rồi, đi du lịch thôi",
    "cac ban oi, buoi hoc hom nay du roi, di du lich thoi",
    "các anh chị cho em hỏi",
    "buổi sáng tốt lành",
    "buoi sang tot lanh",
    "đủ rồi, về thôi",
    "du lịch Đà Lạt",
    "mua một lon bia",
    "mua mot lon bia",
    "cái lon nước ngọt",
    "đi chơi không",
    "đi đâu vậy",
    "di dau vay",
    "Thái Bình Dương rộng lớn",
    "thai binh duong",
    "anh lớn rồi",
    "dái tai đỏ",
    "hạt óc chó rất bổ",
    "đi ngủ thôi",
    "di ngu thoi",
    "đồ ngủ đẹp",
    "con chó nhà mình dễ thương",
    "tháng chín mưa nhiều",
    "cặp sách mới",
    "địa chỉ nhà bạn",
    "đít chai",
    "lồng đèn trung thu",
    "con dì của mình",
    "con đi học chưa",
    "điểm thi cao",
    "điểm danh nhé",
    "đụng xe rồi",
    "buồn quá",
    # a trade named, not offered
    "cá độ bóng đá",
    "tai xiu",
    "hàng rep 1:1",
    "ở nhà cái gì cũng có",
    "ngủ ngon",
    "năm ngũ hành",
    "nhớ em chết đi được",
    "giết thời gian",
    "cuộc nam kỳ khởi nghĩa",
    "bóng đá hay quá",
    "hàng chính hãng",
    "nhà mình có cái bàn",
    "mẹ mình nấu ăn ngon",
    "dm me the link please",
    "lol that was funny",
    "lol 😂",
    "vl is a roman numeral",
    "cc me on that email",
    "kẹo ngọt quá",
    "chuyển 200000 đồng nhé",
    "năm 2024 có 365 ngày",
    "mã đơn hàng 123456789",
    "cccd của bạn cất kỹ nhé",
    # English clean, including Scunthorpe traps
    "Scunthorpe United won",
    "the shiitake mushrooms",
    "a cocktail party",
    "assassin's creed",
    "class assignment",
    "classic pass",
    "the spice market",
    "a raccoon in the yard",
    "homogeneous mixture",
    "a garden hoe",
    "therapist appointment",
    "Dickens wrote novels",
    "cockpit of the plane",
    "peacock feathers",
    "analysis of the data",
    "I passed the exam",
    "this song kills",
    "kill all processes",
    "hello world",
    "see you tomorrow",
    "good morning everyone",
    "https://vnexpress.net/bai-viet",
    "https://discord.com/channels/1/2",
    "t.me/quytac_bot",
    "@an @binh đi ăn không",
    "",
    "   ",
    "😀😀😀",
    "1234",
    "\u200b\u200b",
    "ⓗⓔⓛⓛⓞ",
    "Straße",
    "İstanbul",
]


@pytest.mark.parametrize("text,rule_id", FLAGGED)
def test_flagged(engine, text, rule_id):
    verdict = engine.check(text)
    assert rule_id in {h.rule_id for h in verdict.hits}, verdict.hits
    for h in verdict.hits:
        assert 0 <= h.start <= h.end <= len(text)
        assert h.matched == text[h.start : h.end]


@pytest.mark.parametrize("text", CLEAN)
def test_clean(engine, text):
    assert engine.check(text).hits == ()


def test_table_size():
    assert len(FLAGGED) + len(CLEAN) >= 200


def test_exact_hit_more_confident_than_folded(engine):
    exact = engine.check("địt mẹ mày").hits[0]
    folded = engine.check("dit me may").hits[0]
    assert (exact.via, folded.via) == ("exact", "folded")
    assert exact.confidence > folded.confidence


def test_span_points_at_the_word_in_the_original(engine):
    text = "chào bạn, đ.ị.t m.ẹ mày nhé"
    hit = engine.check(text).hits[0]
    assert hit.matched == "đ.ị.t m.ẹ mày"


def test_language_decides_short_ambiguous_tokens(engine):
    assert [h.rule_id for h in engine.check("thằng lol này").hits] == ["vi.obscene.genitals"]
    assert engine.check("lol that is so funny").hits == ()
    assert engine.check("lol vui quá").hits == ()  # laughter in Vietnamese chat too


def test_remembered_decisions_do_not_carry_between_messages():
    """Each typed form's decision is remembered, with what decided it (its boundaries and whether
    the message has diacritics at all): "ngu" counts in "thằng ngu", not in "di ngu thoi",
    whichever a fresh engine sees first."""
    texts = ["di ngu thoi", "thằng ngu", "thang ngu qua", "ngu", "đồ ngu"]
    forward, backward = Engine.load(), Engine.load()
    first = [[h.rule_id for h in forward.check(t).hits] for t in texts]
    other = [[h.rule_id for h in backward.check(t).hits] for t in reversed(texts)][::-1]
    assert first == other
    assert first[0] == [] and "vi.insult.stupid" in first[1]


@pytest.mark.parametrize("text,word", [
    ("thanks @shitpostking for the meme", "shitpostking"),
    ("RT @FuckKennyJ: trash talk again", "FuckKennyJ"),
    ("@hoes hi", "hoes"),
    ("@fuck you", "fuck"),  # a swear word with an @ before it still reaches a moderator
])
def test_a_word_in_an_handle_goes_to_review_at_most(engine, text, word):
    """An @handle is someone's name: a member naming them did not write the word in it."""
    hits = engine.check(text).hits
    assert hits and all(h.confidence <= 0.5 for h in hits), hits
    assert word in {h.matched for h in hits}


@pytest.mark.parametrize("text", ["you fuck @Nam", "@Nam đồ ngu", "f@ggot", "fuck@you.com"])
def test_words_beside_or_around_an_at_sign_are_read_as_written(engine, text):
    assert max(h.confidence for h in engine.check(text).hits) > 0.6
