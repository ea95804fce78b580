"""The detection engine: one message in, one verdict out. Pure and synchronous, no I/O.

All term rules (and their exceptions, ``unless`` and ``requires`` phrases, and teencode
abbreviations) compile into one automaton; all regex patterns into one RE2 alternation. The only
state is the flood window, which the caller owns and passes in.
"""

from __future__ import annotations

import zlib
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.core.detectors import (
    Link, PatternSet, count_mentions, domain_matches, find_links, host_suffixes, record, within,
)
from bot.core.context import (
    CompiledContext, follows_a_report, in_a_plain_sentence, in_quoted_speech, opens_a_quotation,
    quoted, saying_words, sentence_of, typed_plain_among_marked,
)
from bot.core.language import detect_language, is_common_word
from bot.core.learned import Overlay
from bot.core.lookalike import NEAR, compile_brands, resembles
from bot.core.matcher import (
    INNOCENT, Spans, TermEntry, TermMatch, TermMatcher, parse_term, squeezed_form,
)
from bot.core.model import Model, logit, sigmoid
from bot.core.normalize import Normalized, fold, has_digit, normalize, normalize_term
from bot.core.ruleset import Rule, Ruleset, load_rulesets
from bot.core.types import ChannelWindow, Hit, Message, ModelNote, Verdict

COMMUNITY_CLAUSE = "community"
REVIEW_FLOOR = 0.4  # (the service's default ``review_floor``)
# The longest text either platform delivers in one message (Telegram: 4,096 characters; Discord:
# 2,000, or 4,000 with Nitro). Only a forged update is longer, and reading past this bound would
# let one forged message stall the bot for as long as its sender likes.
MAX_CHARS = 4096
# Hits listed per rule and message. A case needs the rule and an excerpt; a forged message with
# a thousand insults is one violation, and listing every hit would cost milliseconds.
MAX_HITS_PER_RULE = 8
_CLEAN = Verdict()
_NONE: Any = frozenset()  # stands for an empty set or mapping until one is needed
_NO_GROUPS: dict[int, set[int]] = {}  # (never written: stands for no "requires" phrase found)
_new = tuple.__new__  # a named tuple built without its Python-level constructor


@dataclass(frozen=True, slots=True)
class ExtraTerm:
    """A term a community's admins added, with the category and severity they gave it."""

    term: str
    category: str = "insult"
    severity: int = 2


@dataclass(frozen=True, slots=True)
class CommunityPolicy:
    """Per-community detection settings (stored by the service, passed in here)."""

    disabled_rules: frozenset[str] = frozenset()
    disabled_categories: frozenset[str] = frozenset()
    extra_terms: tuple[ExtraTerm, ...] = ()
    allow_domains: frozenset[str] = frozenset()
    enabled_rules: frozenset[str] = frozenset()  # rules shipped off that this community wants
    learned: Overlay | None = None  # what this community's moderators taught the model
    model_review: float | None = None  # the model's review threshold here (None: the model's)
    model_review_shift: float = 0.0  # log-odds added to that threshold (a new member's: below 0)
    review_floor: float = 0.4  # below it a hit goes nowhere: the model alone never demotes past it
    # the language its members write in (its setting, or what most of them write), if known: a
    # message with no evidence of its own language ("Vcc", "gg ez") is read in it
    language: str | None = None


@dataclass
class _Compiled:
    rules: list[Rule]
    matcher: TermMatcher


def _hit_order(hit: Hit) -> tuple[int, str]:
    return hit.start, hit.rule_id


# a listed word in an @handle ("thanks @shitpostking", "RT @FuckKennyJ") is most often someone's
# name, which a member naming them did not choose; it may also be a swear word with an @ before
# it ("@fuck you"): to review at most, never acted on (a community whose moderators dismiss it
# teaches its model so)
HANDLE_CONFIDENCE = 0.5


HANDLE_LONGEST = 64  # longer than any platform's usernames (Telegram and Discord: 32)


def _in_handle(exact: str, start: int) -> bool:
    """Whether the word at ``start`` of ``exact`` is an @handle ("f@ggot" and "a@b.com" are
    not: the @ must begin a word)."""
    a, first = start, max(0, start - HANDLE_LONGEST)
    while a > first and (exact[a - 1].isalnum() or exact[a - 1] == "_"):
        a -= 1
    return a > 0 and exact[a - 1] == "@" and (
        a == 1 or not (exact[a - 2].isalnum() or exact[a - 2] == "_"))


# a listed phrase typed without marks among words typed with them is most likely other words
# ("bắc cái thang cho bố", not "thằng chó"): it counts only in a message the model finds likely
# too ("cút đi thang cho"), and then to review at most
MIXED_CONFIDENCE = HANDLE_CONFIDENCE
# a listed word at most this many words after a phrase that reports what was said to or of the
# writer ("nó chửi mình là đồ ngu", "I got called a faggot in school") is quoted, not aimed: a
# member telling moderators what they were called is not punished for it, and a moderator still
# sees it (review at most: "bị gọi là thằng ngu cũng đáng" may be aimed at someone). So is a
# word set in quotation marks ('"đm" nghĩa là gì', 'is "bitch" a bad word in English?')
REPORTED_WITHIN = 2
REPORTED_CONFIDENCE = HANDLE_CONFIDENCE
# a link whose registrable name holds a brand inside a longer one ("discord-gift.ru") may be a
# phishing page, and is also how fan sites and tools are named; the brand's own name under a
# domain not listed ("shopee.com.my", "discord.ru") is its sites abroad as often as a copy: both
# to review at most; one letter from the brand's own ("dlscord.com", "steamcommunlty.com") is
# acted on at the rule's confidence
HELD_CONFIDENCE = HANDLE_CONFIDENCE


