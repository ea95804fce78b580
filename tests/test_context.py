"""Rules that read context: terms that count only with (or without) certain words around them,
masked terms, requires groups, rules shipped off; one tone-mark placement; and the errors a
ruleset author gets, with file and line."""

import re

import pytest

from bot.core import CommunityPolicy, Engine, RulesetError, load_rulesets, normalize
from bot.core.confusables import TONE_MOVES
from bot.core.context import consistent
from bot.core.model import Model
from tests.test_ruleset_errors import _write

RULE = """
  - id: t.ctx
    category: insult
    clause: c1
    severity: 2
    terms: [badword]
    context:
      - terms: [moi]
        preceded_by: [bon, lu]
        not_followed_by: [nguoi, mien]
      - terms: [hurt you]
        preceded_by: [i will]
        not_preceded_by: [not]
        within: 3
      - terms: [ml]
        not_preceded_by: ["<number>"]
      - terms: [dick]
        unless_name: true
      - terms: [meh]
        confidence: 0.45
      - terms: [dan xa]
        followed_by: [luoi]
        neutral: true
    masked_terms: [fudge]
    explain: {vi: xấu, en: bad}
    examples:
      match: [bon moi, i will hurt you, con ml, dick, meh, dan xa luoi]
      ok: [bon moi nguoi, not hurt you, 500 ml, with Dick, badwo, dan xa hien]
"""


@pytest.fixture
def ctx(tmp_path) -> Engine:
    return Engine(load_rulesets(_write(tmp_path, RULE)))


def _rules(engine, text, policy=None):
    return [(h.rule_id, h.matched) for h in engine.check(text, policy).hits]


@pytest.mark.parametrize("text,hit", [
    ("bon moi", "moi"), ("lu moi kia", "moi"), ("bon moi nguoi", None), ("dan moi mien", None),
    ("moi", None), ("bon, moi", "moi"),
    ("i will hurt you", "hurt you"), ("i will really hurt you", "hurt you"),
    ("i will not hurt you", None), ("it will hurt you", None),
    ("con ml", "ml"), ("500 ml", None), ("ml", "ml"),
    ("dick", "dick"), ("party with Dick tonight", None), ("you DICK", "DICK"),
    ("Dick is here", "Dick"),
    # a capitalised surname after it makes the first word a name; a sentence capitalised
    # throughout ("Suck My Dick") tells nothing by its capitals
    ("Dick Cheney was vice president", None), ("Dick Cheney", None), ("Dick.", "Dick"),
    ("Hi Dick, how are you", None), ("Suck My Dick", "Dick"), ("Go Suck A Dick Now", "Dick"),
    ("Dick Cheney Was Here", "Dick"), ("ok. Dick Smith said so", None),
    ("f*dge off", "f*dge"), ("fu**e off", "fu**e"), ("f*e", None),
    # a word that makes a term count is read in the term's own sentence: a full stop or a line
    # break ends it, a question, an exclamation or an ellipsis does not ("send nudes? no way"
    # is read whole); a word that clears it may stand in the next ("I know where you live. I'll
    # drop the book off")
    ("lu. moi kia", None), ("lu\nmoi kia", None), ("lu! moi kia", "moi"), ("lu? moi kia", "moi"),
    ("lu... moi kia", "moi"), ("i will. hurt you", None), ("i will\nhurt you", None),
    ("bon moi. nguoi ta noi", None), ("bon moi\nnguoi ta noi", None), ("bon moi? nguoi", None),
    ("500. ml", None), ("gia 1.500 ml", None), ("not.\ni will hurt you", None),
])
def test_context_decides_where_a_term_counts(ctx, text, hit):
    assert _rules(ctx, text) == ([("t.ctx", hit)] if hit else [])


VI_MASKED = """
  - id: t.masked
    category: insult
    clause: c1
    severity: 2
    confidence: 0.9
    folded_confidence: 0.7
    terms: [cặc]
    masked_terms: [cặc, địt mẹ]
    explain: {vi: xấu, en: bad}
    examples:
      match: [c*c, đ*t mẹ, d*t me]
      ok: [các bạn]
"""


