"""The moderation service: what adapters call. It decides, records and explains; adapters only act.

One facade over small parts, each in its own module and each given the same ``Shared`` state
(storage, engine, clock, flood windows, settings, learning, member locks):

- ``communities``: settings and ``/config``; ``learning``: what moderators taught the model;
- ``judging``: a member's message or name judged, acted on or sent to review;
- ``cases``: the ladder's decision, the case recorded, the platform actions it makes;
- ``moderators`` and ``review``: what moderators do by hand, and the review queue; ``bulk``:
  a misfired rule's cases overturned at once;
- ``raids``: raid mode, begun by a flood of joins or a moderator, undone at its end;
  ``verification``: new members' button challenge; ``blocklist``: banned ids checked on join;
- ``appeals``: members' appeals and their decisions; ``privacy``: export and forget a member;
- ``recovery``: the adapter's reports, failures told to moderators, crash recovery, timed actions.

Each platform action it returns is tracked on its case; the adapter confirms it done or failed
with ``confirm``, and a failure is recorded on the case and reported to moderators once.
"""

from __future__ import annotations

import time
from typing import Callable

from bot.core import Engine
from bot.service.appeals import Appeals
from bot.service.blocklist import Blocks, SharedBlockList
from bot.service.bulk import Bulk
from bot.service.cases import CaseBook
from bot.service.communities import SETTINGS_CHECK_SECONDS, Communities
from bot.service.judging import Judge
from bot.service.learning import Learning
from bot.service.moderators import ModeratorDesk
from bot.service.privacy import Privacy
from bot.service.raids import Raids
from bot.service.recent import LocalRecent, RecentMessages
from bot.service.recovery import Recovery
from bot.service.review import ReviewQueue
from bot.service.verification import Verification
from bot.service.shared import Shared
from bot.service.storage.base import Storage
from bot.service.windows import LocalWindows, WindowStore

__all__ = ["ModerationService", "SETTINGS_CHECK_SECONDS"]


class ModerationService:
    """Every operation adapters and the command line use, by concern (see the module's doc)."""

    def __init__(self, storage: Storage, engine: Engine,
                 clock: Callable[[], float] = time.time, retention_days: float = 90.0,
                 windows: WindowStore | None = None, action_grace: float = 0.0,
                 recent: RecentMessages | None = None,
                 blocklist: SharedBlockList | None = None) -> None:
        communities = Communities(storage, engine, clock)
        self.shared = shared = Shared(
            storage=storage, engine=engine, clock=clock, windows=windows or LocalWindows(),
            communities=communities, learning=Learning(storage, engine, clock, communities.speakers),
            recent=recent or LocalRecent(clock=clock),
            retention_days=retention_days, action_grace=action_grace)
        self.storage, self.engine, self.clock = storage, engine, clock
        self.windows, self.retention_days, self.action_grace = (
            shared.windows, retention_days, action_grace)
        self._member_locks = shared.member_locks
        self.recent = shared.recent
        self.speakers = communities.speakers
        cases, raids, verification = CaseBook(shared), Raids(shared), Verification(shared)
        blocks = Blocks(shared, cases, blocklist)
        judge = Judge(shared, cases, raids, blocks, verification)
        desk = ModeratorDesk(shared, cases)
        review, appeals = ReviewQueue(shared, cases), Appeals(shared, cases, desk)
        privacy, recovery = Privacy(shared), Recovery(shared, cases, raids, verification)
        bulk = Bulk(shared, cases)

        # settings and learning
        self.settings = communities.settings
        self.configure = communities.configure
        self.update_settings = communities.update_settings
        self.preview_settings = communities.preview_settings
        self.log_language = communities.log_language
        self.policy = shared.learning.policy
        # members' messages and names
        self.on_message = judge.on_message
        self.check_name = judge.check_name
        self.record_external = judge.record_external
        self.on_member_joined = judge.on_member_joined
        self.on_join_request = judge.on_join_request
        self.rules_text = judge.rules_text
        # moderators
        self.list_cases = desk.list_cases
        self.search_cases = desk.search_cases
        self.communities = desk.communities
        self.show_case = desk.show_case
        self.manual = desk.manual
        self.unmute = desk.unmute
        self.pardon = desk.pardon
        self.edit_reason = desk.edit_reason
        self.stats = desk.stats
        self.activity = desk.activity
        self.purge = desk.purge
        self.pardon_rule = bulk.pardon_rule
        # raids
        self.raid_status = raids.status
        self.raid_start = raids.start
        self.raid_end = raids.end
        self.raid_extend = raids.extend
        self.raid_ban_joined = raids.ban_joined
        self.raid_button = raids.button
        self.verify_answer = verification.answer
        self.import_blocklist = blocks.import_ids
        self.export_blocklist = blocks.export_ids
        self.review_queue = review.review_queue
        self.confirm_review = review.confirm_review
        self.dismiss_review = review.dismiss_review
        # members' appeals
        self.open_appeals = appeals.open_appeals
        self.decide_appeal = appeals.decide_appeal
        self.my_cases = appeals.my_cases
        self.member_case = appeals.member_case
        self.begin_appeal = appeals.begin_appeal
        self.appeal_begun = appeals.appeal_begun
        self.appeal = appeals.appeal
        # privacy
        self.export_member = privacy.export_member
        self.forget_member = privacy.forget_member
        self.purge_excerpts = privacy.purge_excerpts
        # after acting, after a crash, and when a timed action falls due
        self.outcome_line = recovery.outcome_line
        self.confirm = recovery.confirm
        self.confirm_untracked = recovery.confirm_untracked
        self.unfinished_actions = recovery.unfinished_actions
        self.run_due = recovery.run_due
        self.next_due = recovery.next_due