def _blanked(n: Normalized, spans: list[tuple[int, int]]) -> tuple[str, str]:
    """``n``'s two forms with each span blanked by as many spaces (every position stays)."""
    exact, folded = n.exact, n.folded
    if len(spans) == 1:  # (most often one word: plain slices)
        (start, end), = spans
        gap = " " * (end - start)
        return exact[:start] + gap + exact[end:], folded[:start] + gap + folded[end:]
    pos = 0
    e_parts, f_parts = [], []
    for start, end in sorted(spans):
        if end <= pos:
            continue
        start = max(start, pos)
        e_parts += (exact[pos:start], " " * (end - start))
        f_parts += (folded[pos:start], " " * (end - start))
        pos = end
    e_parts.append(exact[pos:])
    f_parts.append(folded[pos:])
    return "".join(e_parts), "".join(f_parts)


def masked_forms(term: str) -> list[str]:
    """A term with one word's inner letters masked as people mask swear words: each run of
    inner letters by as many asterisks or, for two, by one ("f*ck", "fu*k", "f**k", "f*k").
    The first and last letters stay, or nobody could read the word either."""
    words = term.split(" ")
    out: list[str] = []
    for k, word in enumerate(words):
        for i in range(1, len(word) - 1):
            for j in range(i + 1, len(word)):
                inner = word[i:j]
                if not inner.isalpha():
                    continue
                masks = ["*" * len(inner)] + (["*"] if len(inner) == 2 else [])
                for mask in masks:
                    out.append(" ".join([*words[:k], word[:i] + mask + word[j:], *words[k + 1:]]))
    return out


class _Scratch:
    """Per-check working state, so helpers stay small (built only for messages with a match)."""

    __slots__ = ("n", "language", "usual", "blocked", "cancelled", "present", "hits", "counts",
                 "z", "learned", "innocent", "off", "reported", "aside")

    def __init__(self, n: Normalized, z: float | None = None, learned: float = 0.0,
                 off: frozenset[int] = frozenset(), usual: str | None = None) -> None:
        self.n = n
        self.usual = usual  # the community's language, for a message that tells none of its own
        # rules off here (shipped off and not turned on, or for new members only): they find
        # nothing, so they neither hide the model's own reading nor shape a verdict
        self.off = off
        self.z = z  # the model's log-odds for the whole message, if a model is loaded
        self.learned = learned  # what the community's learned weights add to them
        self.language: str | None = None
        # per rule, its exception phrases' spans: a hit inside one does not count. One
        # bisection per hit, where comparing each hit with each span is quadratic on a forged
        # message.
        self.blocked: dict[int, Spans] = _NONE  # (most messages match no phrase: made if one does)
        self.cancelled: set[int] | frozenset[int] = _NONE  # rules an "unless" phrase switched off
        # per rule with "requires", which of its groups have a phrase here
        self.present: dict[int, set[int]] = _NO_GROUPS
        self.reported: list[int] = _NONE  # where reporting phrases end ("chửi mình là")
        # (rule, start, end) -> (confidence, via); a negative span is already in the original
        # text (patterns, links, whole-message hits) and is never inside a word hit
        self.hits: dict[tuple[int, int, int], tuple[float, str]] = {}
        self.counts: dict[int, int] = {}  # hits kept per rule
        # where the rules read a listed word as an everyday one (its diacritics, its context,
        # the message's language or an exception said so): spans of the normalised text
        self.innocent: list[tuple[int, int]] = []
        # the model's reading of the message without those words, once asked for
        self.aside: tuple[str, str, float, float] | None = None

    def in_context(self, context: CompiledContext, start: int, end: int) -> bool:
        return context.holds(self.n, start, end)

    def full(self, rule: int) -> bool:
        """Count one more hit of ``rule``; True once it has as many as a verdict lists."""
        count = self.counts.get(rule, 0)
        if count >= MAX_HITS_PER_RULE:
            return True
        self.counts[rule] = count + 1
        return False

    def lang(self) -> str:
        if self.language is None:
            # read from the text as normalised: an evasion hides a message's words ("d.i.t m.e
            # may" is six one-letter words, "ｆｕｃｋ" no Latin word at all) and it shows them
            # again; where nothing was hidden it is the text, lowercased
            self.language = detect_language(self.n.exact, usual=self.usual)
        return self.language


# hits whose words the model reads (a flood or a mention count is no matter of wording)
_WORDS_VIA = frozenset(("exact", "folded", "teencode"))
_NOT_TEXT_VIA = frozenset(("flood", "duplicate", "mentions"))


