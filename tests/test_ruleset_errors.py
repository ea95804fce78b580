"""Broken rulesets fail at load with file:line, the rule id and what is wrong; every error at once."""

import shutil
from pathlib import Path

import pytest

from bot.core import Engine, RulesetError, load_rulesets
from bot.core.ruleset import default_path

GOOD_RULE = """
  - id: t.ok
    category: insult
    clause: c1
    severity: 2
    terms: [badword]
    explain: {vi: xấu, en: bad}
    examples: {match: [badword], ok: [goodword]}
"""


def _write(tmp_path: Path, rules: str, clauses: str | None = None, header: str = "") -> Path:
    """A ruleset folder: ``clauses.yaml`` and a ``rules.yaml`` of ``rules`` (its top-level fields
    other than the rules, ``language:``, ``reported:``, in ``header``)."""
    (tmp_path / "clauses.yaml").write_text(
        clauses if clauses is not None else "clauses:\n  c1: {cite: C1, vi: v, en: e}\n",
        encoding="utf-8")
    (tmp_path / "rules.yaml").write_text(header + "rules:" + rules, encoding="utf-8")
    return tmp_path


def _problems(path: Path) -> list[str]:
    with pytest.raises(RulesetError) as info:
        load_rulesets(path)
    return info.value.problems


def test_good_ruleset_loads(tmp_path):
    rs = load_rulesets(_write(tmp_path, GOOD_RULE))
    assert [r.id for r in rs.rules] == ["t.ok"]
    assert Engine(rs).check("a badword here").hits[0].rule_id == "t.ok"


def test_malformed_yaml_names_file_and_line(tmp_path):
    _write(tmp_path, GOOD_RULE + "  - id: [unclosed\n")
    (problem,) = _problems(tmp_path)
    assert problem.startswith(f"{tmp_path / 'rules.yaml'}:10")
    assert "malformed YAML" in problem


def test_unknown_field_names_line_and_rule(tmp_path):
    _write(tmp_path, GOOD_RULE.replace("    severity: 2\n", "    severity: 2\n    severty: 3\n"))
    (problem,) = _problems(tmp_path)
    assert problem == f"{tmp_path / 'rules.yaml'}:6: rule t.ok: unknown field 'severty'"


def test_a_field_nothing_reads_is_refused(tmp_path):
    """'shadow' was accepted and ignored: a rule author believed a rule shadowed that acted."""
    _write(tmp_path, GOOD_RULE.replace("    severity: 2\n", "    severity: 2\n    shadow: true\n"))
    (problem,) = _problems(tmp_path)
    assert problem.endswith("rule t.ok: unknown field 'shadow'")


def test_a_key_given_twice_is_refused_where_yaml_would_keep_only_the_last(tmp_path):
    """YAML keeps the last of a key given twice: the first terms, or the first examples, would be
    dropped without a word."""
    rule = GOOD_RULE.replace("    severity: 2\n", "    severity: 2\n    terms: [other]\n").replace(
        "examples: {match: [badword], ok: [goodword]}",
        "examples: {match: [badword], ok: [goodword], ok: [fine]}")
    _write(tmp_path, rule)
    problems = _problems(tmp_path)
    path = tmp_path / "rules.yaml"
    assert f"{path}:7: rule t.ok: field 'terms' given twice" in problems
    assert f"{path}:9: rule t.ok: examples key 'ok' given twice" in problems


@pytest.mark.parametrize("value,error", [
    ("{xx: 0.4}", "confidence_in: unknown language 'xx' (one of: vi, en, other)"),
    ("{vi: 2}", "'confidence_in.vi' must be a number from 0 to 1, got 2"),
    ("[vi, 0.4]", "'confidence_in' must be a mapping of a language to a confidence ({vi: 0.45})"),
])
def test_a_confidence_by_language_is_checked(tmp_path, value, error):
    _write(tmp_path, GOOD_RULE.replace("    severity: 2\n",
                                       f"    severity: 2\n    confidence_in: {value}\n"))
    (problem,) = _problems(tmp_path)
    assert problem == f"{tmp_path / 'rules.yaml'}:2: rule t.ok: {error}"


def test_a_hit_weighs_at_most_its_confidence_in_the_messages_language(tmp_path):
    """English swearing borrowed into Vietnamese chat is slang, as "vãi" is: to review there."""
    _write(tmp_path, GOOD_RULE.replace("    severity: 2\n",
                                       "    severity: 2\n    confidence_in: {vi: 0.45}\n"))
    engine = Engine(load_rulesets(tmp_path))
    (en,) = engine.check("what a badword thing to say").hits
    (vi,) = engine.check("phim này badword hay luôn").hits
    assert (en.confidence, vi.confidence) == (0.9, 0.45)


