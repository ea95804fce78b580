"""The review queue: hits the bot was not sure enough of to act on, and moderators' own
messages. A moderator confirms one (the ladder then decides as for any violation) or dismisses
it; either decision teaches the community's model."""

from __future__ import annotations

from bot.core import Hit
from bot.service.cases import CaseBook
from bot.service.models import Action, Incoming, ReviewItem, ServiceError
from bot.service.shared import Shared


class ReviewQueue:
    def __init__(self, shared: Shared, cases: CaseBook) -> None:
        self.s, self.cases = shared, cases

    async def review_queue(self, community: str) -> list[ReviewItem]:
        return await self.s.storage.open_reviews(community)

    async def _item(self, community: str, item_id: int) -> ReviewItem:
        item = await self.s.storage.get_review(item_id)
        if item is None or item.community_id != community:
            raise ServiceError(f"no review item #{item_id} in this community")
        if item.status != "open":
            raise ServiceError(f"review item #{item_id} is already {item.status}")
        return item

    async def confirm_review(self, community: str, item_id: int,
                             moderator: str) -> list[Action]:
        """A moderator confirms a held hit: the ladder decides as for any violation."""
        s = self.s
        item = await self._item(community, item_id)
        settings = await s.communities.settings(community)
        hit = Hit(item.rule_ids[0], s.category_of(item.rule_ids[0]), item.clauses[0],
                  item.severity, 0, len(item.excerpt), item.excerpt, item.confidence, "review")
        msg = Incoming(item.platform, community, item.channel_id, item.message_id,
                       item.member_id, item.excerpt, s.clock())
        if not await s.storage.close_review(item_id, "confirmed", moderator, None, s.clock()):
            raise ServiceError(f"review item #{item_id} was decided meanwhile")
        await s.storage.touch_moderator(community, moderator, s.clock())
        await s.learning.learn(community, item.member_id, "review_confirmed", 1, item.trace,
                               review_id=item.id)
        _, actions = await self.cases.act(msg, [hit], item.language, settings, actor=moderator,
                                          shadow=False,
                                          reason=f"confirmed from review #{item_id}",
                                          trace=item.trace)
        return actions

    async def dismiss_review(self, community: str, item_id: int, moderator: str) -> None:
        """A moderator found a held hit fine: it teaches the community's model so."""
        s = self.s
        item = await self._item(community, item_id)
        if not await s.storage.close_review(item_id, "dismissed", moderator, None, s.clock()):
            raise ServiceError(f"review item #{item_id} was decided meanwhile")
        await s.storage.touch_moderator(community, moderator, s.clock())
        await s.learning.learn(community, item.member_id, "review_dismissed", 0, item.trace,
                               review_id=item.id)
