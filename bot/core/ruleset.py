"""Load and validate rulesets from YAML files, collecting every error with file, line and rule id.

A ruleset directory holds ``clauses.yaml`` (the code-of-conduct clauses rules cite),
``teencode.yaml`` (abbreviations and what they stand for, and the everyday shorthand members
type, by language, which the loader writes into the phrases of every rule in that language) and
any number of rule files, each a mapping with a ``rules:`` list. See docs/ENGINE.md, "Writing a rule", for the fields.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import re2
import yaml

from bot.core.detectors import requires_digit
from bot.core.shorthand import Forms, Shorthand, load_shorthands
from bot.shipped import shipped_dir

CATEGORIES = (
    "hate", "violence", "discrimination", "insult", "obscene", "fake_news", "illegal_ads",
    "undisclosed_ads", "spam", "links", "mentions", "flood", "doxxing",
)
LANGUAGES = ("vi", "en", "other")
RULE_FIELDS = {
    "id", "category", "clause", "severity", "confidence", "folded_confidence", "languages",
    "terms", "folded_terms", "patterns", "exceptions", "unless", "requires", "explain",
    "examples", "detector", "domains", "threshold", "count", "window_seconds",
    "context", "enabled", "masked_terms", "audience", "brands", "confidence_in",
}
AUDIENCES = ("everyone", "new_members")
DETECTORS = ("terms", "links", "lookalike", "mentions", "flood", "duplicate", "model")
# where a context entry looks, and what it may say
CONTEXT_WORDS = ("preceded_by", "not_preceded_by", "followed_by", "not_followed_by")
CLEARING_WORDS = ("not_preceded_by", "not_followed_by")
CONTEXT_FIELDS = {"terms", "folded_terms", "within", "unless_name", "neutral", "marked",
                  "confidence", "folded_confidence", *CONTEXT_WORDS}
TEENCODE_FIELDS = {"abbr", "means", "confidence", "languages", "within", "unless_name", "marked",
                   *CONTEXT_WORDS}
MAX_WITHIN = 5
MAX_PATTERN_LENGTH = 500


class RulesetError(Exception):
    """Every problem found in a ruleset directory, one per line, each with file:line."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True, slots=True)
class Clause:
    id: str
    cite: str  # as a Vietnamese reader reads it ("QĐ 874/QĐ-BTTTT, Điều 4 khoản 6")
    text: dict[str, str]
    cite_en: str = ""  # as an English reader does ("Decision 874/QĐ-BTTTT, Article 4(6)")

    def citation(self, language: str | None) -> str:
        """The citation in the reader's language (Vietnamese unless English is asked for)."""
        return self.cite_en if language == "en" and self.cite_en else self.cite


@dataclass(frozen=True, slots=True)
class Context:
    """Where a term counts: words that must (or must not) stand just before or after it.

    Each list holds phrases; a phrase is satisfied when it ends at most ``within`` words before
    the term (``preceded_by``) or starts at most ``within`` words after it (``followed_by``).
    Every condition given must hold. ``unless_name``: the term does not count written as a name
    (capitalised, not starting a sentence: "a party with Dick"). ``neutral``: where the context
    does not hold, the term is no hit but no everyday word either (a people's name, "người Hoa",
    is no evidence of innocence): the learned stage still reads it. ``marked``: the words that
    make it count count only typed with their marks, where typed plain they are as often other
    words ("mat" is "mặt", "mất" and "mắt"; "do" is "đồ", "đó", "do").
    """

    preceded_by: tuple[str, ...] = ()
    not_preceded_by: tuple[str, ...] = ()
    followed_by: tuple[str, ...] = ()
    not_followed_by: tuple[str, ...] = ()
    within: int = 1
    unless_name: bool = False
    neutral: bool = False
    marked: bool = False


@dataclass(frozen=True, slots=True)
class ContextTerms:
    """Terms of a rule that count only in a context, or with a confidence of their own."""

    terms: tuple[str, ...]
    folded_terms: tuple[str, ...]
    context: Context | None
    where: str
    confidence: float | None = None  # None: the rule's
    folded_confidence: float | None = None


