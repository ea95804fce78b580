"""Detectors beyond words: regex patterns (RE2, linear time), links, mass mentions, floods.

Each takes the normalised text (and, for floods, the caller's window) and returns raw spans;
the engine turns them into hits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import re2

from bot.core.types import ChannelWindow, RecentMessage

_URL = re.compile(
    r"(?:https?://)?((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24})(/[^\s<>\"']*)?",
    re.IGNORECASE,
)
_URL_HINT = re.compile(r"[a-z0-9]\.[a-z]", re.IGNORECASE)
_MENTION = re.compile(r"(?<![\w@])@[\w.]{2,}")


@dataclass(frozen=True, slots=True)
class Link:
    start: int
    end: int
    host: str
    path: str


def find_links(plain: str) -> list[Link]:
    """Every URL-looking span in ``plain``, scheme optional (``bit.ly/x`` counts)."""
    if not _URL_HINT.search(plain):
        return []
    out = []
    for m in _URL.finditer(plain):
        host = m.group(1).lower().removeprefix("www.")
        out.append(Link(m.start(), m.end(), host, m.group(2) or ""))
    return out


def domain_matches(link: Link, entry: str) -> bool:
    """``entry`` is ``example.com`` (any subdomain) or ``t.me/+`` (host and path prefix)."""
    host, _, path = entry.partition("/")
    if link.host != host and not link.host.endswith("." + host):
        return False
    return not path or link.path.lstrip("/").startswith(path)


class PatternSet:
    """Every pattern of every rule in one RE2 alternation, matched once per message."""

    def __init__(self, patterns: list[tuple[int, str]]) -> None:
        self._rules = [rule for rule, _ in patterns]
        self._regex = None
        if patterns:
            body = "|".join(f"({p})" for _, p in patterns)
            self._regex = re2.compile(body)
            # group numbers of each rule's outer group (patterns may hold groups of their own)
            self._groups: list[int] = []
            group = 1
            for _, p in patterns:
                self._groups.append(group)
                group += 1 + re2.compile(p).groups

    def scan(self, plain: str) -> list[tuple[int, int, int]]:
        """(rule index, start, end) for each pattern match in ``plain``."""
        if self._regex is None:
            return []
        out = []
        for m in self._regex.finditer(plain):
            for rule, group in zip(self._rules, self._groups):
                if m.start(group) >= 0:
                    out.append((rule, m.start(group), m.end(group)))
                    break
        return out


def count_mentions(plain: str, reported: int) -> int:
    """Mentions in a message: what the platform reported, or @names in the text if more."""
    if "@" not in plain:
        return reported
    return max(reported, len(_MENTION.findall(plain)))


def record(window: ChannelWindow, author: str, channel: str, now: float, digest: int,
           horizon: float) -> None:
    """Add this message to the window, dropping entries older than the longest rule window."""
    recent = window.recent.setdefault((author, channel), [])
    cutoff = now - horizon
    drop = 0
    while drop < len(recent) and recent[drop].timestamp < cutoff:
        drop += 1
    if drop:
        del recent[:drop]
    recent.append(RecentMessage(now, digest))


def within(window: ChannelWindow, author: str, channel: str, now: float, seconds: float,
           digest: int | None = None) -> int:
    """How many remembered messages (identical ones if ``digest``) fall within ``seconds``."""
    recent = window.recent.get((author, channel), [])
    cutoff = now - seconds
    return sum(1 for r in recent if r.timestamp >= cutoff and (digest is None or r.digest == digest))
