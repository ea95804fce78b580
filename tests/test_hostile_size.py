"""Forged messages far past what a platform delivers: bounded work, and nothing missed that counts.

Times are not asserted here (``quytac bench --worst`` reports them); what is asserted is the
behaviour the bounds must keep: how much is read, how many hits are listed, and that repeating
an exception phrase cannot hide a real insult after it.
"""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.cli import main
from bot.core import CommunityPolicy, Engine
from bot.core.engine import MAX_CHARS, MAX_HITS_PER_RULE
from bot.core.language import MAX_WORDS, detect_language


def _ids(verdict):
    return [h.rule_id for h in verdict.hits]


def test_a_thousand_insults_list_a_bounded_number_of_hits(engine):
    text = "thằng óc chó " * 1000
    verdict = engine.check(text)
    stupid = [h for h in verdict.hits if h.rule_id == "vi.insult.stupid"]
    assert len(stupid) == MAX_HITS_PER_RULE
    # the first ones, each pointing at the insult in the original text
    assert [h.start for h in stupid] == [6 + 13 * i for i in range(MAX_HITS_PER_RULE)]
    assert all(h.matched == "óc chó" for h in stupid)


def test_repeated_exception_phrases_cannot_hide_an_insult_after_them(engine):
    # "hạt óc chó" (walnut) cancels "óc chó" inside it; 300 of them, then a real insult
    text = "hạt óc chó " * 300 + "mày là đồ óc chó"
    assert len(text) < MAX_CHARS
    hits = [h for h in engine.check(text).hits if h.rule_id == "vi.insult.stupid"]
    assert [h.matched for h in hits] == ["óc chó"]
    assert hits[0].start == text.rindex("óc chó")


