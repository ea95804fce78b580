"""Per-community settings: what admins tune, stored as JSON, validated with errors naming the option."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, replace
from functools import cached_property
from typing import Any, Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.core import CommunityPolicy, ExtraTerm
from bot.core.language import is_everyday_word
from bot.core.ruleset import CATEGORIES
from bot.service.config import OFF_WORDS, ON_WORDS
from bot.service.ladder import DEFAULT_LADDER, LadderStep, parse_ladder
from bot.service.models import ACTIONS, ServiceError

OVERRIDE_KEYS = ("min_action", "max_action")


@dataclass(frozen=True)
class Settings:
    ladder: tuple[LadderStep, ...] = DEFAULT_LADDER
    half_life_days: float = 30.0
    language: str = "auto"  # auto (the member's message) | vi | en
    timezone: str = ""  # IANA name for every time members and moderators read ("": by language)
    disabled_categories: frozenset[str] = frozenset()
    keep_message: frozenset[str] = frozenset()  # categories whose messages an act leaves up
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
    new_member_messages: int = 3  # a new member's first messages (and day) looked at closer
    verify: bool = False  # new members pass a button challenge (raid mode asks it anyway)
    verify_seconds: int = 120
    verify_role: str = ""  # Discord: the role a passed challenge grants (none: timed out till then)
    verify_channel: str = ""  # Discord: where challenges are posted (none: by DM)
    min_account_age_days: float = 0.0  # Discord: younger accounts are always challenged
    shared_blocklist: bool = True  # check joiners against BLOCKLIST_URL, where one is set
    raid_joins: int = 10  # joins within raid_window that start raid mode (0: never by itself)
    raid_window: int = 60  # seconds
    raid_cooldown: int = 600  # seconds without a join or a raider's message that end it
    raid_action: str = "restrict"  # alert | restrict | lock (see docs/MODERATION.md)
    raid_slowmode: int = 30  # Discord: slow mode seconds on a channel raiders post in (0: none)
    manual_points: tuple[tuple[str, float], ...] = (("ban", 0.0), ("mute", 4.0), ("warn", 2.0))
    rule_overrides: tuple[tuple[str, str, str], ...] = (  # (rule id or category, key, action)
        ("doxxing", "min_action", "delete_warn"),
    )

    @cached_property
    def policy(self) -> CommunityPolicy:
        """The engine's view of these settings, built once (it is asked for on every message)."""
        return CommunityPolicy(self.disabled_rules, self.disabled_categories, self.extra_terms,
                               self.allow_domains, self.enabled_rules,
                               model_review=self.model_review_threshold,
                               review_floor=self.review_floor,
                               language=self.language if self.language != "auto" else None)

    @cached_property
    def zone(self) -> ZoneInfo:
        """The time zone members and moderators read times in: the setting, else Vietnam's for
        a Vietnamese community and UTC otherwise."""
        return ZoneInfo(self.timezone or ("Asia/Ho_Chi_Minh" if self.language in ("vi", "auto")
                                          else "UTC"))

    def manual_points_for(self, action: str) -> float:
        return dict(self.manual_points).get(action, 0.0)

    def to_json(self) -> str:
        data = asdict(self)
        data["ladder"] = [s.as_text() for s in self.ladder]
        data["extra_terms"] = [asdict(t) for t in self.extra_terms]
        data["manual_points"] = dict(self.manual_points)
        data["rule_overrides"] = [list(o) for o in self.rule_overrides]
        for key in ("disabled_categories", "disabled_rules", "allow_domains", "shadow_rules",
                    "enabled_rules", "keep_message"):
            data[key] = sorted(data[key])
        return json.dumps(data, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Settings:
        return update(cls(), json.loads(text))


# -- what each setting is: its type, range and help, declared once ------------------------



@dataclass(frozen=True)
class Spec:
    """One setting: ``parse`` turns what a moderator typed (or JSON) into the value, raising
    ValueError with what was expected; ``help`` is what ``/config NAME`` shows."""

    parse: Callable[[Any], Any]
    help: str


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _number(lo: float, hi: float, what: str, integer: bool = False,
            low_open: bool = False) -> Callable[[Any], Any]:
    kind = "a whole number" if integer else "a number"
    expected = (f"expected {kind} above {lo:g} and at most {hi:g} ({what})" if low_open
                else f"expected {kind} from {lo:g} to {hi:g} ({what})")

    def parse(v: Any) -> Any:
        if isinstance(v, str):
            try:
                v = float(v.strip())
            except ValueError:
                raise ValueError(expected) from None
        if not _is_number(v) or (integer and v != int(v)):
            raise ValueError(expected)
        if not (lo < v if low_open else lo <= v) or v > hi:
            raise ValueError(expected)
        return int(v) if integer else float(v)
    return parse


def _optional(inner: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def parse(v: Any) -> Any:
        if v is None or (isinstance(v, str) and v.strip().lower() in ("", "off", "none")):
            return None
        return inner(v)
    return parse


def _bool(v: Any) -> bool:
    if isinstance(v, bool):
        return v
    if isinstance(v, str) and v.strip().lower() in ON_WORDS + OFF_WORDS:
        return v.strip().lower() in ON_WORDS
    raise ValueError("expected on or off")


def _choice(*options: str) -> Callable[[Any], str]:
    def parse(v: Any) -> str:
        if isinstance(v, str) and v.strip().lower() in options:
            return v.strip().lower()
        raise ValueError(f"expected one of {', '.join(options)}")
    return parse


def _items(v: Any, separators: str = ", ") -> list[Any]:
    """A list as typed: JSON, or words separated by commas (and spaces, for ids)."""
    if isinstance(v, str):
        for sep in separators[1:]:
            v = v.replace(sep, separators[0])
        return [item.strip() for item in v.split(separators[0]) if item.strip()]
    if isinstance(v, (list, tuple, set, frozenset)):
        return list(v)
    raise ValueError("expected a list")


def _names(what: str) -> Callable[[Any], frozenset[str]]:
    def parse(v: Any) -> frozenset[str]:
        items = _items(v, ", ")
        if not all(isinstance(i, str) and i and len(i) <= 200 for i in items):
            raise ValueError(f"expected a list of {what}, separated by commas")
        return frozenset(i.strip().lower() if what == "domains" else i.strip() for i in items)
    return parse


def _timezone(v: Any) -> str:
    if not isinstance(v, str):
        raise ValueError("expected a time zone name such as Asia/Ho_Chi_Minh or UTC")
    v = v.strip()
    if v.lower() in ("", "auto"):
        return ""
    try:
        ZoneInfo(v)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("expected a time zone name such as Asia/Ho_Chi_Minh, "
                         "Europe/Berlin or UTC") from None
    return v


def _categories(v: Any) -> frozenset[str]:
    names = _names("categories")(v)
    unknown = sorted(names - set(CATEGORIES))
    if unknown:
        raise ValueError(f"{unknown[0]!r} is not a category (one of: {', '.join(CATEGORIES)})")
    return names


def _channel(v: Any) -> str:
    if isinstance(v, bool) or not isinstance(v, (str, int)):
        raise ValueError("expected a channel or chat id")
    v = str(v).strip()
    if v.startswith(("<#", "<@&")) and v.endswith(">"):  # a Discord channel or role mention
        v = v.strip("<#@&>")
    if v and not v.lstrip("-").isdigit():
        raise ValueError("expected a channel or chat id (digits, as the platform shows it)")
    return v


_SEVERITY = _number(1, 10, "a term's severity", integer=True)


def _extra_terms(v: Any) -> tuple[ExtraTerm, ...]:
    out = []
    # "scam" is one term, "a, b" two: a string is never read letter by letter
    for item in _items(v, ","):
        if isinstance(item, str):
            item = {"term": item}
        if not isinstance(item, dict) or not isinstance(item.get("term"), str):
            raise ValueError('expected words or phrases separated by commas, or JSON '
                             '[{"term": ..., "category": ..., "severity": 1..10}]')
        term = " ".join(item["term"].split())
        if sum(ch.isalnum() for ch in term) < MIN_TERM_LETTERS or len(term) > 100:
            raise ValueError(f"each term needs at least {MIN_TERM_LETTERS} letters or digits, "
                             f"or it would match inside everyday words: {term!r}")
        if " " not in term and is_everyday_word(term):
            raise ValueError(f"{term!r} is an everyday word: alone it would hit ordinary chat; "
                             f"add the phrase it is offensive in")
        category = item.get("category", "insult")
        if category not in CATEGORIES:
            raise ValueError(f"category {category!r} is not one of {', '.join(CATEGORIES)}")
        severity = _SEVERITY(item.get("severity", 2))
        out.append(ExtraTerm(term, category, severity))
    return tuple(out)


def _manual_points(v: Any) -> tuple[tuple[str, float], ...]:
    if isinstance(v, str):  # "warn=2, mute=4"
        pairs = [p.partition("=") for p in _items(v, ",")]
        if not all(eq for _, eq, _ in pairs):
            raise ValueError("expected action=points pairs, e.g. warn=2, mute=4, ban=0")
        v = {k.strip(): p.strip() for k, _, p in pairs}
    if not isinstance(v, dict):
        raise ValueError("expected action=points pairs, e.g. warn=2, mute=4, ban=0")
    points = _number(0, 100, "points")
    out = dict(Settings.manual_points)  # an action not named keeps its default
    for action, value in v.items():
        if action not in out:
            raise ValueError(f"{action!r} is not {', '.join(out)}")
        try:
            out[action] = points(value)
        except ValueError:
            raise ValueError(f"points for {action}: expected a number from 0 to 100") from None
    return tuple(sorted(out.items()))


def _rule_overrides(v: Any) -> tuple[tuple[str, str, str], ...]:
    if not isinstance(v, (list, tuple)):
        raise ValueError("expected a JSON list of [rule-or-category, min_action|max_action, "
                         "action]")
    out = []
    for item in v:
        if not (isinstance(item, (list, tuple)) and len(item) == 3
                and all(isinstance(x, str) for x in item)
                and item[1] in OVERRIDE_KEYS and item[2] in ACTIONS):
            raise ValueError(f"{item!r} must be [rule-or-category, min_action|max_action, "
                             f"one of {', '.join(ACTIONS)}]")
        out.append((item[0], item[1], item[2]))
    return tuple(out)


def _ladder(v: Any) -> tuple[LadderStep, ...]:
    try:
        return parse_ladder(v)
    except ServiceError as exc:
        raise ValueError(str(exc)) from None
    except (TypeError, AttributeError):
        raise ValueError("expected steps like '2:warn 4:mute:1h 8:ban'") from None


MIN_TERM_LETTERS = 3
# below this the model alone sends everyday chat to review: on the everyday table 0.35 sends
# 8 of 291 innocent lines (2.7%), 0.2 sends 16 (5.5%), 0.1 sends 55
MIN_MODEL_REVIEW = 0.35
# below this the model alone would punish everyday chat: its highest score on an innocent line
# of the everyday table is 0.67, and the acted tier is held to 0.85 precision
MIN_MODEL_ACT = 0.85

SPECS: dict[str, Spec] = {
    "ladder": Spec(_ladder, "points:action steps, e.g. 2:warn 4:delete_warn 6:mute:1h 10:ban"),
    "half_life_days": Spec(_number(0, 3650, "days", low_open=True),
                           "days after which a violation's points count half"),
    "language": Spec(_choice("auto", "vi", "en"),
                     "language of the bot's messages and of a message that tells none "
                     "of its own: auto (the member's; what most members write), vi or en"),
    "timezone": Spec(_timezone, "time zone of every time the bot shows, e.g. Asia/Ho_Chi_Minh "
                                "(auto: Vietnam's for a Vietnamese community, else UTC)"),
    "disabled_categories": Spec(_categories, "categories not enforced here"),
    "keep_message": Spec(_categories, "categories whose messages stay up when acted on (the "
                                      "member is still sanctioned); every other is removed"),
    "disabled_rules": Spec(_names("rule ids"), "rule ids not enforced here"),
    "extra_terms": Spec(_extra_terms, "words or phrases this community adds, separated by "
                                      "commas (an insult unless JSON gives a category)"),
    "allow_domains": Spec(_names("domains"), "link domains never flagged here"),
    "shadow": Spec(_bool, "on: record what would happen and do nothing"),
    "shadow_rules": Spec(_names("rule ids"), "rules recorded but not acted on"),
    "log_channel": Spec(_channel, "the moderators' log channel or chat id"),
    "review_threshold": Spec(_number(0, 1, "confidence"),
                             "hits below this confidence go to review instead of acting"),
    "review_floor": Spec(_number(0, 1, "confidence"),
                         "hits below this confidence trouble nobody"),
    "review_budget_per_hour": Spec(_number(1, 10_000, "items", integer=True),
                                   "review items posted an hour; the rest are recorded"),
    "model_review_threshold": Spec(_optional(_number(MIN_MODEL_REVIEW, 1, "score")),
                                   "the learned stage alone sends to review from this score "
                                   "(off: the model's own)"),
    "model_act_threshold": Spec(_optional(_number(MIN_MODEL_ACT, 1, "score")),
                                "the learned stage alone acts from this score (off: never)"),
    "enabled_rules": Spec(_names("rule ids"), "rules shipped off that this community turns on"),
    "appeal_window_days": Spec(_number(0, 365, "days", low_open=True),
                               "days a member has to appeal"),
    "appeal_max_length": Spec(_number(10, 4000, "characters", integer=True),
                              "longest appeal text"),
    "appeals_per_case": Spec(_number(1, 10, "appeals", integer=True), "appeals per case"),
    "appeals_per_hour": Spec(_number(1, 100, "appeals", integer=True),
                             "appeals per member an hour"),
    "appeal_reminder_hours": Spec(_number(0, 720, "hours", low_open=True),
                                  "hours before moderators are reminded of an open appeal"),
    "excerpt_length": Spec(_number(20, 1000, "characters", integer=True),
                           "characters of a message kept on its case"),
    "warning_delete_after": Spec(_number(0, 86400, "seconds", integer=True),
                                 "seconds a warning stays in the chat (0: keep)"),
    "long_mute": Spec(_choice("renew", "ban", "role"),
                      "a mute past the platform's cap: renew, ban or role"),
    "mute_role": Spec(_channel, "the role given for long_mute=role"),
    "check_names": Spec(_bool, "on: check the display names of members who join"),
    "welcome_rules": Spec(_bool, "on: send the rules to members who join"),
    "new_member_messages": Spec(_number(0, 1000, "messages", integer=True),
                                "a new member's first messages (and first day): links, numbers, "
                                "mentions, forwards and contacts go to review (0: off)"),
    "verify": Spec(_bool, "on: new members pass a button challenge before they may write "
                          "(raid mode asks it anyway)"),
    "verify_seconds": Spec(_number(30, 3600, "seconds", integer=True),
                           "seconds a new member has to pass the challenge"),
    "verify_role": Spec(_channel, "Discord: the role a passed challenge grants"),
    "verify_channel": Spec(_channel, "Discord: the channel challenges are posted in (none: DM)"),
    "min_account_age_days": Spec(_number(0, 3650, "days"),
                                 "Discord: accounts younger than this are always challenged"),
    "shared_blocklist": Spec(_bool, "on: ban members who join while on the shared block list "
                                    "(BLOCKLIST_URL)"),
    "raid_joins": Spec(_number(0, 100_000, "joins", integer=True),
                       "joins within raid_window that start raid mode (0: only by command)"),
    "raid_window": Spec(_number(5, 3600, "seconds", integer=True),
                        "seconds over which raid_joins are counted"),
    "raid_cooldown": Spec(_number(10, 86400, "seconds", integer=True),
                          "seconds without a join or a raider's message that end raid mode"),
    "raid_action": Spec(_choice("alert", "restrict", "lock"),
                        "during a raid: alert (mod log only), restrict (new members held; "
                        "Discord: invites and DMs paused), lock (also: Telegram members may "
                        "not send)"),
    "raid_slowmode": Spec(_number(0, 21600, "seconds", integer=True),
                          "Discord: slow mode set on channels raiders post in (0: none)"),
    "manual_points": Spec(_manual_points, "points of a moderator's action, e.g. warn=2, mute=4"),
    "rule_overrides": Spec(_rule_overrides,
                           'JSON [["doxxing", "min_action", "delete_warn"], ...]'),
}


def spec_for(name: str) -> Spec:
    """The declared setting ``name``; ServiceError lists the settings there are."""
    spec = SPECS.get(name)
    if spec is None:
        raise ServiceError(f"unknown setting '{name}' (one of: {', '.join(sorted(SPECS))})")
    return spec


def parse_typed(raw: str) -> Any:
    """What a moderator typed after ``/config NAME``: JSON where it is JSON, else the text."""
    raw = raw.strip()
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def update(settings: Settings, changes: dict[str, Any]) -> Settings:
    """A copy of ``settings`` with ``changes``; ServiceError names the bad option and what it
    takes."""
    values = {}
    for name, value in changes.items():
        spec = spec_for(name)
        try:
            values[name] = spec.parse(value)
        except ValueError as exc:
            shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
            raise ServiceError(f"setting '{name}': {exc} (got {shown[:80]!r})") from None
    new = replace(settings, **values)
    if new.review_floor > new.review_threshold:
        raise ServiceError(f"setting 'review_floor' ({new.review_floor:g}) must not be above "
                           f"'review_threshold' ({new.review_threshold:g})")
    return new


def settings_view(settings: Settings) -> dict[str, Any]:
    """The settings as plain JSON data, for display and export."""
    return json.loads(settings.to_json())