def test_duplicate_id_points_at_both(tmp_path):
    _write(tmp_path, GOOD_RULE + GOOD_RULE)
    (problem,) = _problems(tmp_path)
    assert f"{tmp_path / 'rules.yaml'}:10: rule t.ok: duplicate id" in problem
    assert f"first defined at {tmp_path / 'rules.yaml'}:2" in problem


@pytest.mark.parametrize("pattern", [r"(a+)+\1", r"(?<=x)y", r"(?=a)b"])
def test_pattern_outside_re2_is_rejected(tmp_path, pattern):
    _write(tmp_path, GOOD_RULE.replace("terms: [badword]", f"patterns: ['{pattern}']"))
    (problem,) = _problems(tmp_path)
    assert "rule t.ok" in problem and "not valid RE2" in problem


def test_catastrophic_pattern_runs_in_linear_time(tmp_path):
    """RE2 accepts (1+)+$ but runs it without backtracking: 4,000 '1's and a '!' return at once
    (a backtracking engine would need 2**4000 steps)."""
    _write(tmp_path, GOOD_RULE.replace("terms: [badword]", "patterns: ['(1+)+$']")
           .replace("match: [badword]", "match: ['111']").replace("ok: [goodword]", "ok: ['!']"))
    engine = Engine.load(tmp_path)
    assert engine.check("1" * 4000 + "!").hits == ()


@pytest.mark.parametrize("pattern", [r"bằng lái\s*không cần thi", r"\bfree\s+\w+", r"\d*x"])
def test_pattern_that_needs_no_digit_is_rejected(tmp_path, pattern):
    """Patterns run only on messages with a digit; one that needs none would make every message
    pay for RE2, so the loader names it and says to write words as terms."""
    _write(tmp_path, GOOD_RULE.replace("terms: [badword]", f"patterns: ['{pattern}']"))
    (problem,) = _problems(tmp_path)
    assert problem.startswith(f"{tmp_path / 'rules.yaml'}:2: rule t.ok:")
    assert "can match text without a digit" in problem and "write words as terms" in problem


def test_pattern_with_a_digit_loads(tmp_path):
    _write(tmp_path, GOOD_RULE.replace("terms: [badword]", r"patterns: ['\b0\d{9}\b']")
           .replace("match: [badword]", "match: ['0912345678']"))
    engine = Engine.load(tmp_path)
    assert [h.rule_id for h in engine.check("số 0912345678").hits] == ["t.ok"]


def test_all_errors_reported_together(tmp_path):
    bad = GOOD_RULE.replace("category: insult", "category: nonsense").replace(
        "clause: c1", "clause: nowhere").replace("severity: 2", "severity: 99").replace(
        "explain: {vi: xấu, en: bad}", "explain: {vi: xấu}")
    _write(tmp_path, bad)
    problems = _problems(tmp_path)
    text = "\n".join(problems)
    assert len(problems) == 4
    assert "unknown category 'nonsense'" in text
    assert "unknown clause 'nowhere'" in text
    assert "'severity' must be an integer from 1 to 10, got 99" in text
    assert "'explain' must give a text for both 'vi' and 'en'" in text
    assert all(p.startswith(f"{tmp_path / 'rules.yaml'}:2: rule t.ok:") for p in problems)


def test_wildcard_inside_term_rejected(tmp_path):
    _write(tmp_path, GOOD_RULE.replace("terms: [badword]", "terms: ['bad*word']"))
    (problem,) = _problems(tmp_path)
    assert "'*' is allowed only at the start or end" in problem


def test_missing_clauses_file(tmp_path):
    (tmp_path / "rules.yaml").write_text("rules:" + GOOD_RULE, encoding="utf-8")
    problems = _problems(tmp_path)
    assert any("clauses.yaml: missing" in p for p in problems)


def test_not_a_directory(tmp_path):
    assert _problems(tmp_path / "nope") == [f"{tmp_path / 'nope'}: not a ruleset directory"]


def test_shipped_rulesets_copy_with_one_break(tmp_path):
    """A real ruleset with one typo: the loader names exactly that file, line and rule."""
    target = tmp_path / "rs"
    shutil.copytree(default_path(), target)
    en = target / "en.yaml"
    text = en.read_text(encoding="utf-8")
    en.write_text(text.replace("category: violence", "category: violense", 1), encoding="utf-8")
    (problem,) = _problems(target)
    line = text.splitlines().index("  - id: en.violence.threat") + 1
    assert problem.startswith(f"{en}:{line}: rule en.violence.threat: unknown category 'violense'")


