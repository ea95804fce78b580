"""Every rule's own example lines run as tests (semgrep's ruleid:/ok: habit)."""

import pytest

from bot.core import load_rulesets

_RULES = load_rulesets().rules
_MATCH = [(r.id, t) for r in _RULES for t in r.examples_match]
_OK = [(r.id, t) for r in _RULES for t in r.examples_ok]


def test_every_term_rule_has_examples():
    missing = [r.id for r in _RULES if r.detector not in ("flood", "duplicate", "model")
               and not (r.examples_match and r.examples_ok)]
    assert missing == []


@pytest.mark.parametrize("rule_id,text", _MATCH)
def test_example_matches(engine, rule_id, text):
    assert rule_id in {h.rule_id for h in engine.check_example(rule_id, text).hits}


@pytest.mark.parametrize("rule_id,text", _OK)
def test_example_stays_clean(engine, rule_id, text):
    assert [h.rule_id for h in engine.check_example(rule_id, text).hits] == []


def test_a_rule_shipped_off_counts_only_where_a_community_turns_it_on(engine):
    from bot.core import CommunityPolicy

    text = "zalo mình 0912345678 nhé, ai mua ib"
    assert engine.check(text).hits == ()
    on = CommunityPolicy(enabled_rules=frozenset({"privacy.phone-any"}))
    assert [h.rule_id for h in engine.check(text, on).hits] == ["privacy.phone-any"]


def test_a_rule_that_is_off_hides_nothing_from_the_learned_stage():
    """A rule for new members (or one shipped off) finds nothing where it is off: a link in a
    message must not stop the model from sending it to review."""
    from bot.core import CommunityPolicy, Engine
    from bot.core.model import default_model

    engine = Engine.load(model=default_model())
    text = "bọn nó toàn lũ bán nước https://example.com/x"
    assert [h.rule_id for h in engine.check(text).hits] == ["model.violation"]
    newcomer = CommunityPolicy(enabled_rules=engine.new_member_rules)
    assert "new.link" in [h.rule_id for h in engine.check(text, newcomer).hits]