@dataclass(frozen=True, slots=True)
class TeencodeEntry:
    abbr: str
    means: str
    confidence: float
    languages: tuple[str, ...]
    where: str
    context: Context | None = None


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    category: str
    clause: str
    severity: int
    confidence: float
    folded_confidence: float
    languages: tuple[str, ...]
    detector: str
    # the most a hit weighs in a message of a language: English swearing borrowed into
    # Vietnamese chat is slang, as "vãi" is ({vi: 0.45}: to review)
    confidence_in: tuple[tuple[str, float], ...] = ()
    terms: tuple[str, ...] = ()
    folded_terms: tuple[str, ...] = ()
    masked_terms: tuple[str, ...] = ()  # also matched with inner letters masked ("f*ck", "f**k")
    patterns: tuple[str, ...] = ()
    exceptions: tuple[str, ...] = ()
    unless: tuple[str, ...] = ()
    # each group one phrase of which the message must hold: [[stk, số tài khoản], [của nó, ...]]
    requires: tuple[tuple[str, ...], ...] = ()
    domains: tuple[str, ...] = ()
    brands: tuple[str, ...] = ()  # a lookalike rule's brand names ("discord", "vietcombank")
    threshold: int = 0
    count: int = 0
    window_seconds: float = 0.0
    explain: dict[str, str] = field(default_factory=dict)
    examples_match: tuple[str, ...] = ()
    examples_ok: tuple[str, ...] = ()
    where: str = ""  # file:line, for messages about this rule
    term_language: str = ""  # the file's `language:`: what language the terms are written in
    contexts: tuple[ContextTerms, ...] = ()
    enabled: bool = True  # False: off unless a community turns it on (``enabled_rules``)
    # new_members: applied only to a member's first messages (the service turns it on for them);
    # what it finds is removed and reviewed, not punished until a moderator confirms
    audience: str = "everyone"


@dataclass(frozen=True, slots=True)
class Ruleset:
    rules: tuple[Rule, ...]
    clauses: dict[str, Clause]
    teencode: tuple[TeencodeEntry, ...]
    # phrases that report what was said to or of the writer ("chửi mình là", "called me a"): a
    # listed word just after one is quoted, not aimed (a file's top-level ``reported:``)
    reported: tuple[str, ...] = ()
    # words that say someone said something ("nói", "says"): a listed word inside a quotation
    # opened just after one is quoted speech, a film's line or a song's, not the writer's own
    # (a file's top-level ``quoting:``)
    quoting: tuple[str, ...] = ()


def default_path() -> Path:
    """``QUYTAC_RULESETS`` if set, else the ``rulesets/`` folder shipped beside the package."""
    configured = os.environ.get("QUYTAC_RULESETS")
    if configured:
        return Path(configured)
    return shipped_dir("rulesets")


class _Collector:
    def __init__(self) -> None:
        self.problems: list[str] = []

    def add(self, where: str, rule_id: str | None, what: str) -> None:
        who = f" rule {rule_id}:" if rule_id else ""
        self.problems.append(f"{where}:{who} {what}")


def _to_python(node: yaml.Node, scalars: yaml.SafeLoader | None = None) -> Any:
    """Plain Python values from a YAML node, keeping each mapping's line as ``__line__``
    (``scalars``: one constructor for a file's scalars; making one for each cost more than
    reading the file did)."""
    scalars = scalars or yaml.SafeLoader("")
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {"__line__": node.start_mark.line + 1, "__keys__": {}}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in out["__keys__"]:
                out.setdefault("__dupes__", []).append((key, key_node.start_mark.line + 1))
            out["__keys__"][key] = key_node.start_mark.line + 1
            out[key] = _to_python(value_node, scalars)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_to_python(v, scalars) for v in node.value]
    return scalars.construct_object(node, deep=True)


# libyaml where PyYAML was built with it (its wheels are): the same nodes, with their lines,
# several times faster, and every test and start-up reads the rulesets; a file it refuses is
# read again by PyYAML's own parser, whose message names the line the author wrote wrong
_COMPOSER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read_yaml(path: Path, errors: _Collector) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        errors.add(str(path), None, f"cannot read file: {exc}")
        return None
    try:
        try:
            node = yaml.compose(text, Loader=_COMPOSER)
        except yaml.YAMLError:
            node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark else ""
        errors.add(f"{path}{line}", None, f"malformed YAML: {getattr(exc, 'problem', exc)}")
        return None
    return None if node is None else _to_python(node)


def _str_list(value: Any, where: str, rid: str | None, key: str, errors: _Collector) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        errors.add(where, rid, f"'{key}' must be a list of non-empty strings{_yaml_hint(value)}")
        return ()
    seen: set[str] = set()
    for v in value:
        if v in seen:
            # (harmless to the matcher, but one of the two was meant to be another word)
            errors.add(where, rid, f"'{key}' lists {v!r} twice")
        seen.add(v)
    return tuple(value)


# the rule fields that may name one of the file's phrase lists ("$reports")
PHRASE_LIST_FIELDS = ("exceptions", "unless")
_LIST_NAME = re.compile(r"[a-z][a-z0-9_-]*")