def test_only_the_first_max_chars_are_read(engine):
    clean = "các bạn ơi " * (MAX_CHARS // 11 + 1)
    assert "vi.insult.mother" in _ids(engine.check(clean[: MAX_CHARS - 20] + "địt mẹ mày"))
    assert engine.check(clean[:MAX_CHARS] + "địt mẹ mày").hits == ()


def test_hundreds_of_phone_numbers_give_a_bounded_list(engine):
    verdict = engine.check("gọi nó 0912345678 nhé " * 300)
    phones = [h for h in verdict.hits if h.rule_id == "privacy.phone"]
    assert 1 <= len(phones) <= MAX_HITS_PER_RULE
    assert all(h.matched == "0912345678" for h in phones)


def test_one_long_word_of_spaced_evasions_is_caught_once_per_word(engine):
    # "f u c k f u c k ..." collapses into one long word: the wildcard hit widens to the word
    text = "f u c k " * 500
    hits = [h for h in engine.check(text).hits if h.rule_id == "en.obscene.profanity"]
    assert len(hits) == 1 and hits[0].start == 0 and hits[0].end == len(text.rstrip())


def test_bench_worst_reports_the_slowest_input_and_baselines(capsys):
    assert main(["bench", "--worst", "--seconds", "1", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    slowest = data["slowest"]
    assert slowest and slowest[0]["milliseconds"] >= slowest[-1]["milliseconds"] > 0
    assert all(MAX_CHARS <= s["length"] for s in slowest)
    assert data["typical_message_ms"] > 0 and data["chat_max_length_ms"] > 0


@pytest.fixture(scope="module")
def uncapped():
    """An engine whose matcher lists every match (only the engine caps hits per rule): what the
    matcher's shortcuts for forged messages must agree with."""
    reference = Engine.load()
    reference._matcher.enough = 10**9
    return reference


def test_the_matchers_shortcuts_change_no_verdict(engine, uncapped):
    # per rule with exception phrases: the phrases and some terms, repeated past the cap, mixed
    rules = [(list(r.exceptions), [t.strip("*") for t in r.terms[:4]])
             for r in engine.rules if r.exceptions and r.terms]
    assert len(rules) >= 3
    other = ["óc chó", "địt mẹ", "đm", "các bạn", "ok", "DU", "f u c k", "ngu"]

    @st.composite
    def forged(draw):
        phrases, terms = draw(st.sampled_from(rules))
        units = st.sampled_from(phrases + terms + other)
        parts = draw(st.lists(st.tuples(units, st.integers(1, 30),
                                        st.sampled_from([" ", ", ", " và "])),
                              min_size=2, max_size=6))
        return "".join((unit + sep) * times for unit, times, sep in parts)

    @settings(max_examples=300, deadline=None, database=None, derandomize=True)
    @given(forged())
    def check(text):
        assert engine.check(text) == uncapped.check(text), text[:300]

    check()


def test_repeated_links_are_looked_up_once_and_hide_no_other_link(engine):
    text = "xem youtube.com/watch nhé " * 150 + "discord.gg/abc123 " * 20 + "vào discord.gg/xyz789"
    verdict = engine.check(text, policy=CommunityPolicy(allow_domains=frozenset({"youtube.com"})))
    invites = [h for h in verdict.hits if h.rule_id == "links.invite"]
    assert len(invites) == MAX_HITS_PER_RULE  # the first ones listed, none for the allowed site
    assert all(h.matched == "discord.gg/abc123" for h in invites)
    assert not any("youtube" in h.matched for h in verdict.hits)
    alone = engine.check("xem youtube.com/watch nhé " * 150 + "vào discord.gg/xyz789",
                         policy=CommunityPolicy(allow_domains=frozenset({"youtube.com"})))
    assert [h.matched for h in alone.hits if h.rule_id == "links.invite"] == ["discord.gg/xyz789"]


def test_a_long_messages_language_is_read_from_its_first_words():
    english = "thanks for the meeting notes " * (MAX_WORDS // 5)
    assert detect_language(english + "di an com thoi cac ban " * 400) == "en"
    assert detect_language("di an com thoi cac ban " * 400 + english) == "vi"


def _engines(tmp_path, rule: str) -> tuple[Engine, Engine]:
    """An engine of one rule, and the same engine with a matcher that lists every match."""
    (tmp_path / "clauses.yaml").write_text("clauses:\n  c1: {cite: C1, vi: v, en: e}\n",
                                           encoding="utf-8")
    (tmp_path / "rules.yaml").write_text(f"""rules:
  - id: t.mat
    category: insult
    clause: c1
    severity: 2
    explain: {{vi: xấu, en: bad}}
{rule}""", encoding="utf-8")
    reference = Engine.load(tmp_path)
    reference._matcher.enough = 10**9
    return Engine.load(tmp_path), reference


def test_a_wildcard_exception_phrase_guards_its_whole_word(tmp_path):
    """A hit inside an exception phrase is left out and not counted towards the matcher's cap,
    and a phrase with a wildcard covers its whole word: thirty cancelled "xyz…mat" do not hide
    the real hit of the same typed form after them."""
    capped, reference = _engines(tmp_path, """    terms: ["*mat"]
    exceptions: ["xyz*"]
    examples: {match: [qqqmat], ok: [xyzmat]}
""")
    text = "xyzmat " * 30 + "qqqmat"
    verdict = capped.check(text)
    assert [h.matched for h in verdict.hits] == ["qqqmat"]
    assert verdict == reference.check(text)


def test_hits_widened_to_one_word_count_once_towards_the_cap(tmp_path):
    """Twenty "mat" inside one word are one hit once widened to the word: they must not use up
    the cap and hide the next word's hit of the same typed form."""
    capped, reference = _engines(tmp_path, """    terms: ["*mat*"]
    examples: {match: [qqmatqq], ok: [mad]}
""")
    text = "mat" * 20 + " qqmatqq"
    verdict = capped.check(text)
    assert [h.matched for h in verdict.hits] == ["mat" * 20, "qqmatqq"]
    assert verdict == reference.check(text)
