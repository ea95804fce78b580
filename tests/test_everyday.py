"""The everyday table: what members write, judged as the bot would under default settings with
the shipped model loaded. An innocent line is never acted on; at most a few go to review."""

import pytest

from bot.core import Engine
from bot.core.model import default_model
from bot.core.normalize import fold
from tests.everyday import Line, holds, judged, lines

LINES = lines()
# innocent lines the model alone may send to a moderator (never acted on): a budget for the
# table as a whole, as the review queue has one for a community
REVIEW_SHARE = 0.03
# the innocent lines typed with marks, typed again without them, as much Vietnamese chat is
# ("toi nay di choi khong"): never acted on, no rule flags them, and the same budget for the
# review queue (measured 6 of 206; 9 before training stopped taking ViHSD's harsher plain
# comments as a sign that typing plain is rude)
PLAIN = [fold(line.text) for line in LINES if line.innocent and fold(line.text) != line.text]


@pytest.fixture(scope="module")
def shipped() -> Engine:
    model = default_model()
    assert model is not None, "the package ships bot/models/default.qtm"
    return Engine.load(model=model)


def test_the_table_is_large_and_covers_both_readings():
    assert len(LINES) >= 300
    innocent = [line for line in LINES if line.innocent]
    assert len(innocent) >= 150 and len(LINES) - len(innocent) >= 100


@pytest.mark.parametrize("line", [x for x in LINES if not x.innocent],
                         ids=lambda x: f"{x.number}:{x.text[:30]}")
def test_violations_are_caught(shipped, line: Line):
    found = judged(shipped, line.text)
    assert holds(line, found), (line.expect, line.what, found)


@pytest.mark.parametrize("line", [x for x in LINES if x.innocent],
                         ids=lambda x: f"{x.number}:{x.text[:30]}")
def test_innocent_lines_are_never_acted_on(shipped, line: Line):
    found = judged(shipped, line.text)
    assert all(t != "act" for t, _, _ in found), found
    # and no rule flags it: what may reach a moderator is the model's own doubt
    assert all(rule == "model.violation" for _, rule, _ in found), found


@pytest.mark.parametrize("line", [x for x in LINES if x.innocent],
                         ids=lambda x: f"{x.number}:{x.text[:30]}")
def test_innocent_lines_by_the_rules_alone_are_clean(engine, line: Line):
    assert judged(engine, line.text) == []


def test_few_innocent_lines_reach_the_review_queue(shipped):
    innocent = [line for line in LINES if line.innocent]
    reviewed = [line.text for line in innocent if judged(shipped, line.text)]
    share = len(reviewed) / len(innocent)
    print(f"\ninnocent lines sent to review by the model: {len(reviewed)} of {len(innocent)} "
          f"({share:.1%}): {reviewed}")
    assert share <= REVIEW_SHARE, reviewed


@pytest.mark.parametrize("text", PLAIN)
def test_innocent_lines_typed_without_marks_are_never_acted_on(shipped, text: str):
    found = judged(shipped, text)
    assert all(t != "act" for t, _, _ in found), found
    assert all(rule == "model.violation" for _, rule, _ in found), found


def test_few_innocent_lines_typed_without_marks_reach_the_review_queue(shipped):
    reviewed = [text for text in PLAIN if judged(shipped, text)]
    share = len(reviewed) / len(PLAIN)
    print(f"\ninnocent lines typed without marks sent to review: {len(reviewed)} of "
          f"{len(PLAIN)} ({share:.1%}): {reviewed}")
    assert len(PLAIN) >= 150
    assert share <= REVIEW_SHARE, reviewed
