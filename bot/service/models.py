"""Values the moderation service exchanges with adapters and storage."""

from __future__ import annotations

from dataclasses import dataclass, field

# case actions, mildest first (the ladder and per-rule overrides compare them by this order)
ACTIONS = ("none", "warn", "delete_warn", "mute", "ban")
STATUSES = ("active", "expired", "pardoned", "overturned", "shadow")


def action_rank(action: str) -> int:
    return ACTIONS.index(action)


@dataclass(frozen=True, slots=True)
class Incoming:
    """One message as an adapter hands it to the service."""

    platform: str  # telegram | discord
    community_id: str
    channel_id: str
    message_id: str
    author_id: str
    text: str
    timestamp: float
    author_is_moderator: bool = False
    mention_count: int = 0
    # for the mod log only (never stored): how moderators know the author, and where the
    # message is (Telegram's t.me link, Discord's jump URL)
    author_name: str = ""
    author_username: str = ""
    link: str = ""
    # what the message carries besides text, which a new member's message is held for
    forwarded: bool = False  # a post forwarded from a channel
    contact: bool = False  # a contact card


@dataclass(frozen=True, slots=True)
class Action:
    """One thing the adapter must do on the platform, then confirm by ``id``."""

    id: int  # case_actions row to pass to ModerationService.confirm; 0 = not tracked
    # delete | warn | mute | unmute | ban | unban | dm | modlog | welcome | purge, and raid
    # mode's and verification's (untracked, see raids.py and verification.py): hold | release |
    # lockdown | unlock | slowmode | challenge | kick | grant | approve | decline
    kind: str
    community_id: str
    member_id: str = ""
    channel_id: str = ""
    message_id: str = ""
    case_number: int | None = None
    until: float | None = None  # end of a mute
    text: str = ""  # what the member or the moderators read
    language: str = "vi"
    delete_after: int = 0  # seconds after which the adapter removes its own warning (0 = keep)
    with_outcomes: bool = False  # a case's mod-log entry: add ModerationService.outcome_line
    buttons: tuple[tuple[str, str], ...] = ()  # (label, payload) e.g. ("Appeal", "appeal:12")
    message_ids: tuple[str, ...] = ()  # a purge: the messages of ``channel_id`` to delete
    seconds: int = 0  # slow mode: the delay to set in ``channel_id``


@dataclass(frozen=True, slots=True)
class Trace:
    """What the learned stage keeps of a judged message, so that a moderator's decision on it
    can teach the community's model: its feature buckets (hashed words, never text), the model's
    size, and the log-odds the bot gave it before any learning."""

    buckets: tuple[int, ...]
    bits: int
    prior: float


@dataclass(frozen=True, slots=True)
class Case:
    id: int
    community_id: str
    number: int
    platform: str
    member_id: str
    channel_id: str
    message_id: str
    rule_ids: tuple[str, ...]
    clauses: tuple[str, ...]
    span: tuple[int, int] | None
    excerpt: str
    confidence: float | None
    action: str
    until: float | None
    actor: str
    reason: str
    status: str
    points: float
    language: str
    created_at: float
    updated_at: float
    outcomes: tuple[tuple[str, str, str], ...] = ()  # (kind, state, reason) per platform action
    trace: Trace | None = None  # what a moderator's decision on it teaches (no text)


@dataclass(frozen=True, slots=True)
class CaseQuery:
    """Which of a community's cases a moderator asks for (None: any), newest first."""

    member: str | None = None
    rules: tuple[str, ...] | None = None  # any of these rules (a category is its rules)
    actor: str | None = None  # "auto" or a moderator's id
    status: str | None = None
    since: float | None = None
    until: float | None = None
    text: str | None = None  # within the excerpt, as typed (case-insensitive)
    offset: int = 0
    limit: int = 50


@dataclass(frozen=True, slots=True)
class Appeal:
    id: int
    case_id: int
    case_number: int
    community_id: str
    member_id: str
    text: str
    status: str  # open | approved | rejected
    decided_by: str | None
    decision: str
    created_at: float
    decided_at: float | None


@dataclass(frozen=True, slots=True)
class ReviewItem:
    id: int
    community_id: str
    platform: str
    member_id: str
    channel_id: str
    message_id: str
    rule_ids: tuple[str, ...]
    clauses: tuple[str, ...]
    excerpt: str
    confidence: float
    severity: int
    why: str  # low_confidence | moderator
    language: str
    status: str  # open | confirmed | dismissed | over_budget
    created_at: float
    trace: Trace | None = None


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    community_id: str
    case_id: int | None
    actor: str
    action: str
    detail: dict
    at: float


@dataclass(frozen=True, slots=True)
class NewCase:
    """What the service asks storage to record; storage gives it a number."""

    community_id: str
    platform: str
    member_id: str
    action: str
    actor: str
    status: str
    points: float
    now: float
    channel_id: str = ""
    message_id: str = ""
    rule_ids: tuple[str, ...] = ()
    clauses: tuple[str, ...] = ()
    span: tuple[int, int] | None = None
    excerpt: str = ""
    confidence: float | None = None
    until: float | None = None
    reason: str = ""
    language: str = "vi"
    action_kinds: tuple[str, ...] = ()  # platform actions to track, in order
    schedule: tuple[tuple[str, float], ...] = ()  # (kind, due_at)
    audit_detail: dict = field(default_factory=dict)
    trace: Trace | None = None


@dataclass(frozen=True, slots=True)
class Raid:
    """One raid mode: open while ``ended_at`` is None. ``since``: the first join it covers
    (the window that triggered it, not only later joiners); ``changes``: what it changed on the
    platform, with the value before, for its end to restore."""

    id: int
    community_id: str
    platform: str
    action: str  # the community's raid_action when it began: alert | restrict | lock
    since: float
    started_at: float
    started_by: str  # "auto" or the moderator who began it
    last_activity: float  # the latest join, or message by a member who joined during it
    hold_until: float  # a moderator's extension: not over before this
    joins: int
    changes: dict
    ended_at: float | None = None
    ended_by: str | None = None


class ServiceError(Exception):
    """A refused operation, with a message fit to show the person who asked."""
