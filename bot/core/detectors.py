"""Detectors beyond words: regex patterns (RE2, linear time), links, mass mentions, floods.

Each takes the normalised text (and, for floods, the caller's window) and returns raw spans;
the engine turns them into hits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import re2

from bot.core.normalize import has_digit
from bot.core.runs import runs_around
from bot.core.types import ChannelWindow, RecentMessage

# The lookbehinds pin each attempt to the start of a host name: without them every letter, and
# every label after a dot, starts a scan to the end of the dotted run, which is quadratic
# ("x.y.x.y..." of 4,000 characters took 0.4 s).
_URL = re.compile(
    r"(?<![a-z0-9-])(?<![a-z0-9]\.)(?:https?://)?((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24})(/[^\s<>\"']*)?",
    re.IGNORECASE,
)
_URL_HINT = re.compile(r"[a-z0-9]\.[a-z]", re.IGNORECASE)
_DOT_LETTER = re.compile(r"\.[a-z]", re.IGNORECASE)  # starts with a literal: a fast scan
_NO_SPACE = re.compile(r"\S*")
_SHORT = 40  # characters: a text this short is searched whole, faster than finding its words
_MENTION = re.compile(r"(?<![\w@])@[\w.]{2,}")
_UNICODE_CLASS = re.compile(r"\\[pP](?:\{[^}]*\}|[A-Za-z])")


@dataclass(frozen=True, slots=True)
class Link:
    start: int
    end: int
    host: str
    path: str


def find_links(plain: str) -> list[Link]:
    """Every URL-looking span in ``plain``, scheme optional (``bit.ly/x`` counts).

    A URL holds no white space, so only the words around a dot between letters are searched:
    searching the whole text tried the lookbehinds at every position of a long message.
    """
    if "." not in plain or not _DOT_LETTER.search(plain):
        return []
    if len(plain) <= _SHORT:
        return [_link(m) for m in _URL.finditer(plain)] if _URL_HINT.search(plain) else []
    out: list[Link] = []
    for start, end in runs_around(plain, _URL_HINT, _NO_SPACE):
        out += map(_link, _URL.finditer(plain, start, end))
    return out


def _link(m: re.Match[str]) -> Link:
    return Link(m.start(), m.end(), m.group(1).lower().removeprefix("www."), m.group(2) or "")


def host_suffixes(host: str) -> list[str]:
    """``a.b.example.com`` -> the host and each parent domain down to ``example.com``."""
    parts = host.split(".")
    return [".".join(parts[k:]) for k in range(len(parts) - 1)]


def domain_matches(link: Link, entry: str) -> bool:
    """``entry`` is ``example.com`` (any subdomain) or ``t.me/+`` (host and path prefix)."""
    host, _, path = entry.partition("/")
    if link.host != host and not link.host.endswith("." + host):
        return False
    return not path or link.path.lstrip("/").startswith(path)


def requires_digit(pattern: str) -> bool:
    """Whether every match of ``pattern`` must contain a digit (so digit-free text can skip it).

    Read off Python's parse of the pattern (RE2 syntax used by rules is a subset of it for this
    purpose); any doubt answers False, which only costs speed.
    """
    try:
        from re import _parser as parser  # type: ignore[attr-defined]
    except ImportError:  # pragma: no cover - Python < 3.11
        import sre_parse as parser  # type: ignore[no-redef]
    # RE2's Unicode classes (\pL, \p{Greek}) are no digit; Python's parser knows no \p
    pattern = _UNICODE_CLASS.sub("a", pattern)
    try:
        tree = parser.parse(pattern)
    except Exception:
        return False
    return _seq_requires_digit(list(tree))


def _item_requires_digit(op: object, av: object) -> bool:
    name = str(op)
    if name == "LITERAL":
        return "0" <= chr(av) <= "9"  # type: ignore[arg-type]  (RE2's digits are ASCII)
    if name == "IN":
        return all(
            (str(o) == "CATEGORY" and str(a) == "CATEGORY_DIGIT")
            or (str(o) == "LITERAL" and "0" <= chr(a) <= "9")
            or (str(o) == "RANGE" and "0" <= chr(a[0]) <= chr(a[1]) <= "9")
            for o, a in av  # type: ignore[union-attr]
        )
    if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
        lo, _, body = av  # type: ignore[misc]
        return lo >= 1 and _seq_requires_digit(list(body))
    if name == "SUBPATTERN":
        return _seq_requires_digit(list(av[-1]))  # type: ignore[index]
    if name == "BRANCH":
        return all(_seq_requires_digit(list(b)) for b in av[1])  # type: ignore[index]
    return False


def _seq_requires_digit(items: list) -> bool:
    return any(_item_requires_digit(op, av) for op, av in items)


class PatternSet:
    """Every pattern of every rule in one RE2 alternation, matched once per message.

    Rules that share a pattern share its group, so a match counts for each of them (a rule a
    community turns on may repeat another's pattern under other conditions).
    """

    def __init__(self, patterns: list[tuple[int, str]]) -> None:
        by_pattern: dict[str, list[int]] = {}
        for rule, p in patterns:
            by_pattern.setdefault(p, []).append(rule)
        self._rules = list(by_pattern.values())  # per distinct pattern, the rules it serves
        self._regex = None
        # calling RE2 costs microseconds even on a miss: skip it on text without a digit when
        # every pattern needs one (phone, ID and account numbers do). RE2's \\d is [0-9], and
        # so is what ``has_digit`` looks for, in C (Python's re takes half a microsecond)
        # (the engine asks both before calling ``scan`` at all: a call saved on most messages)
        self.needs_digit = bool(patterns) and all(requires_digit(p) for p in by_pattern)
        self.empty = not patterns
        if patterns:
            body = "|".join(f"({p})" for p in by_pattern)
            self._regex = re2.compile(body)
            # group numbers of each pattern's outer group (patterns may hold groups of their own)
            self._groups: list[int] = []
            group = 1
            for p in by_pattern:
                self._groups.append(group)
                group += 1 + re2.compile(p).groups

    def scan(self, plain: str, limit: int = 64) -> list[tuple[int, int, int]]:
        """(rule index, start, end) for the first ``limit`` pattern matches in ``plain``.

        Each match costs RE2's wrapper tens of microseconds, and a forged message holds
        hundreds; past the limit the message is flagged many times over already.
        """
        if self._regex is None or (self.needs_digit and not has_digit(plain)):
            return []
        # RE2 reads UTF-8: handed a str, its wrapper encodes it and converts every offset back,
        # which costs more than the match on a short message. Encoded here, only the offsets of
        # the few matches are converted.
        data = plain.encode("utf-8", "surrogatepass")
        ascii = len(data) == len(plain)
        out: list[tuple[int, int, int]] = []
        for m in self._regex.finditer(data):
            for rules, group in zip(self._rules, self._groups):
                start, end = m.span(group)
                if start >= 0:
                    if not ascii:
                        start = len(data[:start].decode("utf-8", "surrogatepass"))
                        end = start + len(data[m.start(group):end].decode("utf-8", "surrogatepass"))
                    out += [(rule, start, end) for rule in rules]
                    break
            if len(out) >= limit:
                break
        return out


def count_mentions(plain: str, reported: int) -> int:
    """Mentions in a message: what the platform reported, or @names in the text if more."""
    if "@" not in plain:
        return reported
    return max(reported, len(_MENTION.findall(plain)))


def record(window: ChannelWindow, author: str, channel: str, now: float, digest: int,
           horizon: float) -> None:
    """Add this message to the window, dropping entries older than the longest rule window,
    and forgetting the authors whose last message left it: the window holds only who spoke
    within the horizon, however many authors a busy community has seen."""
    key = (author, channel)
    recents = window.recent
    recent = recents.pop(key, None) or []  # put back last: the most recently active last
    cutoff = now - horizon
    drop = 0
    while drop < len(recent) and recent[drop].timestamp < cutoff:
        drop += 1
    if drop:
        del recent[:drop]
    recent.append(RecentMessage(now, digest))
    while recents:
        oldest = next(iter(recents))
        messages = recents[oldest]
        if messages and messages[-1].timestamp >= cutoff:
            break
        del recents[oldest]
    recents[key] = recent


def within(window: ChannelWindow, author: str, channel: str, now: float, seconds: float,
           digest: int | None = None) -> int:
    """How many remembered messages (identical ones if ``digest``) fall within ``seconds``."""
    recent = window.recent.get((author, channel), [])
    cutoff = now - seconds
    return sum(1 for r in recent if r.timestamp >= cutoff and (digest is None or r.digest == digest))
