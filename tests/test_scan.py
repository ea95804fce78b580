"""The term matcher's scan in C (``bot/core/_scan.c``) against its Python reference: the same
matches, in the same order, for the shipped rules and for random text."""

import shutil

import ahocorasick
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.cli.corpus import generated_corpus
from bot.core import Engine, load_rulesets
from bot.core.matcher import TermEntry, TermMatch, TermMatcher
from bot.core.model import default_model
from bot.core.normalize import normalize

try:
    from bot.core import _scan as C
except ImportError:  # pragma: no cover - only where no compiler built it
    C = None

needs_c = pytest.mark.skipif(C is None, reason="bot.core._scan was not compiled here")


@pytest.fixture(scope="module")
def shipped():
    """The shipped engine's matcher (with the model, so everyday readings are reported too),
    and its twin scanning in Python."""
    matcher = Engine.load(None, default_model())._matcher
    return matcher, matcher.reference()


def _both(native: TermMatcher, reference: TermMatcher, text: str) -> None:
    n = normalize(text)
    for innocents in (True, False):
        assert native.scan(n, innocents) == reference.scan(n, innocents), (text, innocents)


def _pieces(matcher: TermMatcher) -> list[str]:
    """Keys of the shipped rules typed as people type them: with and without marks, stretched,
    masked, run together, beside other words."""
    typed = sorted({e.exact for e in matcher.entries})[::7]
    return typed + [t.upper() for t in typed[::11]] + [
        " ", " ", ".", "@", "*", "a", "đ", "ơ", "ủy", "óa", "1", "0912345678", "fuuuck",
        "dmmm", "thằng", "mày", "ngu", "vl", "lol", "😂", "\u200b", "#", "'",
    ]


@needs_c
def test_c_scans_the_generated_corpus_as_the_python_reference(shipped):
    native, reference = shipped
    assert isinstance(native._automaton, C.Automaton)
    assert isinstance(reference._automaton, ahocorasick.Automaton)
    found = 0
    for text in generated_corpus(4000, seed=11):
        _both(native, reference, text)
        found += bool(native.scan(normalize(text)))
    assert found > 500  # (the corpus exercises the matches, not only their absence)


@needs_c
@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_c_scans_rule_words_as_the_python_reference(shipped, data):
    native, reference = shipped
    words = data.draw(st.lists(st.sampled_from(_pieces(native)), max_size=14))
    glue = data.draw(st.sampled_from([" ", "", " ", ". ", "  "]))
    _both(native, reference, glue.join(words))


@needs_c
@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=60))
def test_c_scans_any_text_as_the_python_reference(shipped, text):
    _both(*shipped, text)


@needs_c
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_c_scans_forged_messages_as_the_python_reference(shipped, data):
    # a platform's longest message, one key repeated past the quick limit or many mixed:
    # the quick scan hands these to the careful path, which must list the same
    native, reference = shipped
    pieces = _pieces(native)
    unit = data.draw(st.lists(st.sampled_from(pieces), min_size=1, max_size=4).map(" ".join))
    times = data.draw(st.integers(1, 400))
    _both(native, reference, ((unit + " ") * times)[:4096])


def _automata(keys: list[str]) -> tuple:
    ours = C.Automaton(keys, [(len(k), k) for k in keys])
    theirs = ahocorasick.Automaton()
    for k in keys:
        theirs.add_word(k, (len(k), k))
    theirs.make_automaton()
    return ours, theirs


@needs_c
@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.text(alphabet="abcđ 😂é", min_size=1, max_size=5), min_size=1, max_size=25,
                unique=True),
       st.text(alphabet="abcđ 😂éx", max_size=40))
def test_c_automaton_finds_what_pyahocorasick_finds_in_the_same_order(keys, text):
    ours, theirs = _automata(keys)
    assert ours.iter(text) == list(theirs.iter(text))


@needs_c
def test_c_automaton_on_nested_and_overlapping_keys():
    ours, theirs = _automata(["he", "she", "his", "hers", "e", "s", "shes"])
    text = "ushers and shes he his"
    assert ours.iter(text) == list(theirs.iter(text))
    assert ours.iter("shes")[1:4] == [(2, (3, "she")), (2, (2, "he")), (2, (1, "e"))]


@needs_c
def test_c_automaton_says_what_is_wrong_with_its_input():
    with pytest.raises(ValueError, match="key 1 is empty"):
        C.Automaton(["a", ""], [1, 2])
    with pytest.raises(TypeError, match="key 0 is not a str"):
        C.Automaton([b"a"], [1])
    with pytest.raises(ValueError, match="as many values as keys"):
        C.Automaton(["a"], [])
    a = C.Automaton(["ab"], [(2, ())])
    with pytest.raises(RuntimeError, match="bind first"):
        a.scan(normalize("ab"))
    a.bind({}, lambda *args: ((), (), (), ()), TermMatch, 8, False, print)
    assert a.scan(normalize("ab")) == []
    with pytest.raises(ValueError, match="differ in length"):
        a.scan(normalize("ab")._replace(exact="abc"))
    with pytest.raises(TypeError, match="n is a Normalized"):
        a.scan("ab")
    bad = C.Automaton(["ab"], [(2, ())])
    bad.bind({}, lambda *args: "no", TermMatch, 8, False, print)
    with pytest.raises(TypeError, match="decide must return a 4-tuple"):
        bad.scan(normalize("ab"))