class _PhraseLists:
    """A file's named phrase lists (its top-level ``phrases:``), which a rule's ``exceptions`` or
    ``unless`` takes whole by writing ``$name``: phrases several rules share (the requests made
    of moderators that clear a trade's words) are written once, and a phrase added there reaches
    every rule that names the list. YAML's anchors cannot do this: an alias is the whole list,
    with nothing added beside it."""

    def __init__(self) -> None:
        self.lists: dict[str, tuple[str, ...]] = {}
        self.where: dict[str, str] = {}
        self.used: set[str] = set()

    @classmethod
    def load(cls, data: dict, file: Path, errors: _Collector) -> _PhraseLists:
        named = cls()
        raw = data.get("phrases")
        if raw is None:
            return named
        where = f"{file}:{data['__keys__']['phrases']}"
        if not isinstance(raw, dict):
            errors.add(where, None, "'phrases' must be a mapping of names to lists of phrases")
            return named
        for name, value in raw.items():
            if name.startswith("__"):
                continue
            at = f"{file}:{raw['__keys__'].get(name, '?')}"
            if not _LIST_NAME.fullmatch(name):
                errors.add(at, None, f"phrase list {name!r}: a name is lower-case letters, "
                                     f"digits, '-' and '_', starting with a letter")
                continue
            phrases = _str_list(value, at, None, f"phrases.{name}", errors)
            for phrase in phrases:
                if phrase.startswith("$"):
                    errors.add(at, None, f"phrase list {name!r}: {phrase!r} names a list; a "
                                         f"list holds phrases only")
            named.lists[name] = tuple(p for p in phrases if not p.startswith("$"))
            named.where[name] = at
        return named

    def expand(self, items: tuple[str, ...], where: str, rid: str, key: str,
               errors: _Collector) -> tuple[str, ...]:
        """``items`` with each ``$name`` replaced by that list's phrases; a phrase given twice
        this way (beside the list, or in two lists) is refused as one given twice plainly is."""
        out: list[str] = []
        source: dict[str, str] = {p: "" for p in items if not p.startswith("$")}
        for item in items:
            if not item.startswith("$"):
                out.append(item)
                continue
            name = item[1:]
            if name not in self.lists:
                known = ", ".join(f"${n}" for n in sorted(self.lists)) or "none"
                errors.add(where, rid, f"'{key}': no phrase list named {item!r} in this file's "
                                       f"top-level 'phrases:' (it has: {known})")
                continue
            self.used.add(name)
            for phrase in self.lists[name]:
                if phrase in source:
                    also = f"${source[phrase]}" if source[phrase] else "the rule itself"
                    errors.add(where, rid, f"'{key}' gets {phrase!r} twice: from {item} and "
                                           f"from {also}")
                    continue
                source[phrase] = name
                out.append(phrase)
        return tuple(out)

    def check_used(self, errors: _Collector) -> None:
        """A list no rule names was meant for one (a misspelt ``$name`` is refused already)."""
        for name in sorted(set(self.lists) - self.used):
            errors.add(self.where[name], None, f"phrase list {name!r}: no rule's "
                                               f"{' or '.join(PHRASE_LIST_FIELDS)} names ${name}")


def _yaml_hint(value: Any) -> str:
    """Why a list YAML read is not all strings, where YAML's own reading is the cause."""
    items = value if isinstance(value, list) else []
    # a bare yes/no/on/off is true/false: "not_preceded_by: [no]" is [False]
    flags = [v for v in items if isinstance(v, bool)]
    if flags:
        return (f" (got {str(flags[0]).lower()}: YAML reads a bare yes, no, on or off as true or "
                f"false; quote it, \"no\")")
    # "- tin nóng: ..." is a mapping: an item holding ": " must be quoted
    maps = [v for v in items if isinstance(v, dict)]
    if maps:
        # (the loader keeps each mapping's line beside its keys)
        k, v = next(((k, v) for k, v in maps[0].items() if not k.startswith("__")), ("", ""))
        return (f" (got {k}: {v}: YAML reads an item holding \": \" as a mapping; quote it, "
                f"\"{k}: {v}\")")
    return ""


def _number(value: Any, where: str, rid: str, key: str, lo: float, hi: float, errors: _Collector,
            integer: bool = False) -> float:
    ok = isinstance(value, int) if integer else isinstance(value, (int, float))
    if isinstance(value, bool) or not ok or not lo <= value <= hi:
        kind = "an integer" if integer else "a number"
        errors.add(where, rid, f"'{key}' must be {kind} from {lo} to {hi}, got {value!r}")
        return lo
    return value