@pytest.mark.parametrize("text,hit", [
    # masked, a Vietnamese swear word is read with its marks and without them alike
    ("đ*t mẹ", ("đ*t mẹ", 0.9)), ("d*t me", ("d*t me", 0.7)), ("c*c", ("c*c", 0.9)),
    ("ôi c*c thật", ("c*c", 0.9)),
    # unmasked, the word is read as its rule lists it: "cặc" with its marks only ("các"), and
    # a masked term's own words are no term of their own ("dit me" is not listed)
    ("cặc", ("cặc", 0.9)), ("cac ban oi", None), ("các bạn", None), ("dit me", None),
])
def test_a_vietnamese_masked_term_is_read_typed_plain_too(tmp_path, text, hit):
    engine = Engine(load_rulesets(_write(tmp_path, VI_MASKED, header="language: vi\n")))
    found = [(h.matched, h.confidence) for h in engine.check(text).hits]
    assert found == ([hit] if hit else [])


MARKS_RULE = """
  - id: t.marks
    category: discrimination
    clause: c1
    severity: 2
    context:
      - folded_terms: [xứ]
        followed_by: [bẩn, lười]
        not_followed_by: [đều]
        within: 2
    explain: {vi: xấu, en: bad}
    examples:
      match: [xứ bẩn, xu ban, xứ lười]
      ok: [xứ bán gạo, xứ lưới cá, xứ đều bẩn]
"""


@pytest.mark.parametrize("text,hit", [
    # a word that makes a hit count, typed with marks, must carry its own ("bán" is not "bẩn")
    ("xứ bẩn", True), ("xứ bán gạo", False), ("xứ lưới cá", False), ("xứ lười", True),
    # typed without marks it may be either: it counts, where the words around are plain too
    ("xu ban", True), ("xứ ban", True), ("xu ban nhe", True),
    # among words typed with theirs, a word typed without any is itself ("ban" is "ban")
    ("xứ ban đêm vắng vẻ", False), ("mình thấy xứ ban ngày đông", False),
    # a word that clears a hit clears it whatever its marks ("đêu" is a typo of "đều")
    ("xứ đều bẩn", False), ("xứ đêu bẩn", False), ("xu deu ban", False),
])
def test_a_context_word_typed_with_marks_is_the_word_its_marks_make(tmp_path, text, hit):
    engine = Engine(load_rulesets(_write(tmp_path, MARKS_RULE)))
    assert bool(engine.check(text).hits) is hit


def test_a_context_entry_can_carry_its_own_confidence(ctx):
    assert [h.confidence for h in ctx.check("meh").hits] == [0.45]
    assert [h.confidence for h in ctx.check("badword").hits] == [0.9]


def test_a_context_is_not_used_up_by_repetitions_of_the_exempt_reading(ctx):
    # "bon moi nguoi" repeated past what a verdict lists cannot hide the slur after it
    text = "bon moi nguoi " * 50 + "bon moi"
    assert ("t.ctx", "moi") in _rules(ctx, text)


@pytest.mark.parametrize("field,value,error", [
    ("within", "9", "'within' must be a whole number of words from 1 to 5, got 9"),
    ("unless_name", "maybe", "'unless_name' must be true or false, got 'maybe'"),
    ("neutral", "1", "'neutral' must be true or false, got 1"),
    ("preceded_by", "bon", "'preceded_by' must be a list of non-empty strings"),
    ("not_preceded_by", "[no]", "'not_preceded_by' must be a list of non-empty strings (got "
     "false: YAML reads a bare yes, no, on or off as true or false; quote it, \"no\")"),
    ("not_preceded_by", "[tin nóng: ngày mai]", "'not_preceded_by' must be a list of non-empty "
     "strings (got tin nóng: ngày mai: YAML reads an item holding \": \" as a mapping; quote "
     "it, \"tin nóng: ngày mai\")"),
    # YAML keeps the last of a key given twice: the first list would be lost without a word
    ("not_followed_by", "[x]", "context field 'not_followed_by' given twice"),
    ("wherever", "[x]", "unknown context field 'wherever'"),
])
def test_context_errors_name_file_line_rule_and_field(tmp_path, field, value, error):
    bad = RULE.replace("        preceded_by: [bon, lu]\n",
                       f"        preceded_by: [bon, lu]\n        {field}: {value}\n", 1)
    if field == "preceded_by":
        bad = RULE.replace("        preceded_by: [bon, lu]\n", f"        preceded_by: {value}\n")
    path = _write(tmp_path, bad)
    with pytest.raises(RulesetError) as info:
        load_rulesets(path)
    (problem,) = [p for p in info.value.problems if error in p]
    assert problem.startswith(f"{path / 'rules.yaml'}:") and " rule t.ctx: " in problem


