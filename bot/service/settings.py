"""Per-community settings: what admins tune, stored as JSON, validated with errors naming the option."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields, replace
from functools import cached_property
from typing import Any

from bot.core import CommunityPolicy, ExtraTerm
from bot.service.ladder import DEFAULT_LADDER, LadderStep, parse_ladder
from bot.service.models import ACTIONS, ServiceError

OVERRIDE_KEYS = ("min_action", "max_action")


@dataclass(frozen=True)
class Settings:
    ladder: tuple[LadderStep, ...] = DEFAULT_LADDER
    half_life_days: float = 30.0
    language: str = "auto"  # auto (the member's message) | vi | en
    disabled_categories: frozenset[str] = frozenset()
    disabled_rules: frozenset[str] = frozenset()
    extra_terms: tuple[ExtraTerm, ...] = ()
    allow_domains: frozenset[str] = frozenset()
    shadow: bool = False  # record what would happen, do nothing
    shadow_rules: frozenset[str] = frozenset()
    log_channel: str = ""
    review_threshold: float = 0.6  # hits below this confidence go to review instead of acting
    review_floor: float = 0.4  # ... and hits below this one go nowhere (none tier)
    review_budget_per_hour: int = 30  # review items posted an hour; the rest become shadow cases
    model_review_threshold: float | None = None  # the model alone sends to review (None: its own)
    model_act_threshold: float | None = None  # the model alone acts from here (None: never)
    enabled_rules: frozenset[str] = frozenset()  # rules shipped off that this community turns on
    appeal_window_days: float = 14.0
    appeal_max_length: int = 1000
    appeals_per_case: int = 1
    appeals_per_hour: int = 3  # per member, across cases: appeals are a flooding target too
    appeal_reminder_hours: float = 48.0
    excerpt_length: int = 120
    warning_delete_after: int = 60  # seconds a warning reply stays in the chat (0 = keep)
    long_mute: str = "renew"  # a mute past a platform's cap (Discord: 28 days): renew | ban | role
    mute_role: str = ""  # the role given for long_mute=role (its channel rules deny sending)
    check_names: bool = False  # check display names of members who join against the rules
    welcome_rules: bool = False  # send the community's rules to members who join
    manual_points: tuple[tuple[str, float], ...] = (("warn", 2.0), ("mute", 4.0), ("ban", 0.0))
    rule_overrides: tuple[tuple[str, str, str], ...] = (  # (rule id or category, key, action)
        ("doxxing", "min_action", "delete_warn"),
    )

    @cached_property
    def policy(self) -> CommunityPolicy:
        """The engine's view of these settings, built once (it is asked for on every message)."""
        return CommunityPolicy(self.disabled_rules, self.disabled_categories, self.extra_terms,
                               self.allow_domains, self.enabled_rules,
                               model_review=self.model_review_threshold,
                               review_floor=self.review_floor)

    def manual_points_for(self, action: str) -> float:
        return dict(self.manual_points).get(action, 0.0)

    def to_json(self) -> str:
        data = asdict(self)
        data["ladder"] = [s.as_text() for s in self.ladder]
        data["extra_terms"] = [asdict(t) for t in self.extra_terms]
        data["manual_points"] = dict(self.manual_points)
        data["rule_overrides"] = [list(o) for o in self.rule_overrides]
        for key in ("disabled_categories", "disabled_rules", "allow_domains", "shadow_rules",
                    "enabled_rules"):
            data[key] = sorted(data[key])
        return json.dumps(data, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Settings:
        return update(cls(), json.loads(text))


_BOOLS = ("shadow", "check_names", "welcome_rules")
_SETS = ("disabled_categories", "disabled_rules", "allow_domains", "shadow_rules", "enabled_rules")
_OPTIONAL = ("model_review_threshold", "model_act_threshold")  # a number, or off


def _convert(name: str, value: Any) -> Any:
    if name in _BOOLS and isinstance(value, str) and value.lower() in ("on", "off", "true", "false"):
        return value.lower() in ("on", "true")
    if name in _OPTIONAL and (value is None or (isinstance(value, str)
                                                and value.lower() in ("", "off", "none"))):
        return None
    if name == "ladder":
        return parse_ladder(value)
    if name in _SETS:
        if isinstance(value, str):
            value = [v for v in value.replace(",", " ").split() if v]
        if not isinstance(value, (list, tuple, set, frozenset)):
            raise ServiceError(f"setting '{name}': expected a list")
        return frozenset(str(v) for v in value)
    if name == "extra_terms":
        out = []
        for item in value:
            if isinstance(item, str):
                out.append(ExtraTerm(item))
            elif isinstance(item, dict) and isinstance(item.get("term"), str):
                out.append(ExtraTerm(item["term"], str(item.get("category", "insult")),
                                     int(item.get("severity", 2))))
            else:
                raise ServiceError(f"setting 'extra_terms': bad entry {item!r}")
        return tuple(out)
    if name == "manual_points":
        if not isinstance(value, dict):
            raise ServiceError("setting 'manual_points': expected a mapping action -> points")
        return tuple((str(k), float(v)) for k, v in value.items())
    if name == "rule_overrides":
        out = []
        for item in value:
            if not (isinstance(item, (list, tuple)) and len(item) == 3
                    and item[1] in OVERRIDE_KEYS and item[2] in ACTIONS):
                raise ServiceError(
                    f"setting 'rule_overrides': {item!r} must be [rule-or-category, "
                    f"min_action|max_action, one of {', '.join(ACTIONS)}]")
            out.append((str(item[0]), str(item[1]), str(item[2])))
        return tuple(out)
    return value


_CHECKS = {
    "half_life_days": lambda v: isinstance(v, (int, float)) and 0 < v <= 3650,
    "language": lambda v: v in ("auto", "vi", "en"),
    "long_mute": lambda v: v in ("renew", "ban", "role"),
    "mute_role": lambda v: isinstance(v, str) and (v == "" or v.isdigit()),
    "shadow": lambda v: isinstance(v, bool),
    "check_names": lambda v: isinstance(v, bool),
    "welcome_rules": lambda v: isinstance(v, bool),
    "log_channel": lambda v: isinstance(v, str),
    "review_threshold": lambda v: isinstance(v, (int, float)) and 0 <= v <= 1,
    "review_floor": lambda v: isinstance(v, (int, float)) and 0 <= v <= 1,
    "review_budget_per_hour": lambda v: isinstance(v, int) and 1 <= v <= 10_000,
    "model_review_threshold": lambda v: v is None or (isinstance(v, (int, float)) and 0 < v <= 1),
    "model_act_threshold": lambda v: v is None or (isinstance(v, (int, float)) and 0 < v <= 1),
    "appeal_window_days": lambda v: isinstance(v, (int, float)) and 0 < v <= 365,
    "appeal_max_length": lambda v: isinstance(v, int) and 10 <= v <= 4000,
    "appeals_per_case": lambda v: isinstance(v, int) and 1 <= v <= 10,
    "appeals_per_hour": lambda v: isinstance(v, int) and 1 <= v <= 100,
    "appeal_reminder_hours": lambda v: isinstance(v, (int, float)) and 0 < v <= 720,
    "excerpt_length": lambda v: isinstance(v, int) and 20 <= v <= 1000,
    "warning_delete_after": lambda v: isinstance(v, int) and 0 <= v <= 86400,
}


def update(settings: Settings, changes: dict[str, Any]) -> Settings:
    """A copy of ``settings`` with ``changes``; ServiceError names the first bad option."""
    known = {f.name for f in fields(Settings)}
    values = {}
    for name, value in changes.items():
        if name not in known:
            raise ServiceError(f"unknown setting '{name}' (one of: {', '.join(sorted(known))})")
        value = _convert(name, value)
        check = _CHECKS.get(name)
        if check is not None and not check(value):
            raise ServiceError(f"setting '{name}': invalid value {value!r}")
        values[name] = value
    new = replace(settings, **values)
    if new.review_floor > new.review_threshold:
        raise ServiceError(f"setting 'review_floor' ({new.review_floor:g}) must not be above "
                           f"'review_threshold' ({new.review_threshold:g})")
    return new


def settings_view(settings: Settings) -> dict[str, Any]:
    """The settings as plain JSON data, for display and export."""
    return json.loads(settings.to_json())


