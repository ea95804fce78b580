"""Links dressed as a well-known site: a host one letter from a brand's ("steamcommunlty.com",
"dlscord.com", "vietc0mbank.com"), holding the brand inside a name of its own
("discord-gift.ru", "vietcombank-xacthuc.com"), or the brand's own name under a domain not
listed as its ("discord.ru", as a brand's sites abroad are named too).

A rule (``detector: lookalike``) lists the ``brands`` (the names its sites are registered
under) and the ``domains`` that are theirs or known to be harmless (the official sites, and
fan sites and tools whose names hold the brand, "discordbotlist.com"). Only the registrable
name is read: "discordpy.readthedocs.io" is a page on readthedocs, not a site named for
Discord. Letters that pass for each other in a link (0 and o, 1, i and l, rn and m, vv and w)
are read alike first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

# the second-level names under which a country registers names ("vietcombank.com.vn")
_SECOND_LEVEL = frozenset({"com", "net", "org", "edu", "gov", "co", "ac", "info", "biz", "int"})
_ALIKE = str.maketrans({"0": "o", "1": "l", "i": "l", "3": "e", "5": "s", "_": "-"})

NEAR = "near"  # one letter from a brand: acted on at the rule's confidence
HOLDS = "holds"  # the brand inside a longer name: fan sites do it too, so to review at most
# the brand's own name under a domain not listed as its: its sites abroad ("shopee.com.my") as
# often as a copy ("discord.ru"), so to review at most
SAME = "same"


def registrable_name(host: str) -> str:
    """The name a host was registered under: ``a.b.example.com`` -> ``example``,
    ``www.vietcombank.com.vn`` -> ``vietcombank``."""
    parts = host.lower().split(".")
    if len(parts) >= 3 and len(parts[-1]) == 2 and parts[-2] in _SECOND_LEVEL:
        return parts[-3]
    return parts[-2] if len(parts) >= 2 else parts[0]


def alike(name: str) -> str:
    """``name`` with the letters that pass for each other in a link read as one."""
    return name.replace("rn", "m").replace("vv", "w").translate(_ALIKE).replace("-", "")


def one_edit(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` differ by at most one letter changed, added, dropped, or two
    neighbours swapped."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    i = 0
    while i < min(la, lb) and a[i] == b[i]:
        i += 1
    if la == lb:
        return a[i + 1:] == b[i + 1:] or (
            i + 1 < la and a[i] == b[i + 1] and a[i + 1] == b[i] and a[i + 2:] == b[i + 2:])
    longer, shorter = (a, b) if la > lb else (b, a)
    return longer[i + 1:] == shorter[i:]


@dataclass(frozen=True, slots=True)
class Brands:
    """A rule's brands as ``resembles`` looks them up: those a name may be one letter from, by
    their length, and one search for any held inside a longer name (a forged message may carry
    hundreds of hosts, each judged once)."""

    by_length: dict[int, tuple[str, ...]]
    held: re.Pattern[str]
    names: frozenset[str]  # the brands as written


def compile_brands(brands: Iterable[str]) -> Brands:
    """The brands as ``resembles`` compares them, read alike."""
    read = sorted({alike(b.lower()) for b in brands})
    by_length: dict[int, list[str]] = {}
    for brand in read:
        by_length.setdefault(len(brand), []).append(brand)
    return Brands({n: tuple(b) for n, b in by_length.items()},
                  re.compile("|".join(map(re.escape, read)) or "(?!)"),  # (none: no match)
                  frozenset(b.lower() for b in brands))


def resembles(host: str, brands: Brands) -> str | None:
    """``SAME`` when ``host``'s name is a brand's as written, ``NEAR`` when it is one once
    letters that pass for each other are read alike or one letter from one (brands of six
    letters or more), ``HOLDS`` when it holds one inside a longer name, else None (the caller
    has ruled out the brands' own domains)."""
    registered = registrable_name(host)
    if registered in brands.names:
        return SAME
    name = alike(registered)
    size = len(name)
    if name in brands.by_length.get(size, ()):
        return NEAR
    # one edit away, two names of three letters or more keep the first letter or the last
    first, last = name[:1], name[-1:]
    for n in (size - 1, size, size + 1):
        if n >= 6 and any(one_edit(name, b) for b in brands.by_length.get(n, ())
                          if b[0] == first or b[-1] == last):
            return NEAR
    return HOLDS if brands.held.search(name) else None