def test_a_context_term_needs_examples_of_both_readings(tmp_path):
    bad = RULE.replace("      ok: [bon moi nguoi,", "      ok: [bon cai nguoi,")
    path = _write(tmp_path, bad)
    with pytest.raises(RulesetError) as info:
        load_rulesets(path)
    (problem,) = info.value.problems
    line = bad.splitlines().index("      - terms: [moi]") + 1
    assert problem == (f"{path / 'rules.yaml'}:{line}: rule t.ctx: context terms ['moi'] need "
                       "an examples.ok line using one of them")


def test_a_term_cannot_count_both_with_and_without_a_context(tmp_path):
    path = _write(tmp_path, RULE.replace("terms: [badword]", "terms: [badword, moi]"))
    with pytest.raises(RulesetError, match="term 'moi' is listed both without and with a context"):
        load_rulesets(path)


def test_requires_groups_need_one_phrase_of_each(engine):
    assert _rules(engine, "stk của thằng này 0123456789 vcb") == [
        ("privacy.bank-account", "0123456789")]
    assert _rules(engine, "stk 0123456789 vcb") == []  # whose? the pointer is missing
    assert _rules(engine, "của thằng này 0123456789") == []  # an account word is missing


def test_a_requires_phrase_typed_plain_among_marked_words_is_the_word_typed(engine):
    """A phrase that makes a rule apply is held to its marks, as a context's words are: in "đi
    chơi nha thằng kia" the "nha" is a particle, not "nhà" (a friend's invitation with the
    address of a bar was acted on as doxxing). Typed with marks, or plain throughout, it counts."""
    assert _rules(engine, "đi chơi nha thằng kia, 7 giờ tối ở 25 Hàng Bè") == []
    # (the phrase typed plain throughout, in a message typed with marks: a mother's account)
    assert _rules(engine, "stk nha con, 0123456789 vcb, chuyển học phí giúp mẹ") == []
    assert _rules(engine, "nhà thằng kia ở 25 Hàng Bè") == [
        ("privacy.address", "25 Hàng Bè")]
    assert _rules(engine, "nha thang kia o 25 hang be") == [
        ("privacy.address", "25 hang be")]


def test_a_rule_shipped_off_counts_only_for_a_community_that_turns_it_on(engine):
    text = "zalo mình 0912345678 nhé"
    assert _rules(engine, text) == []
    on = CommunityPolicy(enabled_rules=frozenset({"privacy.phone-any"}))
    assert _rules(engine, text, on) == [("privacy.phone-any", "0912345678")]


def test_some_marks_typed_and_others_not_is_another_phrase(engine):
    """Marks typed within the phrase and none on "cho", whose listed form "chó" has them: it is
    "cho" ("da mặt cho đỡ sợ" was sent to review as "mặt chó"). Typed plain throughout, the
    text cannot tell."""
    (plain,) = engine.check("thang cho").hits
    assert plain.confidence == 0.75
    assert engine.check("thải cho chết bớt").hits == ()
    assert engine.check("vô đây chăm sóc da mặt cho đỡ sợ nè").hits == ()
    assert [h.rule_id for h in engine.check("đồ mặt chó").hits] == ["vi.insult.animal"]


