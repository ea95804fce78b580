"""``quytac bench --worst``: search for the message that takes the engine longest, and report it.

A moderation bot reads text written by the people it moderates, so its slowest message is an
attacker's choice. This is a small mutation fuzzer aimed at time, not crashes: it starts from the
loaded rulesets' own terms and examples and from Unicode tricks (combining marks, invisible and
bidi characters, look-alikes, fullwidth letters, leetspeak, separators, repeats, digits, links,
mentions), fills each candidate to the longest message a platform delivers, keeps the slowest,
and mutates those further. It reports the slowest inputs found next to two baselines measured in
the same run: a typical chat message, and ordinary chat joined into one message of the same length.
"""

from __future__ import annotations

import random
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from bot.core import Engine
from bot.core.confusables import HOMOGLYPHS, LEET
from bot.core.engine import MAX_CHARS

_MARKS = [chr(c) for c in range(0x300, 0x370)]
_INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u202e", "\u202d", "\u2066",
              "\u00ad", "\U000e0041", "\u3164"]
_SEPARATORS = [".", " ", "_", "-", "~", "*", "/", "+", " . "]
_LEET_BACK = {v: k for k, v in LEET.items()}
_LOOKALIKE = {v: k for k, v in HOMOGLYPHS.items()}


@dataclass(frozen=True)
class Found:
    text: str
    family: str
    milliseconds: float


def _fullwidth(s: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


def _math_bold(s: str) -> str:
    return "".join(chr(0x1D41A + ord(c) - 97) if "a" <= c <= "z" else c for c in s)


def _decomposed(s: str) -> str:
    return unicodedata.normalize("NFD", s)


def _mutators(rng: random.Random) -> dict[str, Callable[[str], str]]:
    def spaced(s: str) -> str:
        return rng.choice(_SEPARATORS).join(s)

    def zalgo(s: str) -> str:
        return "".join(c + "".join(rng.choices(_MARKS, k=rng.randint(1, 6))) for c in s)

    def invisible(s: str) -> str:
        return "".join(c + rng.choice(_INVISIBLE) for c in s)

    def repeat(s: str) -> str:
        return "".join(c * rng.randint(1, 6) for c in s)

    def leet(s: str) -> str:
        return "".join(_LEET_BACK.get(c, c) for c in s)

    def lookalike(s: str) -> str:
        return "".join(_LOOKALIKE.get(c, c) for c in s)

    def upper(s: str) -> str:
        return s.upper()

    return {"spaced": spaced, "zalgo": zalgo, "invisible": invisible, "repeat": repeat,
            "leet": leet, "lookalike": lookalike, "fullwidth": _fullwidth,
            "math": _math_bold, "decomposed": _decomposed, "upper": upper}


def seed_units(engine: Engine, rng: random.Random) -> list[str]:
    """Short pieces to build hostile messages from: the rulesets' own words, and noise."""
    units: list[str] = []
    for rule in engine.rules:
        units += list(rule.terms) + list(rule.folded_terms) + list(rule.exceptions)
        units += list(rule.examples_match)[:3]
    units += [t.abbr for t in engine.ruleset.teencode]
    units = [u.strip("*") for u in units if u.strip("*")]
    units += ["0912345678", "0" * 12, "http://bit.ly/x", "discord.gg/abc", "t.me/joinchat/x",
              "@everyone", "<@123456789012345678>", "@user", "1234 5678 9012", "$$$", "!!!"]
    # shapes that make regexes backtrack: dotted runs of short labels, hyphens, half-URLs
    units += ["x.y.", "ab.cd.", "a-b.", "a.b-", "http://x.", "www.", "@a.b.", "1.2.", "a@b.",
              "x" * 60 + "."]
    rng.shuffle(units)
    return units


def _fill(unit: str) -> str:
    unit = unit or " "
    return (unit + " ") * (MAX_CHARS // (len(unit) + 1) + 1)


def _timed(engine: Engine, text: str, rounds: int) -> float:
    best = float("inf")
    clock = time.perf_counter
    for _ in range(rounds):
        t = clock()
        engine.check(text)
        best = min(best, clock() - t)
    return best * 1000


def search(engine: Engine, seconds: float = 20.0, seed: int = 7, keep: int = 12,
           rounds: int = 3) -> list[Found]:
    """The slowest messages found within ``seconds``, slowest first."""
    rng = random.Random(seed)
    mutators = _mutators(rng)
    units = seed_units(engine, rng)
    pool: list[Found] = []
    seen: set[str] = set()

    def consider(unit: str, family: str) -> None:
        text = _fill(unit)[:MAX_CHARS * 2]  # the engine reads MAX_CHARS; send a little more
        if text in seen:
            return
        seen.add(text)
        pool.append(Found(text, family, _timed(engine, text, rounds)))

    deadline = time.monotonic() + seconds
    # every mutator on a sample of units first, so each family is tried at least once
    for name, mutate in mutators.items():
        for unit in units[:8]:
            consider(mutate(unit), name)
    for unit in units[:40]:
        consider(unit, "plain")
    while time.monotonic() < deadline:
        pool.sort(key=lambda f: -f.milliseconds)
        del pool[keep * 4:]
        parent = rng.choice(pool[:keep])
        unit = parent.text[: rng.randint(2, 40)]
        roll = rng.random()
        if roll < 0.5:
            name = rng.choice(list(mutators))
            consider(mutators[name](unit), f"{parent.family}+{name}")
        elif roll < 0.8:
            other = rng.choice(pool[:keep]).text[: rng.randint(2, 40)]
            consider(unit + " " + other, f"{parent.family}|mix")
        else:
            name = rng.choice(list(mutators))
            consider(mutators[name](rng.choice(units)), name)
    pool.sort(key=lambda f: -f.milliseconds)
    # re-time the finalists with more rounds: a single slow round may be the machine, not the text
    finalists = [Found(f.text, f.family, _timed(engine, f.text, rounds * 8)) for f in pool[:keep]]
    finalists.sort(key=lambda f: -f.milliseconds)
    return finalists


def baselines(engine: Engine, rounds: int = 20) -> dict[str, float]:
    """Milliseconds for a typical chat message, and for ordinary chat joined into one message
    as long as allowed (the same mix of messages, 8% of them violations)."""
    from bot.cli.corpus import generated_corpus

    typical = generated_corpus(200)
    per_message = min(
        sum(_timed(engine, m, 1) for m in typical) / len(typical) for _ in range(3)
    )
    chat_long = " ".join(generated_corpus(2000, seed=11))[:MAX_CHARS]
    return {"typical_message_ms": round(per_message, 4),
            "chat_max_length_ms": round(_timed(engine, chat_long, rounds), 3)}