def _confidence_in(value: Any, where: str, rid: str, errors: _Collector
                   ) -> tuple[tuple[str, float], ...]:
    """``confidence_in``: a language and the most a hit weighs in a message of it."""
    if value is None:
        return ()
    if not isinstance(value, dict):
        errors.add(where, rid, "'confidence_in' must be a mapping of a language to a confidence "
                   "({vi: 0.45})")
        return ()
    out = []
    for lang, conf in value.items():
        if str(lang).startswith("__"):
            continue
        if lang not in LANGUAGES:
            errors.add(where, rid, f"confidence_in: unknown language {lang!r} "
                       f"(one of: {', '.join(LANGUAGES)})")
            continue
        out.append((str(lang), float(_number(conf, where, rid, f"confidence_in.{lang}", 0, 1,
                                             errors))))
    return tuple(out)


def _requires(value: Any, where: str, rid: str, errors: _Collector) -> tuple[tuple[str, ...], ...]:
    """``requires``: phrases one of which must be there, or a list of such lists (one of each)."""
    if value is None:
        return ()
    if isinstance(value, list) and value and all(isinstance(v, list) for v in value):
        groups = tuple(_str_list(v, where, rid, "requires", errors) for v in value)
        return tuple(g for g in groups if g)
    group = _str_list(value, where, rid, "requires", errors)
    return (group,) if group else ()


def check_pattern(pattern: str) -> str | None:
    """Why a pattern cannot be used, or None. Patterns run under RE2: linear time, no hang."""
    if len(pattern) > MAX_PATTERN_LENGTH:
        return f"pattern longer than {MAX_PATTERN_LENGTH} characters"
    try:
        re2.compile(pattern)
    except Exception as exc:  # re2 raises its own error type per binding version
        return f"pattern {pattern!r} is not valid RE2 (no backreferences or lookaround): {exc}"
    # RE2 runs only on messages with a digit while every pattern needs one; a pattern that can
    # match without one makes every message pay for it (measured: a quarter of the engine's time)
    if not requires_digit(pattern):
        return (f"pattern {pattern!r} can match text without a digit: patterns are for numbers "
                "(phones, IDs, accounts, sums), and one that needs no digit would run on every "
                "message; write words as terms, or as terms in a context")
    return None


def _load_context(raw: dict, where: str, rid: str, errors: _Collector,
                  allowed: set[str]) -> Context | None:
    """The context conditions of a mapping (a rule's context entry or a teencode entry)."""
    words = {k: _str_list(raw.get(k), where, rid, k, errors) for k in CONTEXT_WORDS}
    within = raw.get("within", 1)
    if isinstance(within, bool) or not isinstance(within, int) or not 1 <= within <= MAX_WITHIN:
        errors.add(where, rid, f"'within' must be a whole number of words from 1 to {MAX_WITHIN}, "
                               f"got {within!r}")
        within = 1
    unless_name = _flag(raw, "unless_name", where, rid, errors)
    neutral = _flag(raw, "neutral", where, rid, errors)
    marked = _flag(raw, "marked", where, rid, errors)
    if marked and not (words["preceded_by"] or words["followed_by"]):
        errors.add(where, rid, "'marked' holds the words that make a term count to their marks: "
                               "give preceded_by or followed_by")
    if not any(words.values()) and not unless_name:
        if "terms" in allowed and "confidence" not in raw:  # nothing to say: a mistake
            errors.add(where, rid, "a context entry needs at least one of "
                                   f"{', '.join(CONTEXT_WORDS)}, unless_name or confidence")
        return None
    return Context(**words, within=within, unless_name=unless_name, neutral=neutral,
                   marked=marked)


def _flag(raw: dict, key: str, where: str, rid: str, errors: _Collector) -> bool:
    """A context entry's true-or-false option (false when absent)."""
    value = raw.get(key, False)
    if not isinstance(value, bool):
        errors.add(where, rid, f"'{key}' must be true or false, got {value!r}")
        return False
    return value


def _given_twice(mapping: dict, path: Path, rid: str, what: str, errors: _Collector) -> None:
    """A key a mapping gives twice: YAML keeps the last silently, so the first would be lost."""
    for key, line in mapping.get("__dupes__", []):
        errors.add(f"{path}:{line}", rid, f"{what} '{key}' given twice")


def _check_brands(brands: tuple[str, ...], domains: tuple[str, ...], where: str, rid: str,
                  errors: _Collector) -> None:
    """A lookalike rule's brands are names of at least four letters or digits, and its domains
    (the brands' own sites) are given: without them every official link would resemble one."""
    if not brands:
        errors.add(where, rid, "a lookalike rule needs 'brands' (the names its sites use)")
    if not domains:
        errors.add(where, rid, "a lookalike rule needs 'domains' (the brands' own sites)")
    for domain in domains:
        if "/" in domain:
            errors.add(where, rid, f"domain {domain!r}: a lookalike rule's domains are sites, "
                                   "without a path")
    for brand in brands:
        if not (len(brand) >= 4 and brand.isascii() and brand.isalnum() and brand == brand.lower()):
            errors.add(where, rid, f"brand {brand!r}: lowercase letters and digits, at least 4")