def test_a_word_typed_with_marks_and_d_for_đ_is_another_word(engine):
    """"dù" (although) and "dụ" (to lure) typed with their marks are words of their own, not
    "đù"/"đụ" with the stroke left off ("dù mẹ có nói gì" went to review as a curse at a
    mother); typed plain the letters cannot tell, and the curse still counts."""
    assert consistent("dù mẹ", "đù mẹ") is False
    assert consistent("đù mẹ", "đù mẹ") and consistent("du me", "đù mẹ")
    assert engine.check("dù mẹ có nói gì thì con vẫn thương mẹ").hits == ()
    assert engine.check("hai đứa nó dụ nhau đi chơi rồi").hits == ()
    assert [h.rule_id for h in engine.check("đù mẹ, lại mất điện").hits] == ["vi.insult.mother"]
    assert [h.rule_id for h in engine.check("đụ nhau à").hits] == ["vi.obscene.sex"]
    assert [h.rule_id for h in engine.check("du me may").hits] == ["vi.insult.mother"]


def test_a_phrase_typed_plain_among_marked_words_is_other_words(engine):
    """Someone who types marks types them on the words they mean: "mua cái thang cho nhà mới"
    holds a ladder, not "thằng chó". Typed plain throughout, the text cannot tell, and counts;
    one plain word ("duma") is often its own spelling of a swear word, and counts too."""
    assert engine.check("hôm qua mua cái thang cho nhà mới").hits == ()
    assert engine.check("lấy con dao cho mẹ thái rau với").hits == ()
    assert [h.rule_id for h in engine.check("hom qua mua cai thang cho nha moi").hits] == [
        "vi.insult.animal"]
    assert [h.rule_id for h in engine.check("duma xem ghê hết cả người").hits] == [
        "vi.insult.mother"]
    assert [h.rule_id for h in engine.check("mua cái thằng chó này về làm gì").hits] == [
        "vi.insult.animal"]


@pytest.mark.parametrize("bias,expect", [(3.0, ["vi.insult.animal"]), (-3.0, [])])
def test_such_a_phrase_counts_only_where_the_model_finds_the_message_likely(engine, bias,
                                                                            expect):
    """Two weak signals: the phrase, and a model that reads the message as a violation; then
    to review at most, never acted on (a model that scores every message alike, either way)."""
    model = Model(10, bias, bytes(4 << 10))
    with_model = Engine(engine.ruleset, model)
    for text in ("hôm qua mua cái thang cho nhà mới", "nhìn kỹ cái mặt cho anh em xem"):
        hits = with_model.check(text).hits
        found = [h for h in hits if h.via != "model"]
        assert [h.rule_id for h in found] == expect
        assert all(h.confidence <= 0.5 for h in found)  # to review at most


@pytest.mark.parametrize("text", [
    "bon moi nguoi", "bon moi nguoi " + " ".join(["badword"] * 12),  # quick path, careful path
])
def test_a_term_its_context_rules_out_is_set_aside_for_the_model_on_either_path(ctx, text):
    """A message with many matches takes the matcher's careful path; the learned stage must
    read it as the quick path has it read, without the word the context reads as everyday (it
    read "đường dây vay tiền online" whole: seven rules' news phrases made it many matches)."""
    model = Model(10, 0.0, bytes(4 << 10))
    note = Engine(ctx.ruleset, model).check(text, note=True).model
    assert note is not None and note.set_aside == ("moi",)


@pytest.mark.parametrize("text", [
    "dan xa hien", "dan xa hien " + " ".join(["badword"] * 12),  # quick path, careful path
])
def test_a_neutral_term_out_of_its_context_is_no_hit_and_still_read_by_the_model(ctx, text):
    """A people's name ("người Hoa") out of the context that makes it a claim is no hit, but
    no everyday word either: the learned stage reads it as typed, on either path."""
    model = Model(10, 0.0, bytes(4 << 10))
    verdict = Engine(ctx.ruleset, model).check(text, note=True)
    assert ("t.ctx", "dan xa") not in [(h.rule_id, h.matched) for h in verdict.hits]
    assert verdict.model is not None and verdict.model.set_aside == ()
    assert verdict.model.read[0].startswith("dan xa hien")


