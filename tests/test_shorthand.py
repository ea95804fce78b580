"""Everyday shorthand ("k" for "không", "dc" for "được", "u" for "you"): a rule's terms, context
words and exceptions written in full also match typed short, in the file's language, through the
loader and the engine; bad entries are refused with file and line."""

from pathlib import Path

import pytest

from bot.core import Engine, RulesetError, load_rulesets
from bot.core.shorthand import MAX_VARIANTS, Shorthand, load_shorthand, load_shorthands
from tests.everyday import judged

FORMS = {"không": ["k", "ko"], "được": ["dc", "đc"], "người ta": ["ngta"], "người": ["ng"],
         "vậy": ["v", "z"]}


def _shorthand(forms: dict) -> Shorthand:
    raw = {"__line__": 1, "__keys__": {w: i + 2 for i, w in enumerate(forms)}, **forms}
    problems: list[tuple[str, str]] = []
    shorthand = load_shorthand(raw, "teencode.yaml", 1, lambda w, m: problems.append((w, m)))
    assert problems == []
    return shorthand


def test_a_phrase_is_written_with_each_short_form():
    sh = _shorthand(FORMS)
    assert sh.variants("không bán") == ("k bán", "ko bán")
    assert sh.variants("chết đi được") == ("chết đi dc", "chết đi đc")
    assert sh.variants("bán hàng") == ()
    assert sh.expand(("không bán", "bán hàng")) == ("không bán", "bán hàng", "k bán", "ko bán")


def test_a_listed_phrase_is_found_before_the_word_it_starts_with():
    sh = _shorthand(FORMS)
    # and with its words typed short too
    assert sh.variants("người ta nói") == ("ngta nói", "ng ta nói")
    assert sh.variants("mọi người") == ("mọi ng",)


def test_a_word_given_twice_is_typed_short_the_same_way_twice():
    variants = _shorthand(FORMS).variants("không cần đơn không")
    assert set(variants) == {"k cần đơn k", "ko cần đơn ko"}


def test_words_are_combined_and_past_the_limit_fewer_shortened_at_once():
    sh = _shorthand(FORMS)
    assert set(sh.variants("không vậy mọi người")) == {
        f"{a} {b} mọi {c}" for a in ("không", "k", "ko") for b in ("vậy", "v", "z")
        for c in ("người", "ng")} - {"không vậy mọi người"}
    many = {f"w{i}": [f"s{i}a", f"s{i}b"] for i in range(6)}  # 3**6 combinations
    assert 3 ** 6 > MAX_VARIANTS
    variants = _shorthand(many).variants("w0 w1 w2 w3 w4 w5")
    # as many words short at once as stays within the limit: three of six here (6 * 2 one
    # short, 15 * 4 two, 20 * 8 three: 232; four more would make 472)
    assert 12 + 60 + 160 <= MAX_VARIANTS < 12 + 60 + 160 + 240
    assert len(variants) == 232 and "s0a w1 w2 w3 w4 w5" in variants
    assert "w0 w1 w2 w3 w4 s5b" in variants and "s0a w1 s2b w3 w4 s5b" in variants
    assert not any(v.count("s") > 3 for v in variants)


def _write(tmp_path: Path, rule: str, shorthand: str, en_rule: str = "") -> Path:
    (tmp_path / "clauses.yaml").write_text("clauses:\n  c1: {cite: C1, vi: v, en: e}\n",
                                           encoding="utf-8")
    (tmp_path / "teencode.yaml").write_text(
        "teencode:\n  - {abbr: bw, means: hàng cấm}\n" + shorthand, encoding="utf-8")
    (tmp_path / "vi.yaml").write_text("language: vi\nrules:\n" + rule, encoding="utf-8")
    if en_rule:
        (tmp_path / "en.yaml").write_text("language: en\nrules:\n" + en_rule,
                                          encoding="utf-8")
    return tmp_path


RULE = """\
  - id: t.ads
    category: illegal_ads
    clause: c1
    severity: 2
    terms: [hàng cấm]
    exceptions: [không bán hàng cấm]
    context:
      - terms: [đồ lậu]
        not_followed_by: [được không]
        within: 2
    explain: {vi: quảng cáo, en: ads}
    examples: {match: [bán hàng cấm, đồ lậu giá rẻ], ok: [shop không bán hàng cấm, mua đồ lậu được không]}
"""


def test_the_engine_reads_exceptions_and_context_words_typed_short(tmp_path):
    engine = Engine(load_rulesets(_write(
        tmp_path, RULE, "shorthand:\n  vi:\n    không: [k, ko]\n    được: [dc]\n")))
    assert engine.check("shop k bán hàng cấm").hits == ()
    assert engine.check("shop ko bán hàng cấm").hits == ()
    assert [h.rule_id for h in engine.check("shop bán hàng cấm").hits] == ["t.ads"]
    assert engine.check("mua đồ lậu dc k").hits == ()
    assert [h.rule_id for h in engine.check("mua đồ lậu giá rẻ").hits] == ["t.ads"]
    # without the forms the short-typed phrases are not the written ones
    plain = Engine(load_rulesets(_write(tmp_path, RULE, "")))
    assert [h.rule_id for h in plain.check("shop k bán hàng cấm").hits] == ["t.ads"]
    assert [h.rule_id for h in plain.check("mua đồ lậu dc k").hits] == ["t.ads"]


