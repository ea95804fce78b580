"""Links dressed as a well-known site: a host one letter from a brand's ("steamcommunlty.com",
"dlscord.com", "vietc0mbank.com") or holding the brand inside a name of its own
("discord-gift.ru", "vietcombank-xacthuc.com").

A rule (``detector: lookalike``) lists the ``brands`` (the names its sites are registered
under) and the ``domains`` that are theirs or known to be harmless (the official sites, and
fan sites and tools whose names hold the brand, "discordbotlist.com"). Only the registrable
name is read: "discordpy.readthedocs.io" is a page on readthedocs, not a site named for
Discord. Letters that pass for each other in a link (0 and o, 1, i and l, rn and m, vv and w)
are read alike first.
"""

from __future__ import annotations

from typing import Iterable

# the second-level names under which a country registers names ("vietcombank.com.vn")
_SECOND_LEVEL = frozenset({"com", "net", "org", "edu", "gov", "co", "ac", "info", "biz", "int"})
_ALIKE = str.maketrans({"0": "o", "1": "l", "i": "l", "3": "e", "5": "s", "_": "-"})

NEAR = "near"  # one letter from a brand: acted on at the rule's confidence
HOLDS = "holds"  # the brand inside a longer name: fan sites do it too, so to review at most


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


def compile_brands(brands: Iterable[str]) -> tuple[str, ...]:
    """The brands as ``resembles`` compares them."""
    return tuple(sorted({alike(b.lower()) for b in brands}))


def resembles(host: str, brands: tuple[str, ...]) -> str | None:
    """``NEAR`` when ``host``'s name is a brand's or one letter from it, ``HOLDS`` when it
    holds one inside a longer name, else None (``brands`` from ``compile_brands``; the caller
    has ruled out the brand's own domains)."""
    name = alike(registrable_name(host))
    held = None
    for brand in brands:
        if name == brand or (len(brand) >= 6 and one_edit(name, brand)):
            return NEAR
        if held is None and brand in name:
            held = HOLDS
    return held
