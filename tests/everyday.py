"""The everyday table (``tests/data/everyday.tsv``): reading it, and judging a line as the bot
would under default settings."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.core import Engine
from bot.service.settings import Settings
from bot.service.tiers import ACT, NONE, REVIEW, tier

TABLE = Path(__file__).parent / "data" / "everyday.tsv"
EXPECT = ("clean", "act", "flag", "review")


@dataclass(frozen=True)
class Line:
    expect: str
    what: str  # a rule id or a category that must be in the expected tier ("" for any)
    text: str
    number: int

    @property
    def innocent(self) -> bool:
        return self.expect == "clean"


def lines() -> list[Line]:
    out = []
    for number, raw in enumerate(TABLE.read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip() or raw.startswith("#"):
            continue
        expect, _, text = raw.partition("\t")
        kind, _, what = expect.partition(":")
        assert kind in EXPECT and text, f"{TABLE}:{number}: bad line {raw!r}"
        out.append(Line(kind, what, text, number))
    return out


def judged(engine: Engine, text: str, settings: Settings | None = None
           ) -> list[tuple[str, str, str]]:
    """(tier, rule id, category) of each hit above the none tier."""
    settings = settings or Settings()
    out = []
    for h in engine.check(text, settings.policy).hits:
        t = tier(h, settings)
        if t != NONE:
            out.append((t, h.rule_id, h.category))
    return out


def holds(line: Line, found: list[tuple[str, str, str]]) -> bool:
    tiers = {t for t, _, _ in found}
    if line.expect == "clean":
        return not found
    wanted = {"act": {ACT}, "review": {REVIEW}, "flag": {ACT, REVIEW}}[line.expect]
    if line.expect == "review" and ACT in tiers:
        return False
    return any(t in wanted and (not line.what or line.what in (rule, cat))
               for t, rule, cat in found)
