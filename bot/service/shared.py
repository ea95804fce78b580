"""What every part of the service shares, held in one place and handed to each part: the
storage, the engine, the clock, the flood windows, each community's settings and learning,
and the per-member locks that keep one member's decisions in order."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Callable

from bot.core import Engine
from bot.service.communities import Communities
from bot.service.learning import Learning
from bot.service.recent import RecentMessages
from bot.service.storage.base import Storage
from bot.service.windows import WindowStore


@dataclass(frozen=True)
class Shared:
    storage: Storage
    engine: Engine
    clock: Callable[[], float]
    windows: WindowStore
    communities: Communities
    learning: Learning
    recent: RecentMessages  # where each member's recent messages are (ids only), for purge
    retention_days: float  # excerpts are personal data: kept this long
    # at start-up, unconfirmed actions older than this are taken as a dead process's; with
    # several processes on one database, give the others time to confirm their own
    action_grace: float
    # one decision at a time per member: two offences arriving together escalate in order
    member_locks: dict[tuple[str, str], asyncio.Lock] = field(default_factory=dict)

    def category_of(self, rule_id: str) -> str:
        try:
            return self.engine.rule(rule_id).category
        except KeyError:
            return "community"  # a community's own term, or a rule since removed