LOOKALIKE_RULE = """
  - id: t.lookalike
    category: spam
    clause: c1
    severity: 3
    detector: lookalike
    brands: [discord]
    domains: [discord.com]
    explain: {vi: giả danh, en: imitation}
    examples: {match: [dlscord.com/gift], ok: [discord.com/channels/1]}
"""


def test_a_lookalike_rule_loads_and_reads_its_brands(tmp_path):
    rs = load_rulesets(_write(tmp_path, LOOKALIKE_RULE))
    assert rs.rules[0].brands == ("discord",)
    assert [h.rule_id for h in Engine(rs).check("https://dlscord.com/gift").hits] == ["t.lookalike"]


def test_a_lookalike_rule_without_its_sites_or_with_a_bad_brand_is_refused(tmp_path):
    _write(tmp_path, LOOKALIKE_RULE.replace("    domains: [discord.com]\n", "").replace(
        "brands: [discord]", "brands: [Discord, ab]"))
    where = f"{tmp_path / 'rules.yaml'}:2: rule t.lookalike: "
    assert sorted(_problems(tmp_path)) == sorted([
        where + "a lookalike rule needs 'domains' (the brands' own sites)",
        where + "brand 'Discord': lowercase letters and digits, at least 4",
        where + "brand 'ab': lowercase letters and digits, at least 4",
    ])


def test_a_lookalike_rules_domains_are_sites(tmp_path):
    _write(tmp_path, LOOKALIKE_RULE.replace("domains: [discord.com]",
                                            "domains: [discord.com/channels]"))
    (problem,) = _problems(tmp_path)
    assert problem.endswith("rule t.lookalike: domain 'discord.com/channels': a lookalike "
                            "rule's domains are sites, without a path")


LINKS_RULE = """
  - id: t.short
    category: links
    clause: c1
    severity: 1
    detector: links
    domains: [goo.gl, "!maps.app.goo.gl"]
    explain: {vi: rút gọn, en: short}
    examples: {match: [goo.gl/abc], ok: ["maps.app.goo.gl/abc"]}
"""


def test_a_links_rule_leaves_out_a_site_it_names_with_a_bang(tmp_path):
    """A place shared from Google Maps is a goo.gl link that says where it goes: the shortener
    rule sent every address shared that way to review."""
    engine = Engine(load_rulesets(_write(tmp_path, LINKS_RULE)))
    assert [h.rule_id for h in engine.check("xem goo.gl/abc123").hits] == ["t.short"]
    assert engine.check("bản đồ: https://maps.app.goo.gl/AbC123").hits == ()
    assert engine.check("https://x.maps.app.goo.gl/AbC").hits == ()  # its subdomains too
    assert [h.rule_id for h in engine.check("https://app.goo.gl/AbC").hits] == ["t.short"]


def test_a_links_rule_of_left_out_sites_only_or_a_bang_elsewhere_is_refused(tmp_path):
    _write(tmp_path, LINKS_RULE.replace('domains: [goo.gl, "!maps.app.goo.gl"]',
                                        'domains: ["!maps.app.goo.gl"]')
           + GOOD_RULE.replace("    severity: 2\n", '    severity: 2\n    domains: ["!x.com"]\n'))
    assert sorted(p.split(": rule ")[1] for p in _problems(tmp_path)) == [
        "t.ok: a '!' domain (a site left out) belongs to a 'detector: links' rule",
        "t.short: a links rule needs 'domains' ('*': any link)",
    ]


def test_brands_on_another_detector_are_refused(tmp_path):
    _write(tmp_path, GOOD_RULE.replace("    severity: 2\n", "    severity: 2\n    brands: [discord]\n"))
    (problem,) = _problems(tmp_path)
    assert problem.endswith("rule t.ok: 'brands' belongs to a 'detector: lookalike' rule")


def test_an_abbreviation_read_as_a_shorter_one_is_refused(tmp_path):
    """'ccc' was accepted: messages are read with repeated letters squeezed, so it matched every
    'c' (a member's 'chị') as 'cục cặc'."""
    _write(tmp_path, GOOD_RULE)
    (tmp_path / "teencode.yaml").write_text(
        "teencode:\n  - {abbr: bw, means: badword}\n  - {abbr: ccc, means: badword}\n",
        encoding="utf-8")
    (problem,) = _problems(tmp_path)
    assert problem == (f"{tmp_path / 'teencode.yaml'}:3: teencode 'ccc': messages are read with "
                       "repeated letters squeezed, so it would match 'c'")
    (tmp_path / "teencode.yaml").write_text("teencode:\n  - {abbr: bw, means: badword}\n",
                                            encoding="utf-8")
    engine = Engine(load_rulesets(tmp_path))
    assert [h.rule_id for h in engine.check("bw").hits] == ["t.ok"]
    assert engine.check("c ơi").hits == ()


