"""A member's personal data (Decree 13/2023/NĐ-CP): everything stored about them exported,
or forgotten (texts deleted, the id pseudonymised, what the model learned from them unlearned),
and case excerpts emptied after the retention period."""

from __future__ import annotations

import hashlib

from bot.core.learned import replay
from bot.service.shared import Shared


class Privacy:
    def __init__(self, shared: Shared) -> None:
        self.s = shared

    async def export_member(self, community: str, member: str, moderator: str) -> dict:
        """Everything stored about a member (the right of access)."""
        data = await self.s.storage.member_data(community, member)
        await self.s.storage.audit(community, moderator, "member_exported", {"member": member},
                                   self.s.clock())
        return data

    async def forget_member(self, community: str, member: str, moderator: str) -> dict:
        """Delete a member's texts and pseudonymise their id; cases stay, for the community's
        statistics and accountability, but no longer point at the person."""
        s = self.s
        pseudonym = "forgotten-" + hashlib.sha256(
            f"{community}:{member}:{s.clock()}".encode()).hexdigest()[:12]
        counts = await s.storage.forget_member(community, member, pseudonym, moderator,
                                               s.clock())
        await s.recent.forget(community, member)  # where their recent messages are, too
        model = s.engine.model
        if counts.get("learned_examples") and model is not None:
            # what the model learned from them goes too: the weights, from the rest alone
            weights = await s.storage.relearn(community, model.bits, s.clock(), replay)
            s.learning.keep(community, weights, await s.storage.learned_version(community))
        return counts

    async def purge_excerpts(self) -> int:
        """Empty case excerpts older than the retention period (the cases themselves stay)."""
        now = self.s.clock()
        return await self.s.storage.purge_excerpts(now - self.s.retention_days * 86400, now)
