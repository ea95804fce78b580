"""The storage interface the service depends on; a PostgreSQL driver implements the same methods.

Every method that writes does so in one transaction together with its audit entries, so a crash
never leaves a case without its audit trail or an appeal decision without its points refund.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Callable

from bot.core.learned import Example
from bot.service.models import Appeal, AuditEntry, Case, NewCase, Raid, ReviewItem, Trace


class Storage(ABC):
    @abstractmethod
    async def open(self) -> None: ...

    @abstractmethod
    async def close(self) -> None: ...

    @abstractmethod
    async def migrate(self) -> list[int]:
        """Apply missing migrations; return the versions applied now."""

    @abstractmethod
    async def schema_version(self) -> int: ...

    # settings and moderators
    @abstractmethod
    async def load_settings(self, community: str) -> str | None: ...

    @abstractmethod
    async def save_settings(self, community: str, settings_json: str, actor: str, detail: dict,
                            now: float) -> None: ...

    @abstractmethod
    async def touch_moderator(self, community: str, user: str, now: float) -> None: ...

    @abstractmethod
    async def moderators(self, community: str) -> list[str]: ...

    # cases
    @abstractmethod
    async def record_case(self, new: NewCase) -> tuple[Case, list[int]]:
        """Number the case, store it with its points, tracked actions, schedule and audit entry."""

    @abstractmethod
    async def get_case(self, community: str, number: int) -> Case | None: ...

    @abstractmethod
    async def get_case_by_id(self, case_id: int) -> Case | None: ...

    @abstractmethod
    async def case_for_message(self, community: str, platform: str,
                               message_id: str) -> Case | None:
        """The automatic case already recorded for this message, if any (redelivery)."""

    @abstractmethod
    async def pending_actions(self, older_than: float) -> list[tuple[int, int, str]]:
        """Platform actions never confirmed, created before ``older_than``:
        (action id, case id, kind), oldest first."""

    @abstractmethod
    async def list_cases(self, community: str | None = None, member: str | None = None,
                         rule: str | None = None, status: str | None = None,
                         limit: int = 50) -> list[Case]: ...

    @abstractmethod
    async def search_cases(self, community: str, query: CaseQuery) -> tuple[list[Case], int]:
        """One page of the community's cases matching ``query``, newest first, and how many
        match in all."""

    @abstractmethod
    async def activity(self, community: str, since: float) -> dict:
        """Since ``since``, for charts: ``cases`` [(created_at, rule_ids, status)], ``reviews``
        [(created_at, status)], ``appeals`` [(created_at, status)]."""

    @abstractmethod
    async def communities(self) -> list[str]:
        """Every community the bot has settings or cases for."""

    @abstractmethod
    async def change_case(self, case_id: int, actor: str, audit_action: str, now: float, *,
                          status: str | None = None, reason: str | None = None,
                          refund: bool = False, cancel_schedule: bool = False,
                          action_kinds: tuple[str, ...] = (), detail: dict | None = None
                          ) -> list[int]:
        """Change a case; return the ids of newly tracked platform actions."""

    @abstractmethod
    async def set_action_state(self, action_id: int, state: str, reason: str, now: float
                               ) -> tuple[int, str] | None:
        """Record an action's outcome (and its audit entry); return (case id, kind)."""

    @abstractmethod
    async def member_points(self, community: str, member: str) -> list[tuple[float, float]]: ...

    @abstractmethod
    async def case_history(self, case_id: int) -> list[AuditEntry]: ...

    # appeals
    @abstractmethod
    async def create_appeal(self, case: Case, member: str, text: str, now: float,
                            remind_at: float) -> Appeal: ...

    @abstractmethod
    async def appeals_for_case(self, case_id: int) -> list[Appeal]: ...

    @abstractmethod
    async def save_appeal_draft(self, platform: str, member: str, community: str,
                                number: int, expires_at: float) -> None:
        """The member began an appeal of case ``number`` in a direct message."""

    @abstractmethod
    async def appeal_draft(self, platform: str, member: str, now: float) -> tuple[str, int] | None:
        """(community, case number) of the member's appeal begun and not yet written."""

    @abstractmethod
    async def drop_appeal_draft(self, platform: str, member: str, now: float) -> None: ...

    @abstractmethod
    async def appeals_since(self, community: str, member: str, since: float) -> int:
        """How many appeals the member opened in the community since ``since``."""

    @abstractmethod
    async def open_appeals(self, community: str) -> list[Appeal]: ...

    @abstractmethod
    async def decide_appeal(self, appeal_id: int, moderator: str, approve: bool, reason: str,
                            now: float, action_kinds: tuple[str, ...]) -> tuple[Appeal, list[int]]:
        """Decide an open appeal; approving also overturns the case and refunds its points."""

    # review queue
    @abstractmethod
    async def add_review(self, item: ReviewItem) -> ReviewItem: ...

    @abstractmethod
    async def open_reviews(self, community: str) -> list[ReviewItem]: ...

    @abstractmethod
    async def get_review(self, item_id: int) -> ReviewItem | None: ...

    @abstractmethod
    async def close_review(self, item_id: int, status: str, moderator: str, case_id: int | None,
                           now: float) -> bool:
        """Close an open review item; False if it was not open (already decided)."""

    @abstractmethod
    async def review_load(self, community: str, since: float, confidence: float
                          ) -> tuple[int, int]:
        """Since ``since``: (review items posted, candidates more confident than
        ``confidence``, posted or not)."""

    # learning from moderators
    @abstractmethod
    async def learn(self, community: str, member: str, source: str, label: int, trace: Trace,
                    now: float, update: Callable[[dict[int, float], Example], dict[int, float]],
                    case_id: int | None = None, review_id: int | None = None
                    ) -> tuple[dict[int, float], int]:
        """Keep one moderator decision as an example and apply ``update`` to the community's
        learned weights, in one transaction; return the new weights and their version."""

    @abstractmethod
    async def learned_weights(self, community: str) -> tuple[int, dict[int, float], int] | None:
        """(bits, weights, version) of the community's learned weights, if it has any."""

    @abstractmethod
    async def learned_version(self, community: str) -> int:
        """The version of the community's learned weights (0: none), a cheap question."""

    @abstractmethod
    async def relearn(self, community: str, bits: int, now: float,
                      replay: Callable[[list[Example]], dict[int, float]]) -> dict[int, float]:
        """Weights again from the examples still kept (after a member's were forgotten)."""

    @abstractmethod
    async def learning_stats(self, community: str | None = None) -> dict:
        """Per community: decisions learned, and moderators' overturn rate before and after."""

    # timed actions
    @abstractmethod
    async def due(self, now: float, lease: float = 60.0) -> list[tuple[int, str, str, int]]:
        """Claim the timed actions due by ``now`` for ``lease`` seconds and return them:
        (id, community, kind, case id). A claimed action is nobody else's until its lease
        lapses, so with several processes each action is acted on once."""

    @abstractmethod
    async def schedule(self, community: str, case_id: int, kind: str, due_at: float) -> None:
        """Add a timed action for a case (e.g. renewing a mute a platform capped)."""

    @abstractmethod
    async def finish_scheduled(self, scheduled_id: int, now: float) -> None:
        """Mark a timed action done, after the service has acted on it (so a crash repeats it)."""

    @abstractmethod
    async def next_due(self) -> float | None: ...

    # privacy
    @abstractmethod
    # -- joins and raids ------------------------------------------------------------------

    @abstractmethod
    async def record_join(self, community: str, platform: str, member: str, now: float) -> None:
        """A member joined (again: the newer time counts)."""

    @abstractmethod
    async def block_members(self, community: str, members: list[tuple[str, str]], actor: str,
                            now: float) -> int:
        """Add (member, reason) pairs to the community's block list (audited); how many were new."""

    @abstractmethod
    async def is_blocked(self, community: str, member: str) -> str | None:
        """The reason the member is on the community's block list, or None."""

    @abstractmethod
    async def blocked_members(self, community: str) -> list[tuple[str, str, float]]:
        """(member, reason, added_at) of the community's block list, oldest first."""

    @abstractmethod
    async def is_verified(self, community: str, member: str) -> bool: ...

    @abstractmethod
    async def set_challenge(self, community: str, member: str, challenge: str | None,
                            until: float | None, verified_at: float | None = None) -> None:
        """A pending challenge (JSON) until ``until``; None clears it (``verified_at``: passed)."""

    @abstractmethod
    async def request_challenge(self, community: str, platform: str, member: str,
                                challenge: str, until: float) -> None:
        """A challenge for someone who asked to join and is not in yet (a new row's joined_at
        is 0 until they join: a request is not a join, for raid counts or new members)."""

    @abstractmethod
    async def set_challenge_post(self, community: str, member: str, post: str,
                                 until: float) -> None:
        """Where the pending challenge was posted (``channel:message``), to remove it after,
        and its new time limit."""

    @abstractmethod
    async def challenge_of(self, community: str, member: str
                           ) -> tuple[str, float, str] | None:
        """The pending challenge: (JSON, until, post), or None."""

    @abstractmethod
    async def expired_challenges(self, now: float) -> list[tuple[str, str]]:
        """(community, member) of every pending challenge past its time."""

    @abstractmethod
    async def next_challenge_end(self) -> float | None: ...

    @abstractmethod
    async def newcomers(self, community: str, since: float) -> list[tuple[str, float, int]]:
        """(member, joined_at, messages sent since) of every member who joined since ``since``."""

    @abstractmethod
    async def count_message(self, community: str, member: str) -> None:
        """One more message from a member who joined recently."""

    @abstractmethod
    async def joins_since(self, community: str, since: float) -> list[tuple[str, float]]:
        """(member, joined_at) of every member who joined at or after ``since``, oldest first."""

    @abstractmethod
    async def hold_members(self, community: str, members: list[str], raid_id: int | None
                           ) -> None:
        """Mark ``members`` as restricted by raid ``raid_id`` (None: released)."""

    @abstractmethod
    async def held_members(self, community: str, raid_id: int) -> list[str]: ...

    @abstractmethod
    async def sanctioned_members(self, community: str, now: float) -> set[str]:
        """Members with an active ban, or a mute running at ``now``, of their own."""

    @abstractmethod
    async def open_raids(self) -> list[Raid]:
        """Every raid mode not yet ended, of every community."""

    @abstractmethod
    async def start_raid(self, community: str, platform: str, action: str, since: float,
                         actor: str, joins: int, now: float) -> Raid | None:
        """A raid mode begins (audited); None if one is already open in the community."""

    @abstractmethod
    async def update_raid(self, raid_id: int, *, last_activity: float | None = None,
                          hold_until: float | None = None, joins: int | None = None,
                          changes: dict | None = None) -> None: ...

    @abstractmethod
    async def end_raid(self, raid_id: int, actor: str, now: float) -> Raid | None:
        """Close the raid (audited); None if it was already closed."""

    @abstractmethod
    async def get_raid(self, raid_id: int) -> Raid | None: ...

    async def audit(self, community: str, actor: str, action: str, detail: dict,
                    now: float) -> None:
        """An audit entry that belongs to no case (an export, say)."""

    @abstractmethod
    async def member_data(self, community: str, member: str) -> dict:
        """Everything stored about one member in one community, as plain data."""

    @abstractmethod
    async def forget_member(self, community: str, member: str, pseudonym: str, actor: str,
                            now: float) -> dict:
        """Delete a member's texts and replace their id by ``pseudonym`` everywhere, the audit
        log included (the one rewrite the audit log allows); return counts of what changed."""

    @abstractmethod
    async def purge_excerpts(self, before: float, now: float) -> int:
        """Empty the excerpts of cases created before ``before``; return how many."""

    # audit, export, stats
    @abstractmethod
    async def audit_log(self, community: str) -> list[AuditEntry]: ...

    @abstractmethod
    async def stats(self, community: str | None = None) -> dict: ...
