"""What both platforms' performers share: actions in order, and follow-ups after each."""

from __future__ import annotations

from bot.service import Action, ModerationService

# Pauses before trying a transiently failed platform call again (a 5xx, a timeout, a dropped
# connection); after the last, the action is recorded as failed on its case.
BACKOFF = (0.5, 1.0, 2.0, 4.0)


class BasePerformer:
    service: ModerationService

    async def perform(self, actions: list[Action]) -> None:
        """Carry out ``actions`` in order; what the service answers to an outcome comes next."""
        for action in actions:
            follow = await self._one(action)
            if follow:
                await self.perform(follow)

    async def _one(self, action: Action) -> list[Action]:
        """Carry out one action and report its outcome; the service's follow-up actions."""
        raise NotImplementedError
