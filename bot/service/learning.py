"""What each community's moderators taught the learned stage: the weights their decisions
moved (a bounded cache, checked again every half minute so another process's lessons arrive),
the engine's policy built on them (with the language the community writes in), and the lesson
one decision teaches."""

from __future__ import annotations

from dataclasses import replace
from typing import Callable

from bot.core import CommunityPolicy, Engine, Hit, Verdict
from bot.core.learned import Overlay, step
from bot.core.model import logit
from bot.service.bounded import LRU
from bot.service.communities import COMMUNITIES_CACHED
from bot.service.models import Trace
from bot.service.settings import Settings
from bot.service.speakers import LanguageTally
from bot.service.storage.base import Storage

LEARNED_CHECK_SECONDS = 30.0  # how stale another process's learning may be here
_NOT_TEXT = ("flood", "duplicate", "mentions")  # hits the learned weights do not move


class Learning:
    """The learned weights per community, and the policy the engine judges it by."""

    def __init__(self, storage: Storage, engine: Engine, clock: Callable[[], float],
                 speakers: LanguageTally) -> None:
        self.storage, self.engine, self.clock = storage, engine, clock
        # what language each community writes, for a message that tells none of its own
        self.speakers = speakers
        # per community: (when checked, version, its learned weights)
        self._learned: LRU[str, tuple[float, int, Overlay | None]] = LRU(COMMUNITIES_CACHED)
        # per community: (the settings, the learned version, the policy built on them, the
        # language it was built for)
        self._policies: LRU[str, tuple[Settings, int, CommunityPolicy, str | None]] = LRU(
            COMMUNITIES_CACHED)

    async def policy(self, community: str, settings: Settings) -> CommunityPolicy:
        """The engine's view of a community: its settings, what its moderators taught, and
        under language ``auto`` the language most of its members write in."""
        usual = self.speakers.majority(community) if settings.language == "auto" else None
        overlay, version = None, 0
        if self.engine.model is not None:
            now = self.clock()
            checked = self._learned.get(community)
            if checked is None or now - checked[0] >= LEARNED_CHECK_SECONDS:
                version = await self.storage.learned_version(community)
                if checked is None or version != checked[1]:
                    overlay = await self._load(community)
                else:
                    overlay = checked[2]
                checked = self._learned[community] = (now, version, overlay)
            version, overlay = checked[1], checked[2]
        built = self._policies.get(community)
        if built is None or built[0] is not settings or built[1] != version or built[3] != usual:
            policy = settings.policy
            if overlay:
                policy = replace(policy, learned=overlay)
            if usual:  # (a community whose setting names its language has it in its policy)
                policy = replace(policy, language=usual)
            built = self._policies[community] = (settings, version, policy, usual)
        return built[2]

    async def _load(self, community: str) -> Overlay | None:
        got = await self.storage.learned_weights(community)
        assert self.engine.model is not None
        if got is None or got[0] != self.engine.model.bits:
            return None  # nothing learned, or learned over another model's features
        return Overlay(got[1]) or None

    def keep(self, community: str, weights: dict[int, float], version: int) -> None:
        self._learned[community] = (self.clock(), version, Overlay(weights) or None)

    def trace(self, verdict: Verdict, top: Hit) -> Trace | None:
        """What a moderator's decision on this message would teach: its features and the
        log-odds the bot gave its top hit before the community's learning moved them."""
        note, model = verdict.model, self.engine.model
        if note is None or model is None:
            return None
        buckets = tuple(model.features_of(*note.read))
        if not buckets:
            return None
        learned = note.learned if top.via not in _NOT_TEXT else 0.0
        return Trace(buckets, model.bits, logit(top.confidence) - learned)

    async def read(self, community: str, settings: Settings, text: str) -> Trace | None:
        """The trace of a message a moderator acted on by hand (whatever the bot made of it)."""
        verdict = self.engine.check(text, await self.policy(community, settings), note=True)
        if verdict.model is None or self.engine.model is None:
            return None
        top = verdict.top()
        if top is not None:
            return self.trace(verdict, top)
        note = verdict.model
        return Trace(tuple(self.engine.model.features_of(*note.read)), self.engine.model.bits,
                     logit(note.base))

    async def learn(self, community: str, member: str, source: str, label: int,
                    trace: Trace | None, case_id: int | None = None,
                    review_id: int | None = None) -> None:
        """One moderator decision, taught to the community's model (if the message was traced
        and the model reads the same features), from the next message on."""
        model = self.engine.model
        if trace is None or model is None or trace.bits != model.bits:
            return
        weights, version = await self.storage.learn(community, member, source, label, trace,
                                                    self.clock(), step, case_id, review_id)
        self.keep(community, weights, version)