NEUTRAL_UNLESS = """
  - id: t.neutral
    category: discrimination
    clause: c1
    severity: 2
    context:
      - terms: [dan xa]
        followed_by: [luoi]
        neutral: true
    unless: [dinh kien]
    explain: {vi: xấu, en: bad}
    examples:
      match: [dan xa luoi]
      ok: [dan xa luoi la dinh kien]
"""


def test_a_neutral_term_in_a_message_its_rule_is_cancelled_in_is_still_read_by_the_model(
        tmp_path):
    """A claim refuted ("... là định kiến") cancels the rule; the people's name in it is no
    everyday word for that, and the learned stage reads it."""
    engine = Engine(load_rulesets(_write(tmp_path, NEUTRAL_UNLESS)), Model(10, 0.0, bytes(4 << 10)))
    verdict = engine.check("dan xa luoi la dinh kien", note=True)
    assert [h.rule_id for h in verdict.hits if h.via != "model"] == []
    assert verdict.model is not None and verdict.model.set_aside == ()
    without = NEUTRAL_UNLESS.replace("        neutral: true\n", "")
    engine = Engine(load_rulesets(_write(tmp_path, without)), Model(10, 0.0, bytes(4 << 10)))
    assert engine.check("dan xa luoi la dinh kien", note=True).model.set_aside == ("dan xa",)


def test_old_and_new_tone_marks_are_one_spelling():
    for old, new in TONE_MOVES.items():
        assert normalize(f"x {old} y").exact == normalize(f"x {new} y").exact
        assert normalize(f"{old}").exact == new
    # inside a longer syllable both styles already agree, and nothing moves
    assert normalize("hoàng").exact == "hoàng" and normalize("quý").exact == "quý"


def test_every_term_matches_in_either_tone_style(engine):
    """Every listed term written in one style is found in text written in the other."""
    swap = {**TONE_MOVES, **{v: k for k, v in TONE_MOVES.items()}}
    tried = 0
    for rule in engine.rules:
        if not rule.enabled or rule.requires:
            continue
        # (a rule's plain terms count anywhere, whatever contexts its other terms have)
        for term in rule.terms + rule.folded_terms:
            term = term.strip("*")
            # (the styles differ only where the pair ends a syllable: "hoà", not "hoài")
            other = re.sub("(" + "|".join(swap) + r")(?![^\W\d_])",
                           lambda m: swap[m.group()], term)
            if other == term:
                continue
            tried += 1
            for text in (term, other):
                assert rule.id in {h.rule_id for h in engine.check(text).hits}, (rule.id, text)
    assert tried >= 5


def test_such_a_phrase_is_weighed_by_the_model_without_the_everyday_words(engine):
    """"nhìn kỹ cái mặt cho bố mẹ xem" went to review as "mặt chó": the model read "bố mẹ" (a
    family's words, which it learned from curses) where its own reading sets them aside. A
    model that weighs only "bố mẹ" and "anh em": the message is clean, as it is to the model;
    with "anh em", which nothing sets aside, the phrase counts (to review at most)."""
    import array

    blank = Model(10, -2.0, bytes(4 << 10))
    weights = array.array("f", bytes(4 << 10))
    for exact, folded in (("bố mẹ", "bo me"), ("anh em", "anh em")):
        for bucket in blank.features_of(exact, folded):
            weights[bucket] = 8.0
    with_model = Engine(engine.ruleset, Model(10, -2.0, weights.tobytes()))
    text = "nhìn kỹ cái mặt cho bố mẹ xem"
    assert with_model.model.score(normalize(text)) > 0.8  # the whole message, "bố mẹ" read
    assert [h for h in with_model.check(text).hits if h.via != "model"] == []
    hits = [h for h in with_model.check("nhìn kỹ cái mặt cho anh em xem").hits
            if h.via != "model"]
    assert [h.rule_id for h in hits] == ["vi.insult.animal"]
    assert hits[0].confidence <= 0.5


PLAIN_WORD = """
  - id: t.plain
    category: insult
    clause: c1
    severity: 2
    terms: [ngu]
    explain: {vi: xấu, en: bad}
    examples:
      match: [mày ngu]
      ok: [di ngu thoi]
"""