COUNTING_RULE = """\
  - {id: t.count, category: violence, clause: c1, severity: 3, terms: [đi chết],
     exceptions: [đi chết được], explain: {vi: đe doạ, en: threat},
     context: [{terms: [xử], preceded_by: [được], not_followed_by: [qua, lắm], within: 1}],
     examples: {match: [đi chết, được xử], ok: [vui đi chết được, được xử qua]}}
"""
CLEARING = ("shorthand:\n  vi:\n    quá: [wa]\n    làm: [lm]\n"
            "clearing_shorthand:\n  vi:\n    được: [dk]\n")


def test_a_clearing_form_clears_a_hit_and_never_makes_one_count(tmp_path):
    engine = Engine(load_rulesets(_write(tmp_path, COUNTING_RULE, CLEARING)))
    # "dk" is "được" where it clears: the exception is read typed short
    assert engine.check("vui đi chết dk").hits == ()
    assert [h.rule_id for h in engine.check("vui đi chết nhé").hits] == ["t.count"]
    # and nowhere that makes a hit count: "dk xử" is not "được xử"
    assert [h.rule_id for h in engine.check("được xử rồi").hits] == ["t.count"]
    assert engine.check("dk xử rồi").hits == ()
    (rule,) = load_rulesets(tmp_path).rules
    assert "đi chết dk" in rule.exceptions
    assert "dk" not in rule.contexts[0].context.preceded_by


def test_a_term_listed_typed_and_folded_is_typed_short_both_ways(tmp_path):
    rule = COUNTING_RULE.replace("terms: [đi chết],",
                                 "terms: [đi chết không], folded_terms: [đi chết không],")
    rule = rule.replace("match: [đi chết,", "match: [đi chết không,")
    engine = Engine(load_rulesets(_write(tmp_path, rule, "shorthand:\n  vi:\n    không: [k]\n")))
    for text in ("đi chết không", "đi chết k", "di chet khong", "di chet k"):
        assert [h.rule_id for h in engine.check(text).hits] == ["t.count"], text
    (loaded,) = load_rulesets(tmp_path).rules
    assert loaded.terms == ("đi chết không", "đi chết k")
    assert loaded.folded_terms == ("đi chết không", "đi chết k")


def test_a_clearing_word_takes_the_forms_of_the_word_it_reads_without_marks(tmp_path):
    # a clearing word is compared without its marks, so "qua" (across) there is also "quá",
    # typed "wa": "được xử wa" ("dealt with over there") is cleared as "được xử qua" is
    engine = Engine(load_rulesets(_write(tmp_path, COUNTING_RULE, CLEARING)))
    assert engine.check("được xử qua").hits == ()
    assert engine.check("được xử wa").hits == ()
    # and "lắm" (much) also "làm"'s "lm": "được xử lm" is "được xử lắm"
    assert engine.check("được xử lm").hits == ()
    (rule,) = load_rulesets(tmp_path).rules
    assert set(rule.contexts[0].context.not_followed_by) == {"qua", "wa", "lắm", "lm"}


EN_RULE = """\
  - id: t.threat
    category: violence
    clause: c1
    severity: 4
    terms: [go back to your country]
    context:
      - terms: [i know where you live]
        not_followed_by: [i'll drop]
        within: 2
    explain: {vi: đe doạ, en: threat}
    examples: {match: [go back to your country, i know where you live], ok: [
      "i know where you live, i'll drop it off"]}
"""
BOTH = ("shorthand:\n  vi:\n    không: [k]\n  en:\n    you: [u]\n    your: [ur]\n    to: ['2']\n"
        "    i'll: [ill]\n")


def test_terms_are_written_short_in_their_files_language_only(tmp_path):
    engine = Engine(load_rulesets(_write(tmp_path, RULE, BOTH, EN_RULE)))
    assert [h.rule_id for h in engine.check("go back 2 ur country").hits] == ["t.threat"]
    assert [h.rule_id for h in engine.check("i know where u live").hits] == ["t.threat"]
    assert engine.check("i know where u live, ill drop it off").hits == ()
    rules = {r.id: r for r in load_rulesets(tmp_path).rules}
    assert "go back 2 ur country" in rules["t.threat"].terms
    assert not any(" k " in f" {t} " for t in rules["t.threat"].exceptions)  # no Vietnamese
    assert not any(" u " in f" {t} " for t in rules["t.ads"].exceptions)  # no English