@needs_c
def test_c_scan_leaves_wildcards_squeezed_runs_and_floods_to_the_careful_path():
    entry = TermEntry(0, "fuck", True, 0.9, 0.7, "term", (), False, True)  # "fuck*"
    squeeze = TermEntry(1, "fagot", True, 0.9, 0.7, "term", (), False, False, squeeze_only=True)
    native = TermMatcher([entry, squeeze], enough=2)
    reference = native.reference()
    for text in ["fuck", "fucking hell", "fagot", "faggggot", "fuck fuck fuck", "fagot faggot",
                 "fuck " * 9, "fuck " * 8 + "fucking"]:
        _both(native, reference, text)
    assert [m.end for m in native.scan(normalize("fucking hell"))] == [7]  # widened to the word
    assert native.scan(normalize("a fagot")) == []  # typed so, not squeezed: no hit
    assert len(native.scan(normalize("fuck fuck fuck"))) == 3  # (the engine caps per rule)
    # past ``quick_limit`` matches, each entry's first ``enough`` of them
    assert native.quick_limit == 8
    assert [m.start for m in native.scan(normalize("fuck " * 9))] == [0, 5]
    native.enough = 1  # (what a test's uncapped reference does: the C scan follows)
    assert [m.start for m in native.scan(normalize("fuck " * 5))] == [0]
    assert [m.start for m in native.scan(normalize("fuck " * 4))] == [0, 5, 10, 15]


@needs_c
def test_a_squeezed_form_stands_only_where_its_doubled_letter_was_drawn_out():
    # "coon" squeezed is "con", its "o" (bit 1) the doubled letter: "cooon" is "coon" drawn
    # out, "connnn" a Vietnamese "con" drawn out; with no place named, any run will do
    coon = TermEntry(0, "con", True, 0.9, 0.7, "term", (), False, False, squeeze_only=True,
                     squeeze_at=1 << 1)
    anywhere = TermEntry(1, "fagot", True, 0.9, 0.7, "term", (), False, False,
                         squeeze_only=True)
    native = TermMatcher([coon, anywhere], enough=2)
    reference = native.reference()
    for text in ["cooon", "connnn", "ccccon", "con", "cooonnn", "connnn cooon", "fagggot",
                 "faaagot", "go home cooooon"]:
        _both(native, reference, text)
    assert [m.end for m in native.scan(normalize("cooon"))] == [3]
    assert native.scan(normalize("connnn")) == [] and native.scan(normalize("ccccon")) == []
    assert [m.start for m in native.scan(normalize("connnn cooon"))] == [4]
    assert len(native.scan(normalize("faaagot"))) == 1  # (no place named: any run)


def test_a_term_drawn_out_into_a_common_word_of_the_message_language_is_that_word(tmp_path):
    from tests.test_ruleset_errors import _write
    rules = """
  - id: t.slur
    category: hate
    clause: c1
    severity: 5
    terms: [coon]
    explain: {vi: xấu, en: bad}
    examples:
      match: [go home coon]
      ok: [a raccoon]
"""
    engine = Engine(load_rulesets(_write(tmp_path, rules, header="language: en\n")))
    hits = {t: [h.matched for h in engine.check(t).hits] for t in [
        "cooon ơi về ăn cơm", "connnn ơi", "go home cooooon", "go home coon", "coooon",
        "my dog is so funny. cooon oi ve an com", "cooon oi. go home cooooon"]}
    # (in a message in both languages, the language of the sentence it stands in)
    assert hits == {"cooon ơi về ăn cơm": [], "connnn ơi": [], "go home cooooon": ["cooooon"],
                    "go home coon": ["coon"], "coooon": [],
                    "my dog is so funny. cooon oi ve an com": [],
                    "cooon oi. go home cooooon": ["cooooon"]}


def test_the_compiled_scan_is_built_where_a_compiler_is():
    if not (shutil.which("cc") or shutil.which("gcc")):
        pytest.skip("no C compiler here: the Python reference runs instead")
    assert C is not None, "a C compiler is here but bot/core/_scan.c was not built"
    engine = Engine.load(None)
    assert isinstance(engine._matcher._automaton, C.Automaton)
    assert engine._scan == engine._matcher._automaton.scan


@needs_c
def test_a_matcher_no_one_holds_is_collected():
    # (its automaton holds the matcher's careful path: a cycle the collector must see)
    import gc
    import weakref

    matcher = TermMatcher([TermEntry(0, "ngu", True, 0.9, 0.7, "term", (), False, False)])
    gone = weakref.ref(matcher)
    del matcher
    gc.collect()
    assert gone() is None