@pytest.mark.parametrize("text,hit", [
    # an unaccented Vietnamese term counts only in text typed with marks; where its own
    # sentence is typed without any, it is read as that sentence alone would be
    ("mày ngu", True), ("di ngu thoi", False), ("an xong roi di ngu. Người Hoa ở Chợ Lớn", False),
    ("an xong roi di ngu\nNgười Hoa ở Chợ Lớn", False), ("Nói gì thế? ngu that su", False),
    # beside words typed with marks, or with too few words to tell, it is the word typed
    ("an xong roi di ngu Người Hoa ở Chợ Lớn", True), ("Nói gì thế. Ngu", True),
    ("Đọc đi. ngu v k l", True), ("Nói gì thế. thằng ngu quá", True),
    # a call or a reply typed with its marks by a member who types the rest plain is no sign
    # of marks ("e" would be "em"); a word of the sentence with marks is
    ("ê di ngu thoi", False), ("ơi con ngu chua, khuya roi", False), ("ê mày ngu", True),
    ("ê ngu", True),
])
def test_a_plain_word_is_read_as_its_own_sentence_is_typed(tmp_path, text, hit):
    engine = Engine(load_rulesets(_write(tmp_path, PLAIN_WORD, header="language: vi\n")))
    assert bool(engine.check(text).hits) is hit


MARKED = """
  - id: t.marked
    category: obscene
    clause: c1
    severity: 2
    context:
      - terms: [lồn]
        folded_terms: [lồn]
        preceded_by: [mặt, thằng]
        marked: true
    explain: {vi: tục, en: crude}
    examples:
      match: [mặt lồn, thằng lồn]
      ok: [hay qua di mat lon, bao hanh 12 thang lon]
"""


@pytest.mark.parametrize("text,hit", [
    # words that make a term count, held to their marks: typed plain they are other words as
    # often ("mat" is "mất", "thang" is "tháng"), so only typed with theirs do they count
    ("mặt lồn", True), ("nhìn cái thằng lồn kìa", True), ("hay qua di mat lon", False),
    ("bao hanh 12 thang lon", False), ("mắt lồn", False),
])
def test_context_words_held_to_their_marks(tmp_path, text, hit):
    engine = Engine(load_rulesets(_write(tmp_path, MARKED, header="language: vi\n")))
    assert bool(engine.check(text).hits) is hit
    # without the hold, a word typed plain stands for its marked forms in text typed plain
    loose = Engine(load_rulesets(_write(
        tmp_path, MARKED.replace("        marked: true\n", "").replace(
            "ok: [hay qua di mat lon, bao hanh 12 thang lon]", "ok: [mắt lồn]"),
        header="language: vi\n")))
    assert bool(loose.check("hay qua di mat lon").hits) is True


def test_a_hold_to_marks_needs_words_that_make_a_term_count(tmp_path):
    _write(tmp_path, MARKED.replace("preceded_by: [mặt, thằng]", "not_preceded_by: [mặt]"),
           header="language: vi\n")
    with pytest.raises(RulesetError) as info:
        load_rulesets(tmp_path)
    assert any("'marked' holds the words that make a term count to their marks" in p
               for p in info.value.problems), info.value.problems


POINTED = """
  - id: t.pointed
    category: doxxing
    clause: c1
    severity: 3
    patterns: ['\\b\\d{6}\\b']
    requires: [thằng này, số nó]
    exceptions: [tháng này]
    explain: {vi: xấu, en: bad}
    examples:
      match: [thằng này 123456]
      ok: [tháng này 123456]
"""


@pytest.mark.parametrize("text,hit", [
    # an exception phrase reads a "requires" phrase's words as other words, as it reads a
    # term's: typed plain, "thang nay" is "tháng này" as often as "thằng này"
    ("thằng này 123456", True), ("tháng này 123456", False), ("thang nay 123456", False),
    ("thang nay, so no 123456", True), ("tháng này thằng này 123456", True),
])
def test_an_exception_phrase_reads_a_required_phrase_as_other_words(tmp_path, text, hit):
    engine = Engine(load_rulesets(_write(tmp_path, POINTED, header="language: vi\n")))
    assert bool(engine.check(text).hits) is hit