def test_a_word_listed_twice_is_refused(tmp_path):
    """"người do thái" was added to a list that held it already, and "óc lợn" stood twice in one
    rule's terms: harmless to the matcher, but one of the two was meant to be another word."""
    _write(tmp_path, GOOD_RULE.replace("terms: [badword]", "terms: [badword, worse, badword]"))
    (problem,) = _problems(tmp_path)
    assert problem == f"{tmp_path / 'rules.yaml'}:2: rule t.ok: 'terms' lists 'badword' twice"


PHRASES = "phrases:\n  reports: [ban giúp, please ban]\n"


def test_a_named_phrase_list_reaches_every_rule_that_names_it(tmp_path):
    """Phrases several rules share are written once: '$reports' in a rule's unless or exceptions
    is the list's phrases, and the engine applies them as if written there."""
    second = GOOD_RULE.replace("t.ok", "t.two").replace("badword", "worseword")
    rules = (GOOD_RULE.replace("    terms: [badword]\n",
                               "    terms: [badword]\n    unless: [news, $reports]\n")
             + second.replace("    terms: [worseword]\n",
                              "    terms: [worseword]\n    exceptions: [$reports]\n"))
    rs = load_rulesets(_write(tmp_path, rules, header=PHRASES))
    by_id = {r.id: r for r in rs.rules}
    assert by_id["t.ok"].unless == ("news", "ban giúp", "please ban")
    assert by_id["t.two"].exceptions == ("ban giúp", "please ban")
    engine = Engine(rs)
    assert [h.rule_id for h in engine.check("a badword here").hits] == ["t.ok"]
    assert engine.check("a badword here, ban giúp").hits == ()
    assert engine.check("a badword here, please ban").hits == ()


def test_a_list_named_that_the_file_lacks_is_refused(tmp_path):
    rules = GOOD_RULE.replace("    terms: [badword]\n", "    terms: [badword]\n    unless: [$report]\n")
    _write(tmp_path, rules, header=PHRASES)
    problems = _problems(tmp_path)
    assert (f"{tmp_path / 'rules.yaml'}:4: rule t.ok: 'unless': no phrase list named '$report' in "
            f"this file's top-level 'phrases:' (it has: $reports)") in problems


def test_a_phrase_got_twice_through_a_list_is_refused(tmp_path):
    """As a phrase written twice in one list: one of the two was meant to be another."""
    rules = GOOD_RULE.replace("    terms: [badword]\n",
                              "    terms: [badword]\n    unless: [ban giúp, $reports]\n")
    _write(tmp_path, rules, header=PHRASES)
    (problem,) = _problems(tmp_path)
    assert problem == (f"{tmp_path / 'rules.yaml'}:4: rule t.ok: 'unless' gets 'ban giúp' twice: "
                       f"from $reports and from the rule itself")


def test_a_list_no_rule_names_is_refused(tmp_path):
    _write(tmp_path, GOOD_RULE, header=PHRASES)
    (problem,) = _problems(tmp_path)
    assert problem == (f"{tmp_path / 'rules.yaml'}:2: phrase list 'reports': no rule's exceptions "
                       f"or unless names $reports")


@pytest.mark.parametrize("header,error", [
    ("phrases: [ban giúp]\n", ":1: 'phrases' must be a mapping of names to lists of phrases"),
    ("phrases:\n  Reports: [ban giúp]\n", ":2: phrase list 'Reports': a name is lower-case"),
    ("phrases:\n  reports: ban giúp\n", ":2: 'phrases.reports' must be a list of non-empty strings"),
    ("phrases:\n  reports: [$other]\n", ":2: phrase list 'reports': '$other' names a list"),
])
def test_a_malformed_phrase_list_is_named_with_its_line(tmp_path, header, error):
    _write(tmp_path, GOOD_RULE, header=header)
    problems = _problems(tmp_path)
    assert any(p.startswith(f"{tmp_path / 'rules.yaml'}{error}") for p in problems), problems


def test_phrase_lists_belong_to_their_file(tmp_path):
    """A list is its file's (its phrases are in that file's language): another file's rule cannot
    name it."""
    _write(tmp_path, GOOD_RULE.replace("    terms: [badword]\n",
                                       "    terms: [badword]\n    unless: [$reports]\n"),
           header=PHRASES)
    (tmp_path / "other.yaml").write_text("rules:" + GOOD_RULE.replace("t.ok", "t.other").replace(
        "    terms: [badword]\n", "    terms: [badword]\n    unless: [$reports]\n"), encoding="utf-8")
    (problem,) = _problems(tmp_path)
    assert problem.startswith(f"{tmp_path / 'other.yaml'}:2: rule t.other: 'unless': no phrase "
                              f"list named '$reports'")