class Engine:
    """Compiled rulesets (and the learned stage's model, if given); ``check`` is the hot path."""

    def __init__(self, ruleset: Ruleset, model: Model | None = None) -> None:
        self.ruleset = ruleset
        self.model = model
        # the model's log-odds of a text's two forms (the C scorer itself, where there is one:
        # this is asked of every message)
        self._logit = model.logit_function() if model is not None else None
        self._lowest = model.lowest_review_logit if model is not None else 0.0
        # where the model may move a word hit (``_adjusts``): below one, at or above the other
        self._implausible = model.implausible_logit if model is not None else 0.0
        self._promote = model.promote_logit if model is not None else 0.0
        self.rules: list[Rule] = list(ruleset.rules)
        self.clauses = ruleset.clauses
        entries = self._term_entries(self.rules, 0)
        base = TermMatcher((e for e in entries if e.via == "term"), MAX_HITS_PER_RULE)
        entries += self._teencode_entries(base)
        reported = (parse_term(t)[0] for t in ruleset.reported)
        entries += [TermEntry(-1, p, True, 1.0, 1.0, "reported", (), False, False)
                    for p in reported if p]
        # words of saying, looked for only before a quotation a hit stands in (they are common
        # words: matched in every message, they would cost every message)
        self._saying = saying_words(ruleset.quoting)
        self._matcher = TermMatcher(entries, MAX_HITS_PER_RULE, innocents=model is not None)
        self._scan = self._matcher.scan_function()
        self.term_count = self._matcher.size
        self._patterns = PatternSet(
            [(i, p) for i, r in enumerate(self.rules) for p in r.patterns]
        )
        # 0: no pattern; 1: any text may match one; 2: only text with a digit may (phone, ID
        # and account numbers): asked here, most chat is spared a call
        self._pattern_gate = (0 if self._patterns.empty else 2 if self._patterns.needs_digit
                              else 1)
        self._link_rules = [i for i, r in enumerate(self.rules) if r.detector == "links"]
        # (rule, its brands, its own sites: a set, looked up by each of a host's parent domains
        # as the link index is, since a forged message may hold hundreds of hosts)
        self._lookalikes = [(i, compile_brands(r.brands),
                             frozenset(d.lower().removeprefix("www.") for d in r.domains))
                            for i, r in enumerate(self.rules) if r.detector == "lookalike"]
        self._link_index: dict[str, list[tuple[int, str]]] = {}  # domain -> (rule, path prefix)
        # rule -> the sites a "!" entry leaves out of it ("!maps.app.goo.gl" under "goo.gl")
        self._link_spared: dict[int, tuple[str, ...]] = {}
        # (host, path, a community's allowed domains) -> the link rules broken, and how sure
        self._rules_for: dict[tuple[str, str, frozenset[str]], list[tuple[int, float]]] = {}
        for i in self._link_rules:
            for entry in self.rules[i].domains:
                if entry.startswith("!"):
                    continue
                host, _, path = entry.lower().partition("/")
                self._link_index.setdefault(host.removeprefix("www."), []).append((i, path))
            spared = tuple(d[1:].lower().removeprefix("www.") for d in self.rules[i].domains
                           if d.startswith("!"))
            if spared:
                self._link_spared[i] = spared
        self._any_links = bool(self._link_index or self._lookalikes)
        self._mention_rules = [i for i, r in enumerate(self.rules) if r.detector == "mentions"]
        self._flood_rules = [i for i, r in enumerate(self.rules) if r.detector in ("flood", "duplicate")]
        self._horizon = max((self.rules[i].window_seconds for i in self._flood_rules), default=0.0)
        # rule -> how many "requires" groups it has
        self._requires = {i: len(r.requires) for i, r in enumerate(self.rules) if r.requires}
        # rule -> language -> the most a hit weighs in a message of it
        self._caps = {i: dict(r.confidence_in) for i, r in enumerate(self.rules) if r.confidence_in}
        self._policies: dict[tuple[ExtraTerm, ...], _Compiled] = {}
        self._by_id = {r.id: r for r in self.rules}
        self._off_for: dict[frozenset[str], frozenset[int]] = {}
        # the rules the service turns on for a new member's first messages
        self.new_member_rules = frozenset(r.id for r in self.rules if r.audience == "new_members")
        # the rule a model's own hits cite (its category, clause and explanation are data)
        self._model_rule = next((i for i, r in enumerate(self.rules) if r.detector == "model"),
                                None)

    @classmethod
    def load(cls, path: Path | str | None = None, model: Model | None = None) -> Engine:
        return cls(load_rulesets(path), model)

    # -- compilation ---------------------------------------------------------------------------

    @staticmethod
    def _term_entries(rules: list[Rule], offset: int) -> list[TermEntry]:
        out: list[TermEntry] = []
        made: set[tuple] = set()  # a form listed twice ("fuck*" and its masked forms') once
        for i, rule in enumerate(rules, start=offset):
            def add(term: str, foldable: bool, via: str,
                    context: CompiledContext | None = None, masked: bool = False,
                    confidence: tuple[float | None, float | None] = (None, None)) -> None:
                exact, open_start, open_end = parse_term(term)
                if not exact:
                    return
                variants = [(exact, False, 0)]
                if " " in exact and via == "term":
                    variants.append((exact.replace(" ", ""), False, 0))  # "địt mẹ" as "địtmẹ"
                for form, _, _ in list(variants):
                    squeezed, at = squeezed_form(form)
                    if squeezed != form:  # "faggggot" squeezes to "fagot"
                        variants.append((squeezed, True, at))
                # a Vietnamese swear word is masked typed plain as often as with its marks
                # ("d*t me may", "đ*t mẹ mày"): its masked forms are read both ways, the word
                # itself as its rule lists it
                masks = masked_forms(exact) if masked else []
                variants += [(form, False, 0) for form in masks]
                fold_masks = rule.term_language == "vi"
                exact_conf = rule.confidence if confidence[0] is None else confidence[0]
                folded_conf = rule.folded_confidence if confidence[1] is None else confidence[1]
                for form, squeeze_only, squeeze_at in variants:
                    foldable_form = foldable or (fold_masks and form in masks)
                    key = (i, form, foldable_form, via, open_start, open_end, squeeze_only,
                           squeeze_at, context, exact_conf)
                    if key in made:
                        continue
                    made.add(key)
                    needs_marks = (rule.term_language == "vi" and via == "term"
                                   and not foldable_form and fold(form) == form)
                    out.append(TermEntry(
                        i, form, foldable_form, exact_conf, folded_conf, via,
                        rule.languages, open_start, open_end, squeeze_only, needs_marks, context,
                        squeeze_at=squeeze_at,
                    ))
            for t in rule.terms:
                if t not in rule.folded_terms:  # listed in both: the folded entry covers it
                    add(t, False, "term")
            for t in rule.folded_terms:
                add(t, True, "term")
            for t in rule.masked_terms:
                add(t, False, "term", masked=True)
            for entry in rule.contexts:
                context = CompiledContext(entry.context) if entry.context is not None else None
                own = (entry.confidence, entry.folded_confidence)
                for t in entry.terms:
                    if t not in entry.folded_terms:
                        add(t, False, "term", context, confidence=own)
                for t in entry.folded_terms:
                    add(t, True, "term", context, confidence=own)
            for kind, phrases in (("exception", rule.exceptions), ("unless", rule.unless)):
                for t in phrases:
                    add(t, True, kind)
            for group, phrases in enumerate(rule.requires):
                for t in phrases:
                    exact, _, _ = parse_term(t)
                    out.append(TermEntry(i, exact, True, 1.0, 1.0, "requires", (), False, False,
                                         group=group))
        return out

    def _teencode_entries(self, base: TermMatcher) -> list[TermEntry]:
        """An abbreviation stands for every rule its expansion breaks ("dm" -> "địt mẹ")."""
        out: list[TermEntry] = []
        for tc in self.ruleset.teencode:
            means = normalize(tc.means)
            abbr = normalize_term(tc.abbr)
            found = base.scan(means)
            longest = max((m.end - m.start for m in found), default=0)
            for m in found:
                if m.end - m.start < longest:
                    continue  # "dm" is "địt mẹ" (an insult), not also "địt" on its own
                conf = min(tc.confidence, m.confidence)
                context = CompiledContext(tc.context) if tc.context is not None else None
                # abbreviations are matched as written: "dm" and "đm" are separate entries
                out.append(TermEntry(
                    m.entry.rule, abbr, False, conf, conf, "teencode",
                    tc.languages, False, False, context=context,
                ))
        return out

    def _compiled(self, policy: CommunityPolicy) -> _Compiled:
        got = self._policies.get(policy.extra_terms)
        if got is None:
            extra = [
                Rule(
                    id=f"community.{t.category}.{k}", category=t.category, clause=COMMUNITY_CLAUSE,
                    severity=t.severity, confidence=0.9, folded_confidence=0.7, languages=(),
                    detector="terms", folded_terms=(t.term,),
                    explain={"vi": "Từ ngữ bị quản trị viên cộng đồng này cấm.",
                             "en": "A word this community's admins have banned."},
                )
                for k, t in enumerate(policy.extra_terms, start=1)
            ]
            got = _Compiled(extra, TermMatcher(self._term_entries(extra, len(self.rules)),
                                               MAX_HITS_PER_RULE, self.model is not None))
            if len(self._policies) > 10_000:  # one entry per community; bound it anyway
                self._policies.clear()
            self._policies[policy.extra_terms] = got
        return got

    # -- checking ------------------------------------------------------------------------------

    def rule(self, rule_id: str) -> Rule:
        return self._by_id[rule_id]

    def check_example(self, rule_id: str, text: str) -> Verdict:
        """``text`` checked as one of ``rule_id``'s examples: a rule shipped off is on for it."""
        if self._by_id[rule_id].enabled:
            return self.check(text)
        return self.check(text, CommunityPolicy(enabled_rules=frozenset({rule_id})))

    def check(
        self,
        message: Message | str,
        policy: CommunityPolicy | None = None,
        window: ChannelWindow | None = None,
        *,
        note: bool = False,
    ) -> Verdict:
        """Which rules ``message`` breaks. Never raises on any text.

        ``note``: say what the model read even of a clean message (for a moderator's decision
        on a message no rule flagged, which teaches the community's model)."""
        msg = message if isinstance(message, Message) else None
        n = normalize((msg.text if msg is not None else message)[:MAX_CHARS])
        z: float | None = None
        learned = 0.0
        # whether the model's reading may matter: its score could send the message to review,
        # or a note is asked for (only then are the words the rules read as everyday ones,
        # which the model reads without, looked for)
        reads = False
        if self.model is not None:
            overlay = policy.learned if policy is not None else None
            if overlay:
                z, learned = self.model.logits(n, overlay)
            else:
                z = self._logit(n.exact, n.folded)
            reads = note or z + learned >= (self._lowest if policy is None
                                            else self._lowest_review_logit(policy))
        rules = self.rules
        matches = self._scan(n, reads)
        if policy is not None and policy.extra_terms:
            compiled = self._compiled(policy)
            rules = self.rules + compiled.rules
            matches += compiled.matcher.scan(n, reads)
        plain = n.plain
        gate = self._pattern_gate
        found = self._patterns.scan(plain) if gate == 1 or (gate and has_digit(plain)) else ()
        links = find_links(plain) if self._any_links and "." in plain else ()  # (a link has a dot)
        flood = window is not None and msg is not None and bool(msg.author_id and self._flood_rules)
        mentions = self._mention_rules and ("@" in plain or (msg is not None and msg.mention_count))
        if not (found or links or flood or mentions or note):
            if not reads:
                if not matches:
                    return _CLEAN  # the common case: nothing to look at more closely
                for m in matches:
                    if not m.entry.phrase and m.via is not INNOCENT:
                        break
                else:
                    return _CLEAN  # only phrases ("điện thoại") and words read as everyday ones
            elif matches and self._only_everyday(n, matches, policy):
                return _CLEAN
        s = _Scratch(n, z, learned, self._off(policy),
                     policy.language if policy is not None else None)
        if matches:
            for m in matches:
                if m.entry.phrase:
                    self._phrases(matches, s)
                    break
            self._term_hits(matches, s, policy)
        if found:
            self._pattern_hits(found, s)
        if links:
            self._links(links, s, policy)
        if mentions:
            count = count_mentions(n.plain, msg.mention_count if msg is not None else 0)
            for i in self._mention_rules:
                if count >= self.rules[i].threshold and i not in s.off:
                    s.hits[(i, -1, -len(n.original) - 1)] = (self.rules[i].confidence, "mentions")
        if flood:
            assert msg is not None and window is not None
            self._flood(msg, s, window)
        return self._verdict(s, rules, policy, note)

    def _only_everyday(self, n: Normalized, matches: list[TermMatch],
                       policy: CommunityPolicy | None) -> bool:
        """Whether a message the model would send to review holds only listed words the
        rules read as everyday ones ("dm me the link") and phrases, and the model, reading it
        without those words, would not: most such chat ends here, without the careful path."""
        spans = []
        for m in matches:
            if m.via is INNOCENT or m.via == "exception":
                spans.append((m.start, m.end))
            elif not m.entry.phrase:
                return False
        if not spans:
            return False
        assert self.model is not None
        exact, folded = _blanked(n, spans)
        z, learned = self.model.logits_set_aside(exact, folded, n.folded,
                                                 policy.learned if policy else None)
        return z + learned < self._lowest_review_logit(policy)

    def _lowest_review_logit(self, policy: CommunityPolicy | None) -> float:
        """Log-odds below which the model alone sends no message to review, in any language."""
        if policy is None or policy.model_review is None:
            return self._lowest + (policy.model_review_shift if policy else 0.0)
        return logit(policy.model_review) + policy.model_review_shift

    def _review_logit(self, policy: CommunityPolicy | None, s: _Scratch) -> float:
        """The log-odds from which the model alone sends this message to review."""
        assert self.model is not None
        if policy is None or policy.model_review is None:
            return self.model.review_logit_for(s.lang()) + (
                policy.model_review_shift if policy else 0.0)
        return logit(policy.model_review) + policy.model_review_shift

    @staticmethod
    def _phrases(matches: list[TermMatch], s: _Scratch) -> None:
        blocked: defaultdict[int, Spans] = defaultdict(Spans)
        present: defaultdict[int, set[int]] = defaultdict(set)
        s.blocked, s.cancelled, s.present, s.reported = blocked, set(), present, []
        required = None
        for m in matches:
            via = m.entry.via
            if via == "exception":
                blocked[m.entry.rule].add(m.start, m.end)
                # a phrase the rules call everyday ("điên mất", "con chó nhà") is no evidence
                # for the model either, typed with marks or without, whether or not a listed
                # word in it was typed so that the rules would have read it
                s.innocent.append((m.start, m.end))
            elif via == "unless":
                s.cancelled.add(m.entry.rule)
            elif via == "requires":
                if required is None:
                    required = []
                required.append(m)
            elif via == "reported":
                s.reported.append(m.end)
        for m in required or ():
            rule = m.entry.rule
            # an exception phrase reads the words as another phrase, as it reads a term: typed
            # plain, "thang nay" is as often "tháng này" (this month) as "thằng này"
            if rule not in blocked or not blocked[rule].inside(m.start, m.end):
                present[rule].add(m.entry.group)

    def _lacks(self, rule: int, s: _Scratch) -> bool:
        """Whether ``rule`` needs a "requires" phrase of a group the message does not hold."""
        return rule in self._requires and len(s.present.get(rule, ())) < self._requires[rule]

    def _off(self, policy: CommunityPolicy | None) -> frozenset[int]:
        """The rules off under ``policy``: shipped off (or for new members) and not turned on."""
        wanted = policy.enabled_rules if policy is not None else frozenset()
        off = self._off_for.get(wanted)
        if off is None:
            if len(self._off_for) >= 1000:
                self._off_for.clear()
            off = self._off_for[wanted] = frozenset(
                i for i, r in enumerate(self.rules) if not r.enabled and r.id not in wanted)
        return off

    def _allowed(self, rule: int, s: _Scratch, languages: tuple[str, ...]) -> bool:
        if rule in s.off or rule in s.cancelled or self._lacks(rule, s):
            return False
        return not languages or s.lang() in languages

    def _term_hits(self, matches: list[TermMatch], s: _Scratch,
                   policy: CommunityPolicy | None) -> None:
        hits, counts, blocked, cancelled, off = s.hits, s.counts, s.blocked, s.cancelled, s.off
        requires = self._requires
        handles = "@" in s.n.exact
        speech = bool(self._saying) and opens_a_quotation(s.n.exact)
        mixed: list[tuple[tuple[int, int, int], float, str]] | None = None
        for entry, start, end, via, confidence in matches:
            if entry.phrase:
                continue
            if via is INNOCENT:
                s.innocent.append((start, end))
                continue
            rule = entry.rule
            key = (rule, start, end)
            known = hits.get(key)
            if known is None and counts.get(rule, 0) >= MAX_HITS_PER_RULE:
                continue  # listed enough of this rule already
            if rule in blocked and blocked[rule].inside(start, end):
                s.innocent.append((start, end))  # "hạt óc chó": an exception phrase reads it
                continue
            # (what _allowed says, written out: this runs for every term match)
            if rule in off:
                continue
            if rule in cancelled:
                if entry.context is None or not entry.context.neutral:
                    s.innocent.append((start, end))
                continue
            if rule in requires and self._lacks(rule, s):
                continue
            if entry.languages and s.lang() not in entry.languages:
                s.innocent.append((start, end))  # "dm me the link", "lol vui quá"
                continue
            if entry.squeeze_only and self._drawn_out_word(entry, s, start, end):
                s.innocent.append((start, end))  # "cooon ơi": "con", not "coon"
                continue
            if entry.needs_marks and in_a_plain_sentence(s.n.exact, start, end):
                s.innocent.append((start, end))  # read as its sentence is typed: "di ngu. Người"
                continue
            if entry.context is not None and not s.in_context(entry.context, start, end):
                # "con bò đỏ ngoài đồng"; a people's name out of its context ("người Hoa ở Chợ
                # Lớn") is no everyday word: the model reads it
                if not entry.context.neutral:
                    s.innocent.append((start, end))
                continue
            if handles and confidence > HANDLE_CONFIDENCE and _in_handle(s.n.exact, start):
                confidence = HANDLE_CONFIDENCE
            if confidence > REPORTED_CONFIDENCE and (quoted(s.n.exact, start, end) or (
                    s.reported and follows_a_report(s.n.exact, s.reported, start,
                                                    REPORTED_WITHIN)) or (
                    speech and in_quoted_speech(s.n.exact, start, end, self._saying))):
                confidence = REPORTED_CONFIDENCE
            if via == "folded" and typed_plain_among_marked(s.n.exact, start, end, entry.exact):
                # decided once every word the rules read as everyday is known (the model reads
                # the message without them: "mất mặt cho bố mẹ" without "bố mẹ"); the model
                # reads the phrase's own words as typed
                if mixed is None:
                    mixed = []
                mixed.append((key, min(confidence, MIXED_CONFIDENCE), via))
                continue
            if known is None:
                counts[rule] = counts.get(rule, 0) + 1
                hits[key] = (confidence, via)
            elif known[0] < confidence:
                hits[key] = (confidence, via)
        if mixed and self._likely(s, policy):
            for key, confidence, via in mixed:
                known = hits.get(key)
                if known is None and counts.get(key[0], 0) < MAX_HITS_PER_RULE:
                    counts[key[0]] = counts.get(key[0], 0) + 1
                    hits[key] = (confidence, via)
                elif known is not None and known[0] < confidence:
                    hits[key] = (confidence, via)

    def _drawn_out_word(self, entry: TermEntry, s: _Scratch, start: int, end: int) -> bool:
        """Whether a term read from a drawn-out word (a squeezed run: "cooon" read as "coon")
        is, so squeezed, a frequent word of its sentence's language where the term is of
        another: Vietnamese draws out its words too ("cooon ơi về ăn cơm" calls a child, in a
        message in both languages too)."""
        if entry.rule >= len(self.rules):
            return False  # (a community's own term: in no one language)
        term_language = self.rules[entry.rule].term_language
        if not term_language:
            return False
        language = detect_language(sentence_of(s.n.exact, start, end))
        return language != term_language and is_common_word(entry.exact, language)

    def _likely(self, s: _Scratch, policy: CommunityPolicy | None) -> bool:
        """Whether the model reads the message as a violation, read without the words the rules
        read as everyday ones, as its own hit is."""
        if s.z is None:
            return False
        z, learned = self._read_aside(s, policy)[2:] if s.innocent else (s.z, s.learned)
        return z + learned >= self._review_logit(policy, s)

    def _read_aside(self, s: _Scratch, policy: CommunityPolicy | None
                    ) -> tuple[str, str, float, float]:
        """The message as the model reads it without the words the rules read as everyday ones:
        its two forms, its log-odds and the community's (worked out once a message)."""
        if s.aside is None:
            assert self.model is not None
            exact, folded = self._without(s)
            overlay = policy.learned if policy is not None else None
            s.aside = (exact, folded, *self.model.logits_set_aside(exact, folded, s.n.folded,
                                                                     overlay))
        return s.aside

    def _pattern_hits(self, found: list[tuple[int, int, int]], s: _Scratch) -> None:
        for rule, start, end in found:
            r = self.rules[rule]
            if not self._allowed(rule, s, r.languages) or s.full(rule):
                continue
            a, b = s.n.plain_span(start, end)
            s.hits[(rule, -a - 1, -b - 1)] = (r.confidence, "pattern")  # negative: original span

    def _links(self, links: list[Link], s: _Scratch, policy: CommunityPolicy | None) -> None:
        allowed = policy.allow_domains if policy else frozenset()
        # a raid posts the same few links hundreds of times, and so may one forged message:
        # each is looked up once
        rules_for = self._rules_for
        for link in links:
            key = (link.host, link.path, allowed)
            found = rules_for.get(key)
            if found is None:
                if len(rules_for) >= 10_000:
                    rules_for.clear()
                found = rules_for[key] = self._rules_for_link(link, allowed)
            for i, confidence in found:
                if self._allowed(i, s, self.rules[i].languages) and not s.full(i):
                    a, b = s.n.plain_span(link.start, link.end)
                    s.hits[(i, -a - 1, -b - 1)] = (confidence, "link")

    def _rules_for_link(self, link: Link, allowed: frozenset[str]) -> list[tuple[int, float]]:
        """The link rules ``link`` breaks and the confidence of each, unless the community
        allows its domain."""
        if allowed and any(domain_matches(link, d) for d in allowed):
            return []
        path = link.path.lstrip("/")
        rules = self.rules
        # ("*": a rule about any link, such as a new member's)
        suffixes = host_suffixes(link.host)
        spared = self._link_spared
        found = [(i, rules[i].confidence) for suffix in [*suffixes, "*"]
                 for i, prefix in self._link_index.get(suffix, ()) if path.startswith(prefix)
                 and not any(domain_matches(link, d) for d in spared.get(i, ()))]
        for i, brands, own in self._lookalikes:
            r = rules[i]
            if any(suffix in own for suffix in suffixes):
                continue
            kind = resembles(link.host, brands)
            if kind is not None:
                # a longer name holding the brand is also how fan sites and tools are named,
                # and the brand's own name elsewhere how its sites abroad are
                found.append((i, r.confidence if kind == NEAR
                              else min(r.confidence, HELD_CONFIDENCE)))
        return found

    @property
    def flood_horizon(self) -> float:
        """The longest window any flood or duplicate rule looks back over, in seconds."""
        return self._horizon

    def digest(self, text: str) -> int:
        """What the duplicate rule compares: a hash of the normalised text, never the text."""
        return self._digest(normalize(text))

    @staticmethod
    def _digest(n: Normalized) -> int:
        return zlib.crc32(n.folded.encode("utf-8", "surrogatepass"))

    def _flood(self, msg: Message, s: _Scratch, window: ChannelWindow) -> None:
        digest = self._digest(s.n)
        now = msg.timestamp
        record(window, msg.author_id, msg.channel_id, now, digest, self._horizon)
        for i in self._flood_rules:
            r = self.rules[i]
            same = digest if r.detector == "duplicate" else None
            if within(window, msg.author_id, msg.channel_id, now, r.window_seconds, same) >= r.count:
                s.hits[(i, -1, -len(s.n.original) - 1)] = (r.confidence, r.detector)

    def _verdict(self, s: _Scratch, rules: list[Rule], policy: CommunityPolicy | None,
                 wanted: bool = False) -> Verdict:
        read: tuple[str, str, float, float] | None = None
        if s.z is not None:
            read = self._model_hit(s, policy, wanted)
        if not s.hits:
            if wanted and read is not None:
                return Verdict((), s.language, self._note(s, read))
            return _CLEAN  # (what the model read goes unsaid: nothing is flagged)
        note = self._note(s, read) if read is not None else None
        n = s.n
        out: list[Hit] = []
        changed: list[tuple[str, float, float]] = []
        floor = policy.review_floor if policy is not None else REVIEW_FLOOR
        # (most flagged messages the model leaves as they are: no hit to look at again)
        adjust = note is not None and self._adjusts(s)
        caps = self._caps
        for (i, start, end), (conf, via) in self._longest(s.hits).items():
            r = rules[i]
            if i in caps:
                conf = min(conf, caps[i].get(s.lang(), conf))
            if policy is not None and (
                r.id in policy.disabled_rules or r.category in policy.disabled_categories
            ):
                continue
            if not r.enabled and (policy is None or r.id not in policy.enabled_rules):
                continue
            if start < 0:
                a, b = -start - 1, -end - 1
            else:
                a, b = n.span(start, end)
            rounded = round(conf, 3)
            if adjust and via != "model":
                before, rounded = rounded, round(self._adjusted(conf, via, r.category, s,
                                                                floor), 3)
                if rounded != before:
                    changed.append((r.id, before, rounded))
            out.append(_new(Hit, (r.id, r.category, r.clause, r.severity, a, b,
                                  n.original[a:b], rounded, via)))
        if len(out) > 1:
            out.sort(key=_hit_order)
        if changed and note is not None:
            note = note._replace(changed=tuple(changed))
        # a verdict with hits says the language (the member's explanation is written in it)
        return Verdict(tuple(out), s.lang() if out else s.language, note)

    def _model_hit(self, s: _Scratch, policy: CommunityPolicy | None, wanted: bool
                   ) -> tuple[str, str, float, float]:
        """What the model reads of the message (its two forms, its log-odds and the
        community's), and its own hit where the score reaches review."""
        assert s.z is not None and self.model is not None
        exact, folded = s.n.exact, s.n.folded
        z_read, learned = s.z, s.learned
        lowest = self._lowest_review_logit(policy)
        if not wanted and z_read + learned < lowest:
            return exact, folded, z_read, learned  # (most messages: nothing to read again)
        floor = policy.review_floor if policy is not None else REVIEW_FLOOR
        # the model's own hit is for a message the rules leave below the review floor
        open_ = not s.hits or max(conf for conf, _ in s.hits.values()) < floor
        if s.innocent and (wanted or (open_ and s.z + s.learned >= lowest)):
            # the model sees "dm" and "dm", "ngu" and "ngu" ("ngủ"), as the same letters; where
            # the rules read such a word as the everyday one, the model reads the message
            # without it
            # (asked only where its score could send the message to review, or is asked for)
            exact, folded, z_read, learned = self._read_aside(s, policy)
        z = z_read + learned
        if (open_ and z >= lowest and self._model_rule is not None
                and self.model.count_words(s.n.folded) >= self.model.thresholds.min_words
                and z >= self._review_logit(policy, s)):
            # (the whole message: the model reads all of it, not a span)
            s.hits[(self._model_rule, -1, -len(s.n.original) - 1)] = (sigmoid(z), "model")
        return exact, folded, z_read, learned

    def _note(self, s: _Scratch, read: tuple[str, str, float, float]) -> ModelNote:
        exact, folded, z, learned = read
        set_aside = self._set_aside(s) if exact is not s.n.exact else ()
        return _new(ModelNote, (z, learned, (), set_aside, (exact, folded)))

    @staticmethod
    def _without(s: _Scratch) -> tuple[str, str]:
        """The message's two normalised forms with the words the rules read as everyday ones
        blanked out."""
        return _blanked(s.n, s.innocent)

    @staticmethod
    def _set_aside(s: _Scratch) -> tuple[str, ...]:
        """The words the rules read as everyday ones, as typed."""
        words = []
        for start, end in sorted(set(s.innocent)):
            a, b = s.n.span(start, end)
            words.append(s.n.original[a:b])
        return tuple(dict.fromkeys(words))

    def _adjusts(self, s: _Scratch) -> bool:
        """Whether the model may change a hit's confidence in this message."""
        return bool(s.learned) or s.z < self._implausible or s.z >= self._promote  # type: ignore

    def _adjusted(self, confidence: float, via: str, category: str, s: _Scratch,
                  floor: float) -> float:
        """A hit's confidence once the model has read the message: a word hit it finds
        implausible loses some, but the shipped model alone never takes it below the review
        floor (a likely collision goes to a moderator, not away); a word hit below the floor
        in a message the model finds likely goes to review (never further: the model alone
        punishes nobody); the community's learned weights, its moderators' own decisions, move
        every hit about the text, either way. The shipped model judges only the categories its
        data labelled (a model that never saw a scam ad knows nothing of one)."""
        assert self.model is not None and s.z is not None
        if via in _WORDS_VIA and category in self.model.covers:
            demotion = self.model.demotion(s.z)
            if demotion:
                confidence = max(sigmoid(logit(confidence) - demotion), min(confidence, floor))
            elif confidence < floor and s.z >= self.model.promote_logit:
                confidence = floor
        if s.learned and via not in _NOT_TEXT_VIA:
            confidence = sigmoid(logit(confidence) + s.learned)
        return confidence

    @staticmethod
    def _longest(hits: dict[tuple[int, int, int], tuple[float, str]]) -> dict:
        """Drop word hits inside a longer word hit: "địt mẹ mày" is one insult, not three.

        One sweep over the spans sorted by start (longest first): a span is inside a longer one
        exactly when an earlier, different span reaches at least as far. A hostile message holds
        thousands of hits, so comparing every pair is not an option.
        """
        if len(hits) < 2:
            return hits
        # (start, -end): sorted by start, longest first, with no key function
        spans = {(k[1], -k[2]) for k in hits if k[1] >= 0}
        if len(spans) < 2:
            return hits
        inner = set()
        reach = -1
        for start, minus_end in sorted(spans):
            if reach >= -minus_end:
                inner.add((start, -minus_end))
            else:
                reach = -minus_end
        if not inner:
            return hits
        return {k: v for k, v in hits.items() if (k[1], k[2]) not in inner}

    # -- explaining ----------------------------------------------------------------------------

    def explain(self, hit: Hit, language: str | None) -> str:
        """What a member reads: why, in their language, with the clause it enforces."""
        return self.explain_rule(hit.rule_id, hit.clause, language)

    def explain_rule(self, rule_id: str, clause_id: str, language: str | None) -> str:
        lang = "vi" if language == "vi" else "en"
        try:
            text = self.rule(rule_id).explain.get(lang, "")
        except KeyError:
            text = ""
        clause = self.clauses.get(clause_id)
        cite = clause.citation(lang) if clause else clause_id
        return f"{text} ({cite})" if text else cite

    def expand_teencode(self, text: str) -> str:
        """The text with teencode abbreviations spelled out, for display in ``quytac check``."""
        table = {normalize_term(t.abbr): t.means for t in self.ruleset.teencode}
        return " ".join(table.get(w, w) for w in text.split())