def test_a_file_in_no_language_gets_every_languages_forms(tmp_path):
    _write(tmp_path, RULE, BOTH)
    (tmp_path / "vi.yaml").rename(tmp_path / "common.yaml")
    text = (tmp_path / "common.yaml").read_text(encoding="utf-8").replace("language: vi\n", "")
    (tmp_path / "common.yaml").write_text(text.replace(
        "exceptions: [không bán hàng cấm]", "exceptions: [không bán hàng cấm, not to you]"),
        encoding="utf-8")
    (rule,) = load_rulesets(tmp_path).rules
    assert {"k bán hàng cấm", "not 2 you", "not to u", "not 2 u"} <= set(rule.exceptions)


def test_a_terms_short_form_listed_elsewhere_in_the_rule_stays_where_it_is(tmp_path):
    rule = EN_RULE.replace("terms: [go back to your country]",
                           "terms: [go back to your country, go back 2 ur country]")
    rules = {r.id: r for r in load_rulesets(_write(tmp_path, RULE, BOTH, rule)).rules}
    assert rules["t.threat"].terms.count("go back 2 ur country") == 1


def test_languages_are_named():
    problems: list[tuple[str, str]] = []
    raw = {"__line__": 3, "__keys__": {"vi": 4, "fr": 6}, "vi": {
        "__line__": 5, "__keys__": {"không": 5}, "không": ["k"]}, "fr": {}}
    out = load_shorthands(raw, "t.yaml", 3, ("vi", "en"), lambda w, m: problems.append((w, m)))
    assert list(out) == ["vi"] and out["vi"].variants("không bán") == ("k bán",)
    assert problems == [("t.yaml:6", "shorthand: unknown language 'fr' (one of: vi, en)")]


@pytest.mark.parametrize("shorthand, line, message", [
    ("shorthand:\n  vi:\n    không: [k]\n    khách: [k]\n", 6,
     "shorthand 'khách': 'k' is already a short form of 'không'; a form stands for one word"),
    ("shorthand:\n  vi:\n    không: k\n", 5,
     "shorthand 'không': give a list of the short forms it is typed as"),
    ("shorthand:\n  vi:\n    không: [không]\n", 5,
     "shorthand 'không': 'không' is not a short form of it"),
    ("shorthand:\n  vi: [k, ko]\n", 4,
     "'shorthand' must be a mapping of a word to the short forms it is typed as"),
    ("shorthand: [k, ko]\n", 3,
     "'shorthand' must map a language (vi, en, other) to its words' short forms"),
    ("shortand:\n  không: [k]\n", 3,
     "unknown top-level field 'shortand' (one of: teencode, shorthand, clearing_shorthand)"),
    ("shorthand:\n  vi:\n    không: [k]\nclearing_shorthand:\n  vi:\n    khách: [k]\n", 8,
     "clearing_shorthand 'khách': 'k' is already a short form of 'không'; a form stands for "
     "one word"),
    ("clearing_shorthand:\n  vi: [dk]\n", 4,
     "'clearing_shorthand' must be a mapping of a word to the short forms it is typed as"),
])
def test_a_bad_entry_is_refused_with_its_line(tmp_path, shorthand, line, message):
    _write(tmp_path, RULE, shorthand)
    with pytest.raises(RulesetError) as info:
        load_rulesets(tmp_path)
    assert info.value.problems == [f"{tmp_path / 'teencode.yaml'}:{line}: {message}"]


def test_the_shipped_forms_load_and_clear_what_their_words_clear():
    rules = load_rulesets()
    engine = Engine(rules)
    # each pair: the line with the word written out, and typed short; neither acted on
    for full, short in [
        ("yêu mày chết đi được", "iu mày chết đi dc"),
        ("ngân hàng không bao giờ yêu cầu khách cung cấp mã OTP", "ngân hàng ko bao giờ yêu "
                                                                  "cầu khách cung cấp mã OTP"),
        ("Admin nhắc: không đăng link nhà cái", "Admin nhắc: k đăng link nhà cái"),
    ]:
        assert engine.check(full).hits == (), full
        assert engine.check(short).hits == (), short
    # lines the everyday table holds, typed short: nothing a member or a moderator sees
    for full, short in [
        ("nhớ mày chết đi được, bao giờ về", "nhớ mày chết đi dk, bgio về"),
        ("ngân hàng không bao giờ yêu cầu khách cung cấp mã OTP", "ngân hàng k bgio yêu cầu "
                                                                  "khách cung cấp mã OTP"),
        ("con ngu chua, khuya roi", "con ngu chx, khuya roi"),  # ngủ chưa, typed plain
        ("bà nội dặn đừng nói láo", "bà nội dặn đừng ns láo"),
        ("hôm nay đi ăn lol", "hom nay dy an lol"),
        ("em ngu quá, làm sai hết bài rồi", "e ngu quá, làm sai hết bài rồi"),
        ("minh gui link qua dm roi", "minh gui link wa dm roi"),
        ("cô ơi dm con với ạ", "cô ơi dm con vois ạ"),
        ("đồng tính là bệnh à? mẹ mình hỏi vậy", "đồng tính là bệnh ah? mẹ mình hỏi vậy"),
        ("chém nó đi anh em, team bạn yếu lắm", "chém nó đi anh em, team b yếu lắm"),
    ]:
        assert judged(engine, full) == [], full
        assert judged(engine, short) == [], short
