"""What both platforms' performers share: actions in order, follow-ups after each, and how a
failed platform call is tried again or recorded as failed on its case."""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass
from typing import Iterator

from bot.service import Action, ModerationService

log = logging.getLogger(__name__)

# Pauses before trying a transiently failed platform call again (a 5xx, a timeout, a dropped
# connection); after the last, the action is recorded as failed on its case.
BACKOFF = (0.5, 1.0, 2.0, 4.0)
# A rate limit longer than this is not waited out: the action is recorded as failed, and the
# moderators hear of it, rather than a queue of actions stalling behind it.
MAX_RETRY_AFTER = 30.0


@dataclass(frozen=True, slots=True)
class Trouble:
    """What a failed platform call means for its action."""

    reason: str  # recorded on the case if the action fails
    wait: float | None = None  # a rate limit: seconds the platform asks the bot to wait
    transient: bool = False  # worth another try after a pause (a 5xx, a timeout, a drop)


def retry_pause(trouble: Trouble, pauses: Iterator[float], rng: random.Random) -> float | None:
    """Seconds before the next try, or None: give up. Jittered, so the actions a raid's failure
    hit together do not all try again at the same moment (and fail together again)."""
    if trouble.wait is not None:  # waited out, as one of the tries
        if trouble.wait <= MAX_RETRY_AFTER and next(pauses, None) is not None:
            return trouble.wait + rng.uniform(0.0, min(1.0, 0.25 * trouble.wait + 0.1))
        return None
    if trouble.transient:
        pause = next(pauses, None)
        return None if pause is None else pause * rng.uniform(0.5, 1.5)
    return None


class BasePerformer:
    service: ModerationService
    platform = ""
    rng = random.Random()  # (a test may give a performer its own, seeded)

    async def perform(self, actions: list[Action]) -> None:
        """Carry out ``actions`` in order; what the service answers to an outcome comes next."""
        for action in actions:
            follow = await self._one(action)
            if follow:
                await self.perform(follow)

    async def _do(self, action: Action) -> tuple[str, float | None]:
        """Carry out one action: a note for the case, and (Discord's capped timeouts) the time
        until which a mute could be applied."""
        raise NotImplementedError

    def trouble(self, exc: Exception) -> Trouble | None:
        """What ``exc`` from the platform's library means; None: not a platform failure."""
        raise NotImplementedError

    async def _one(self, action: Action) -> list[Action]:
        """Carry out one action and report its outcome; the service's follow-up actions."""
        pauses = iter(BACKOFF)
        while True:
            try:
                note, applied = await self._do(action)
            except Exception as exc:
                trouble = self.trouble(exc)
                if trouble is None:
                    raise
                pause = retry_pause(trouble, pauses, self.rng)
                if pause is None:
                    reason = trouble.reason + (f" (after {len(BACKOFF) + 1} attempts)"
                                               if trouble.transient else "")
                    log.warning("%s %s (%s) failed: %s", self.platform, action.kind,
                                f"case #{action.case_number}" if action.case_number is not None
                                else "no case", reason)
                    if action.id == 0:
                        return await self.service.confirm_untracked(action, False, reason)
                    return await self.service.confirm(action.id, False, reason)
                await asyncio.sleep(pause)
            else:
                if action.id == 0:
                    return await self.service.confirm_untracked(action, True, note)
                return await self.service.confirm(action.id, True, note, applied_until=applied)
