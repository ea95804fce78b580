"""A listed word in what a member reports was said to them ("nó chửi mình là đồ ngu", "he called
me a retard"), or set in quotation marks ('what does "đụ" mean?'), goes to a moderator at most:
the member telling moderators, or asking what a word means, is never punished."""

import pytest

from bot.core import Engine, load_rulesets
from tests.everyday import judged
from tests.test_ruleset_errors import GOOD_RULE, _problems, _write


def _with_header(tmp_path, header: str):
    """The test rule's file with a top-level field above its rules."""
    return _write(tmp_path, GOOD_RULE, header=header + "\n")


@pytest.fixture
def reported(tmp_path) -> Engine:
    return Engine(load_rulesets(_with_header(tmp_path, "reported: [called me, chửi mình]")))


def _confidence(engine: Engine, text: str) -> float | None:
    hits = engine.check(text).hits
    return hits[0].confidence if hits else None


@pytest.mark.parametrize("text,confidence", [
    ("badword", 0.9),
    ("he called me badword", 0.5),
    ("he called me a real badword", 0.5),  # two words between: still reported
    ("he called me a really big badword", 0.9),  # three: too far to be the word reported
    ("badword, he called me", 0.9),  # the report follows the word: it was aimed
    ("he called you badword", 0.9),  # someone else called: aimed
    ("nó chửi mình badword", 0.5),
    ("no chui minh badword", 0.5),  # typed without marks, the phrase is the same
])
def test_a_word_just_after_a_reporting_phrase_goes_to_review_at_most(reported, text, confidence):
    assert _confidence(reported, text) == confidence


@pytest.mark.parametrize("text,confidence", [
    ('"badword" means what?', 0.5), ("is 'badword' rude", 0.5), ("what does “badword” mean", 0.5),
    ('"badword', 0.9), ('badword"', 0.9),  # a quotation mark on one side only: used
    ('"what a badword"', 0.9),  # a quoted sentence is said, not a word mentioned
])
def test_a_word_set_in_quotation_marks_is_mentioned_and_goes_to_review_at_most(reported, text,
                                                                              confidence):
    assert _confidence(reported, text) == confidence


@pytest.fixture
def quoting(tmp_path) -> Engine:
    return Engine(load_rulesets(_with_header(tmp_path, "quoting: [says, nói]")))


@pytest.mark.parametrize("text,confidence", [
    # someone else's line told, a film's or a song's: inside a quotation opened just after a
    # word of saying
    ('the villain says "you are a badword" and it is hilarious', 0.5),
    ('the villain says: “so much badword here”', 0.5),
    ('phản diện nói "đồ badword" rồi bỏ đi', 0.5),
    ('phan dien noi "do badword" roi bo di', 0.5),  # typed plain, the word of saying is the same
    # a quotation that closed before the word, or never closes, or no word of saying before it
    ('he says "hi" and then badword', 0.9), ('he says "what a badword', 0.9),
    ('"you are a badword" lol', 0.9), ('says nothing, badword "here"', 0.9),
    # an apostrophe is no quotation mark
    ("the villain says 'you are a badword' lol", 0.9),
])
def test_a_word_in_a_line_someone_said_goes_to_review_at_most(quoting, text, confidence):
    assert _confidence(quoting, text) == confidence


def test_quoting_must_be_a_list_of_phrases(tmp_path):
    path = _with_header(tmp_path, "quoting: says")
    (problem,) = _problems(path)
    assert problem == f"{path / 'rules.yaml'}:1: 'quoting' must be a list of non-empty strings"


def test_a_reporting_phrase_alone_flags_nothing(reported):
    assert reported.check("he called me yesterday").hits == ()


def test_reported_must_be_a_list_of_phrases(tmp_path):
    path = _with_header(tmp_path, "reported: called me")
    (problem,) = _problems(path)
    assert problem == f"{path / 'rules.yaml'}:1: 'reported' must be a list of non-empty strings"


@pytest.mark.parametrize("text", [
    "admin ơi, thằng kia vừa chửi mình là đồ ngu, xử lý giúp với",
    "hồi nhỏ mình hay bị trêu là đồ nhà quê",
    "đừng gọi người khác là thằng điên nhé",
    "I got called a faggot in high school and it still hurts",
    'the word "retard" is hurtful, please stop using it',
    "my coworker keeps calling me a bitch, what should I do",
    "không được gọi nhau là đồ ngu, thằng điên trong nhóm",  # a group's rules
    "Rules: no slurs. Words like the n-word or faggot get you banned.",
    'what does "đụ" mean in Vietnamese?',
    '"bitch" dịch sang tiếng Việt là gì',
])
def test_the_shipped_rules_send_a_report_to_review_not_to_punishment(engine, text):
    assert {t for t, _, _ in judged(engine, text)} == {"review"}


@pytest.mark.parametrize("text", [
    "nó chửi mày là thằng ngu là đúng rồi", "everyone calls you a faggot", "mày là thằng ngu",
])
def test_the_same_words_aimed_at_someone_are_still_acted_on(engine, text):
    assert "act" in {t for t, _, _ in judged(engine, text)}