def _load_contexts(value: Any, where: str, rid: str, path: Path, unconditional: set[str],
                   errors: _Collector) -> tuple[ContextTerms, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        errors.add(where, rid, "'context' must be a list of entries, each with 'terms' and "
                               "conditions")
        return ()
    out = []
    for entry in value:
        if not isinstance(entry, dict):
            errors.add(where, rid, "each context entry must be a mapping")
            continue
        at = f"{path}:{entry['__line__']}"
        _given_twice(entry, path, rid, "context field", errors)
        for key, line in entry["__keys__"].items():
            if key not in CONTEXT_FIELDS:
                errors.add(f"{path}:{line}", rid, f"unknown context field '{key}' (one of: "
                                                  f"{', '.join(sorted(CONTEXT_FIELDS))})")
        terms = _str_list(entry.get("terms"), at, rid, "context.terms", errors)
        folded = _str_list(entry.get("folded_terms"), at, rid, "context.folded_terms", errors)
        if not terms and not folded:
            errors.add(at, rid, "a context entry needs 'terms' or 'folded_terms'")
        for term in terms + folded:
            if term in unconditional:
                errors.add(at, rid, f"term {term!r} is listed both without and with a context")
        context = _load_context(entry, at, rid, errors, CONTEXT_FIELDS)
        confidence = folded_conf = None
        if "confidence" in entry:
            confidence = float(_number(entry["confidence"], at, rid, "confidence", 0, 1, errors))
            folded_conf = round(confidence * 0.8, 2)
        if "folded_confidence" in entry:
            folded_conf = float(_number(entry["folded_confidence"], at, rid,
                                        "folded_confidence", 0, 1, errors))
        if context is not None or confidence is not None:
            out.append(ContextTerms(terms, folded, context, at, confidence, folded_conf))
    return tuple(out)


def _check_context_examples(rule: Rule, errors: _Collector) -> None:
    """A term that counts only in context needs an example of each reading, so both are tested."""
    from bot.core.normalize import fold, normalize_term  # (normalize imports nothing from here)

    examples = {kind: [fold(normalize_term(x)) for x in texts]
                for kind, texts in (("match", rule.examples_match), ("ok", rule.examples_ok))}
    for entry in rule.contexts:
        if entry.context is None:
            continue  # terms with a confidence of their own: examples of the rule cover them
        terms = entry.terms + entry.folded_terms
        keys = [fold(normalize_term(t.strip("*"))) for t in terms]
        for kind, texts in examples.items():
            if not any(k in x for x in texts for k in keys):
                errors.add(entry.where, rule.id, f"context terms {list(terms)} need an "
                                                 f"examples.{kind} line using one of them")


def _load_rule(raw: Any, path: Path, clauses: dict[str, Clause], errors: _Collector,
               term_language: str, named: _PhraseLists) -> Rule | None:
    if not isinstance(raw, dict):
        errors.add(str(path), None, f"each rule must be a mapping, got {type(raw).__name__}")
        return None
    where = f"{path}:{raw['__line__']}"
    rid = raw.get("id")
    if not isinstance(rid, str) or not rid:
        errors.add(where, None, "rule has no 'id'")
        rid = "?"
    for key, line in raw["__keys__"].items():
        if key not in RULE_FIELDS:
            errors.add(f"{path}:{line}", rid, f"unknown field '{key}'")
    _given_twice(raw, path, rid, "field", errors)
    category = raw.get("category")
    if category not in CATEGORIES:
        errors.add(where, rid, f"unknown category {category!r} (one of: {', '.join(CATEGORIES)})")
    clause = raw.get("clause")
    if clause not in clauses:
        errors.add(where, rid, f"unknown clause {clause!r} (define it in clauses.yaml)")
    detector = raw.get("detector", "terms")
    if detector not in DETECTORS:
        errors.add(where, rid, f"unknown detector {detector!r} (one of: {', '.join(DETECTORS)})")
    severity = int(_number(raw.get("severity"), where, rid, "severity", 1, 10, errors, integer=True))
    confidence = float(_number(raw.get("confidence", 0.9), where, rid, "confidence", 0, 1, errors))
    folded_conf = float(_number(raw.get("folded_confidence", round(confidence * 0.8, 2)), where,
                                rid, "folded_confidence", 0, 1, errors))
    languages = _str_list(raw.get("languages"), where, rid, "languages", errors)
    for lang in languages:
        if lang not in LANGUAGES:
            errors.add(where, rid, f"unknown language {lang!r} (one of: {', '.join(LANGUAGES)})")
    confidence_in = _confidence_in(raw.get("confidence_in"), where, rid, errors)
    rule_fields = {k: _str_list(raw.get(k), where, rid, k, errors) for k in (
        "terms", "folded_terms", "masked_terms", "patterns", "exceptions", "unless", "domains",
        "brands")}
    for key in PHRASE_LIST_FIELDS:
        rule_fields[key] = named.expand(rule_fields[key], where, rid, key, errors)
    requires = _requires(raw.get("requires"), where, rid, errors)
    for pattern in rule_fields["patterns"]:
        problem = check_pattern(pattern)
        if problem:
            errors.add(where, rid, problem)
    contexts = _load_contexts(raw.get("context"), where, rid, path,
                              set(rule_fields["terms"] + rule_fields["folded_terms"]), errors)
    for term in rule_fields["terms"] + rule_fields["folded_terms"] + rule_fields[
            "masked_terms"] + tuple(t for c in contexts for t in c.terms + c.folded_terms):
        if "*" in term.strip("*"):
            errors.add(where, rid, f"term {term!r}: '*' is allowed only at the start or end")
    for term in rule_fields["masked_terms"]:
        if len(term.strip("*")) < 3:
            errors.add(where, rid, f"masked term {term!r}: needs at least three letters")
    if detector == "terms" and not (rule_fields["terms"] or rule_fields["folded_terms"]
                                    or rule_fields["patterns"] or contexts
                                    or rule_fields["masked_terms"]):
        errors.add(where, rid, "a terms rule needs 'terms', 'folded_terms', 'context' or "
                               "'patterns'")
    enabled = raw.get("enabled", True)
    if not isinstance(enabled, bool):
        errors.add(where, rid, f"'enabled' must be true or false, got {enabled!r}")
        enabled = True
    audience = raw.get("audience", "everyone")
    if audience not in AUDIENCES:
        errors.add(where, rid, f"unknown audience {audience!r} (one of: {', '.join(AUDIENCES)})")
        audience = "everyone"
    if detector == "links" and not [d for d in rule_fields["domains"] if not d.startswith("!")]:
        errors.add(where, rid, "a links rule needs 'domains' ('*': any link)")
    elif detector != "links" and any(d.startswith("!") for d in rule_fields["domains"]):
        errors.add(where, rid, "a '!' domain (a site left out) belongs to a 'detector: links' rule")
    if detector == "lookalike":
        _check_brands(rule_fields["brands"], rule_fields["domains"], where, rid, errors)
    elif rule_fields["brands"]:
        errors.add(where, rid, "'brands' belongs to a 'detector: lookalike' rule")
    threshold = count = 0
    window = 0.0
    if detector == "mentions":
        threshold = int(_number(raw.get("threshold"), where, rid, "threshold", 1, 1000, errors, True))
    if detector in ("flood", "duplicate"):
        count = int(_number(raw.get("count"), where, rid, "count", 2, 1000, errors, True))
        window = float(_number(raw.get("window_seconds"), where, rid, "window_seconds", 1, 86400,
                               errors))
    explain = raw.get("explain")
    if not isinstance(explain, dict) or not all(
        isinstance(explain.get(lang), str) and explain[lang].strip() for lang in ("vi", "en")
    ):
        errors.add(where, rid, "'explain' must give a text for both 'vi' and 'en'")
        explain = {}
    examples = raw.get("examples") or {}
    if not isinstance(examples, dict):
        errors.add(where, rid, "'examples' must be a mapping with 'match' and 'ok' lists")
        examples = {}
    _given_twice(examples, path, rid, "examples key", errors)
    if isinstance(explain, dict):
        _given_twice(explain, path, rid, "explain language", errors)
    for key in examples.get("__keys__", {}):
        if key not in ("match", "ok"):
            errors.add(where, rid, f"unknown examples key '{key}' (use 'match' and 'ok')")
    rule = Rule(
        id=rid, category=str(category), clause=str(clause), severity=severity,
        confidence=confidence, folded_confidence=folded_conf, languages=languages,
        confidence_in=confidence_in, detector=str(detector), threshold=threshold, count=count,
        window_seconds=window,
        explain={k: v for k, v in explain.items() if not k.startswith("__")},
        examples_match=_str_list(examples.get("match"), where, rid, "examples.match", errors),
        examples_ok=_str_list(examples.get("ok"), where, rid, "examples.ok", errors),
        where=where, term_language=term_language, contexts=contexts,
        enabled=enabled and audience == "everyone", audience=str(audience),
        requires=requires, **rule_fields,
    )
    _check_context_examples(rule, errors)
    return rule


def _load_clauses(path: Path, errors: _Collector) -> dict[str, Clause]:
    data = _read_yaml(path, errors)
    clauses: dict[str, Clause] = {}
    if data is None:
        return clauses
    if not isinstance(data, dict) or not isinstance(data.get("clauses"), dict):
        errors.add(str(path), None, "expected a mapping with a 'clauses' mapping")
        return clauses
    for cid, body in data["clauses"].items():
        if cid.startswith("__"):
            continue
        line = data["clauses"]["__keys__"].get(cid, "?")
        if not isinstance(body, dict) or not all(
            isinstance(body.get(k), str) for k in ("cite", "vi", "en")
        ) or not isinstance(body.get("cite_en", ""), str):
            errors.add(f"{path}:{line}", None, f"clause {cid!r} needs 'cite', 'vi' and 'en' "
                                               f"texts (and 'cite_en', if given, a text)")
            continue
        unknown = sorted(k for k in body
                         if k not in ("cite", "cite_en", "vi", "en") and not k.startswith("__"))
        if unknown:
            errors.add(f"{path}:{line}", None, f"clause {cid!r}: unknown field {unknown[0]!r}")
            continue
        clauses[cid] = Clause(cid, body["cite"], {"vi": body["vi"], "en": body["en"]},
                              body.get("cite_en", ""))
    return clauses


def _load_teencode(path: Path, errors: _Collector
                   ) -> tuple[list[TeencodeEntry], dict[str, Forms]]:
    data = _read_yaml(path, errors)
    out: list[TeencodeEntry] = []
    if data is None:
        return out, {}
    if not isinstance(data, dict) or not isinstance(data.get("teencode"), list):
        errors.add(str(path), None, "expected a mapping with a 'teencode' list")
        return out, {}
    for key, line in data["__keys__"].items():
        if key not in ("teencode", "shorthand", "clearing_shorthand"):
            errors.add(f"{path}:{line}", None, f"unknown top-level field '{key}' (one of: "
                                               "teencode, shorthand, clearing_shorthand)")
    shorthands = _load_forms(data, path, errors)
    forms = _shorthand_for("vi", shorthands)  # teencode is Vietnamese
    for raw in data["teencode"]:
        where = f"{path}:{raw.get('__line__', '?')}" if isinstance(raw, dict) else str(path)
        if not isinstance(raw, dict) or not all(isinstance(raw.get(k), str) for k in ("abbr", "means")):
            errors.add(where, None, "teencode entry needs 'abbr' and 'means' strings")
            continue
        for key in raw["__keys__"]:
            if key not in TEENCODE_FIELDS:
                errors.add(where, None, f"teencode {raw['abbr']!r}: unknown field '{key}'")
        conf = float(_number(raw.get("confidence", 0.8), where, raw["abbr"], "confidence", 0, 1, errors))
        langs = _str_list(raw.get("languages"), where, raw["abbr"], "languages", errors)
        context = _load_context(raw, where, raw['abbr'], errors, TEENCODE_FIELDS)
        _check_abbr(raw["abbr"], where, errors)
        out.append(TeencodeEntry(raw["abbr"], raw["means"], conf, langs, where,
                                 _shortened_context(context, forms)))
    return out, shorthands


def _load_forms(data: dict, path: Path, errors: _Collector) -> dict[str, Forms]:
    """Each language's short forms: ``shorthand:`` and ``clearing_shorthand:``."""
    def problem(where: str, what: str) -> None:
        errors.add(where, None, what)

    keys = data["__keys__"]
    everywhere = load_shorthands(data.get("shorthand"), str(path), keys.get("shorthand", 1),
                                 LANGUAGES, problem)
    clearing = load_shorthands(data.get("clearing_shorthand"), str(path),
                               keys.get("clearing_shorthand", 1), LANGUAGES, problem,
                               taken=everywhere, key="clearing_shorthand")
    return {language: Forms.of(everywhere.get(language, Shorthand()),
                               clearing.get(language, Shorthand()))
            for language in dict.fromkeys([*everywhere, *clearing])}


def _shorthand_for(language: str, shorthands: dict[str, Forms]) -> Forms:
    """The forms for a file in ``language``; a file in none (``common.yaml``) gets them all."""
    if language:
        return shorthands.get(language, Forms())
    return Forms.union(list(shorthands.values()))


def _shortened_context(context: Context | None, forms: Forms) -> Context | None:
    """A context whose word lists also hold their phrases typed short ("k bán" beside "không
    bán"); the words that clear a hit also with the forms that stand for a word only there."""
    if context is None or not forms.clearing.forms:
        return context
    return replace(context, **{k: (forms.clearing if k in CLEARING_WORDS else forms.counting
                                   ).expand(getattr(context, k)) for k in CONTEXT_WORDS})


def _shortened(rule: Rule, forms: Forms) -> Rule:
    """A rule whose terms, exceptions, ``unless`` phrases and context words also match typed
    short ("go back 2 ur country", "k bán"). A term's variant that the rule already lists
    elsewhere is left where the author put it."""
    shorthand = forms.counting
    if not forms.clearing.forms:
        return rule
    authored = set(rule.terms + rule.folded_terms).union(
        *(c.terms + c.folded_terms for c in rule.contexts))
    # a variant is made once per kind of list: a term both listed as typed and folded is
    # typed short both ways ("mày chết đy" and, plain, "may chet dy")
    made: dict[str, set[str]] = {"terms": set(), "folded": set()}

    def grow(terms: tuple[str, ...], kind: str) -> tuple[str, ...]:
        out = list(terms)
        for term in terms:
            for variant in shorthand.variants(term):
                if variant not in authored and variant not in made[kind]:
                    made[kind].add(variant)
                    out.append(variant)
        return tuple(out)

    terms, folded = grow(rule.terms, "terms"), grow(rule.folded_terms, "folded")
    contexts = tuple(replace(c, terms=grow(c.terms, "terms"),
                             folded_terms=grow(c.folded_terms, "folded"),
                             context=_shortened_context(c.context, forms))
                     for c in rule.contexts)
    return replace(rule, terms=terms, folded_terms=folded,
                   exceptions=forms.clearing.expand(rule.exceptions),
                   unless=forms.clearing.expand(rule.unless), contexts=contexts)


def _check_abbr(abbr: str, where: str, errors: _Collector) -> None:
    """An abbreviation that messages would read as a shorter one is refused: a message's
    repeated letters are squeezed before matching ("linkkkk" is "link"), so "ccc" would match
    every "c" (a member's "chị")."""
    from bot.core.normalize import normalize_term  # (normalize imports nothing from here)

    read = normalize_term(abbr)
    if len(read.replace(" ", "")) < len(abbr.replace(" ", "")):
        errors.add(where, None, f"teencode {abbr!r}: messages are read with repeated letters "
                                f"squeezed, so it would match {read!r}")


def load_rulesets(path: Path | str | None = None) -> Ruleset:
    """Load every ruleset file under ``path``; raise ``RulesetError`` listing all problems."""
    root = Path(path) if path is not None else default_path()
    errors = _Collector()
    if not root.is_dir():
        raise RulesetError([f"{root}: not a ruleset directory"])
    clauses_path = root / "clauses.yaml"
    clauses = _load_clauses(clauses_path, errors) if clauses_path.exists() else {}
    if not clauses_path.exists():
        errors.add(str(clauses_path), None, "missing: rules must cite clauses defined here")
    teencode_path = root / "teencode.yaml"
    teencode, shorthands = (_load_teencode(teencode_path, errors) if teencode_path.exists()
                            else ([], {}))
    rules: list[Rule] = []
    reported: list[str] = []
    quoting: list[str] = []
    seen: dict[str, str] = {}
    for file in sorted(root.glob("*.yaml")):
        if file.name in ("clauses.yaml", "teencode.yaml"):
            continue
        data = _read_yaml(file, errors)
        if data is None:
            continue
        if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
            errors.add(str(file), None, "expected a mapping with a 'rules' list")
            continue
        for key, line in data["__keys__"].items():
            if key not in ("rules", "language", "reported", "quoting", "phrases"):
                errors.add(f"{file}:{line}", None, f"unknown top-level field '{key}'")
        for key, phrases in (("reported", reported), ("quoting", quoting)):
            if key in data:
                where = f"{file}:{data['__keys__'][key]}"
                phrases += _str_list(data[key], where, None, key, errors)
        term_language = data.get("language", "")
        if term_language not in ("", *LANGUAGES):
            errors.add(str(file), None, f"unknown language {term_language!r}")
        named = _PhraseLists.load(data, file, errors)
        forms = _shorthand_for(term_language, shorthands)
        for raw in data["rules"]:
            rule = _load_rule(raw, file, clauses, errors, term_language, named)
            if rule is None:
                continue
            if rule.id in seen:
                errors.add(rule.where, rule.id, f"duplicate id (first defined at {seen[rule.id]})")
                continue
            seen[rule.id] = rule.where
            rules.append(_shortened(rule, forms))
        named.check_used(errors)
    models = [r for r in rules if r.detector == "model"]
    for extra in models[1:]:
        errors.add(extra.where, extra.id, f"a second 'detector: model' rule (the first is "
                                          f"{models[0].id}, at {models[0].where})")
    if errors.problems:
        raise RulesetError(errors.problems)
    return Ruleset(tuple(rules), clauses, tuple(teencode), tuple(reported), tuple(quoting))
