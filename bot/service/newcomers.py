"""A new member's first messages: who is new, and the stricter standard they are held to.

A member is new from the join the bot saw, during their first day and until they have sent
``new_member_messages`` messages (a week after joining at most). Their messages are judged with
the rules for new members turned on (``audience: new_members``: any link, a phone number, a few
mentions) and with the learned stage's review threshold lower; a forwarded channel post or a
contact card counts too. What only those find is removed at once and sent to review: nobody is
punished until a moderator confirms it. Members who were there before are never affected.
"""

from __future__ import annotations

from dataclasses import replace

from bot.core import CommunityPolicy
from bot.service.bounded import LRU
from bot.service.communities import COMMUNITIES_CACHED
from bot.service.models import Incoming
from bot.service.settings import Settings
from bot.service.shared import Shared

DAY = 86400.0
WEEK = 7 * DAY  # after this a member is not new, however little they wrote
# log-odds taken off the learned stage's review threshold for a new member (vi 0.38 -> 0.29,
# en 0.60 -> 0.50): more of their doubtful messages are looked at, none is punished for it
MODEL_SHIFT = -0.4
# what a message carries besides its text, held for review when a new member sends it
FORWARDED, CONTACT = "new.forwarded-post", "new.contact-card"


class Newcomers:
    def __init__(self, shared: Shared) -> None:
        self.s = shared
        # community -> member -> [joined at, messages since]: loaded once per community
        self._known: LRU[str, dict[str, list[float]]] = LRU(COMMUNITIES_CACHED)

    async def _members(self, community: str) -> dict[str, list[float]]:
        known = self._known.get(community)
        if known is None:
            rows = await self.s.storage.newcomers(community, self.s.clock() - WEEK)
            known = self._known[community] = {m: [at, float(n)] for m, at, n in rows}
        return known

    async def joined(self, community: str, member: str) -> None:
        (await self._members(community))[member] = [self.s.clock(), 0.0]

    async def is_new(self, msg: Incoming, settings: Settings) -> bool:
        """Whether ``msg`` is one of its author's first messages (and count it if so)."""
        if settings.new_member_messages <= 0 or msg.author_is_moderator:
            return False
        known = await self._members(msg.community_id)
        entry = known.get(msg.author_id)
        if entry is None:
            return False
        age = self.s.clock() - entry[0]
        if age > WEEK or (entry[1] >= settings.new_member_messages and age >= DAY):
            del known[msg.author_id]  # not new any more: never looked up again
            return False
        entry[1] += 1
        await self.s.storage.count_message(msg.community_id, msg.author_id)
        return True

    def policy(self, policy: CommunityPolicy) -> CommunityPolicy:
        """The community's policy as it applies to a new member."""
        return replace(policy, enabled_rules=policy.enabled_rules | self.s.engine.new_member_rules,
                       model_review_shift=policy.model_review_shift + MODEL_SHIFT)

    @staticmethod
    def carried(msg: Incoming) -> tuple[str, ...]:
        """What the message carries that a new member's message is held for."""
        return (FORWARDED,) * msg.forwarded + (CONTACT,) * msg.contact
