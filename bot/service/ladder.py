"""The escalation ladder and point decay: how a member's history turns into an action."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Iterable

from bot.service.models import ACTIONS, ServiceError, action_rank


@dataclass(frozen=True, slots=True)
class LadderStep:
    """From ``points`` (after the violation) on, take ``action`` (mutes last ``minutes``)."""

    points: float
    action: str
    minutes: float = 0.0

    def as_text(self) -> str:
        dur = f" {format_minutes(self.minutes)}" if self.action == "mute" else ""
        return f"{self.points:g}:{self.action}{dur}"


DEFAULT_LADDER = (
    LadderStep(0, "warn"),
    LadderStep(3, "delete_warn"),
    LadderStep(6, "mute", 10),
    LadderStep(9, "mute", 60),
    LadderStep(12, "mute", 24 * 60),
    LadderStep(16, "ban"),
)

_DURATION = re.compile(r"^(\d+(?:\.\d+)?)\s*(m|min|h|d|w)?$")
_UNIT_MINUTES = {None: 1, "m": 1, "min": 1, "h": 60, "d": 1440, "w": 10080}


def parse_duration(text: str) -> float:
    """``10m``, ``1h``, ``2d``, ``1w`` (or plain minutes) -> minutes."""
    m = _DURATION.match(text.strip().lower())
    if not m:
        raise ServiceError(f"bad duration {text!r}: use a number with m, h, d or w (e.g. 10m, 1h)")
    minutes = float(m.group(1)) * _UNIT_MINUTES[m.group(2)]
    if minutes <= 0:
        raise ServiceError(f"bad duration {text!r}: must be more than zero")
    return minutes


def format_minutes(minutes: float) -> str:
    for unit, size in (("w", 10080), ("d", 1440), ("h", 60)):
        if minutes >= size and minutes % size == 0:
            return f"{minutes / size:g}{unit}"
    return f"{minutes:g}m"


def parse_ladder(value: Iterable[str] | str) -> tuple[LadderStep, ...]:
    """``"0:warn, 3:delete_warn, 6:mute 10m, 16:ban"`` (or a list of such steps)."""
    items = value.split(",") if isinstance(value, str) else list(value)
    steps = []
    for item in items:
        if isinstance(item, LadderStep):
            steps.append(item)
            continue
        points, _, rest = str(item).strip().partition(":")
        action, _, duration = rest.strip().partition(" ")
        try:
            at = float(points)
        except ValueError:
            raise ServiceError(f"ladder step {item!r}: points must be a number") from None
        if action not in ACTIONS or action == "none":
            raise ServiceError(f"ladder step {item!r}: action must be warn, delete_warn, mute or ban")
        if action == "mute" and not duration:
            raise ServiceError(f"ladder step {item!r}: a mute needs a duration (e.g. 6:mute 10m)")
        steps.append(LadderStep(at, action, parse_duration(duration) if action == "mute" else 0.0))
    steps.sort(key=lambda s: s.points)
    if not steps or steps[0].points != 0:
        raise ServiceError("ladder: the first step must start at 0 points")
    return tuple(steps)


def decayed(points: Iterable[tuple[float, float]], now: float, half_life_days: float) -> float:
    """Sum of (points, at) halved every ``half_life_days``."""
    half_life = half_life_days * 86400
    return sum(p * math.pow(0.5, max(0.0, now - at) / half_life) for p, at in points)


def step_for(ladder: tuple[LadderStep, ...], points: float) -> LadderStep:
    """The highest step whose threshold ``points`` has reached."""
    chosen = ladder[0]
    points = round(points, 6)  # decay over the milliseconds between two messages is no reprieve
    for step in ladder:
        if points >= step.points:
            chosen = step
    return chosen


def apply_overrides(step: LadderStep, overrides: Iterable[tuple[str, str]],
                    ladder: tuple[LadderStep, ...]) -> LadderStep:
    """Raise to ``min_action`` / lower to ``max_action`` (a mute takes the ladder's first mute)."""
    for key, action in overrides:
        if key == "min_action" and action_rank(step.action) < action_rank(action):
            step = _step_of(action, ladder)
        elif key == "max_action" and action_rank(step.action) > action_rank(action):
            step = _step_of(action, ladder)
    return step


def _step_of(action: str, ladder: tuple[LadderStep, ...]) -> LadderStep:
    for step in ladder:
        if step.action == action:
            return step
    return LadderStep(0, action, 10.0 if action == "mute" else 0.0)
