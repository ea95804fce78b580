"""What happens after the bot acts, and after it was down: the adapter's report on each action
(a failure recorded on the case and told to moderators once an hour), the outcome line of a
mod-log entry, actions recorded but never confirmed (a crash) issued again, and timed actions
(mute expiries and renewals, appeal reminders) run when due, restarts included."""

from __future__ import annotations

from bot.service.bounded import LRU
from bot.service.cases import CaseBook, appeal_buttons
from bot.service.communities import COMMUNITIES_CACHED
from bot.service.modlog import done_name, log_text, member_label, outcome_text
from bot.service.models import Action, Case, ServiceError
from bot.service.raids import Raids
from bot.service.verification import Verification
from bot.service.shared import Shared

FAILURE_NOTICE_SECONDS = 3600  # the same failure is reported to moderators once an hour at most


class Recovery:
    def __init__(self, shared: Shared, cases: CaseBook, raids: Raids,
                 verification: Verification) -> None:
        self.s, self.cases, self.raids, self.verification = shared, cases, raids, verification
        self._notified: LRU[tuple[str, str, str], float] = LRU(COMMUNITIES_CACHED)

    async def outcome_line(self, community: str, number: int) -> str:
        """How the case's platform actions went so far, for the mod-log entry posted last."""
        case = await self.s.storage.get_case(community, number)
        if case is None:
            return ""
        settings = await self.s.communities.settings(community)
        return outcome_text(case.outcomes,
                            self.s.communities.log_language(community, settings, case.language))

    async def confirm(self, action_id: int, ok: bool, reason: str = "",
                      applied_until: float | None = None) -> list[Action]:
        """The adapter's report on one action. A failure is recorded on the case; moderators
        hear of it once (per community, action and reason, per hour).

        ``applied_until``: a mute the platform could only apply until then (Discord caps a
        timeout at 28 days); the service renews it at that time, restarts included.
        """
        if action_id == 0:
            return []
        s = self.s
        now = s.clock()
        result = await s.storage.set_action_state(action_id, "done" if ok else "failed",
                                                  reason, now)
        if result is None:
            raise ServiceError(f"unknown action {action_id}")
        case_id, kind = result
        if ok and kind == "mute" and applied_until:
            case = await s.storage.get_case_by_id(case_id)
            if case and case.until and now < applied_until < case.until:
                # (a past time would renew in a loop)
                await s.storage.schedule(case.community_id, case.id, "mute_renew", applied_until)
        if ok or kind == "modlog":
            return []  # a failed mod-log post cannot be reported to the mod log
        case = await s.storage.get_case_by_id(case_id)
        if case is None:
            return []
        settings = await s.communities.settings(case.community_id)
        key = (case.community_id, kind, reason)
        if not settings.log_channel or now - self._notified.get(key, -1e18) < FAILURE_NOTICE_SECONDS:
            return []
        self._notified[key] = now
        ids = await s.storage.change_case(case.id, "platform", "failure_reported", now,
                                          action_kinds=("modlog",),
                                          detail={"kind": kind, "reason": reason})
        lang = s.communities.log_language(case.community_id, settings, case.language)
        text = log_text("failure", lang, number=case.number, kind=done_name(kind, lang),
                        member=member_label(case.member_id, lang), reason=reason)
        return [Action(ids[0], "modlog", case.community_id, member_id=case.member_id,
                       channel_id=settings.log_channel, case_number=case.number, text=text)]

    async def unfinished_actions(self, grace: float | None = None) -> list[Action]:
        """Actions recorded but never confirmed (the bot died between recording a case and
        acting on it): issue them again. Run at start-up, before new traffic."""
        s = self.s
        out: list[Action] = []
        cutoff = s.clock() - (s.action_grace if grace is None else grace)
        for action_id, case_id, kind in await s.storage.pending_actions(cutoff):
            case = await s.storage.get_case_by_id(case_id)
            if case is None or case.status not in ("active", "expired"):
                continue
            settings = await s.communities.settings(case.community_id)
            out += self.cases.actions(case, [action_id], (kind,), settings,
                                      why=self.cases.why(case))
        return out

    async def run_due(self) -> list[Action]:
        """Act on every timed action that is due (at start-up: all that fell due while down)."""
        s = self.s
        now = s.clock()
        actions: list[Action] = []
        for sched_id, community, kind, case_id in await s.storage.due(now):
            case = await s.storage.get_case_by_id(case_id)
            if case is not None:
                actions += await self._timed(kind, case, now)
            await s.storage.finish_scheduled(sched_id, now)
        # (a challenge that ran out removes the member before a raid's end would release them)
        return actions + await self.verification.due() + await self.raids.due()

    async def _timed(self, kind: str, case: Case, now: float) -> list[Action]:
        s = self.s
        settings = await s.communities.settings(case.community_id)
        if kind == "mute_expiry":
            if case.status != "active":
                return []  # pardoned or overturned: the mute was lifted then
            kinds = ("unmute",)
            ids = await s.storage.change_case(case.id, "auto", "mute_expired", now,
                                              status="expired", action_kinds=kinds)
            return self.cases.actions(case, ids, kinds, settings)
        if kind == "mute_renew":
            if case.status != "active" or not case.until or case.until <= now:
                return []
            ids = await s.storage.change_case(case.id, "auto", "mute_renewed", now,
                                              action_kinds=("mute",))
            return self.cases.actions(case, ids, ("mute",), settings)
        if kind == "appeal_reminder" and settings.log_channel:
            if not any(a.status == "open" for a in await s.storage.appeals_for_case(case.id)):
                return []
            ids = await s.storage.change_case(case.id, "auto", "appeal_reminder", now,
                                              action_kinds=("modlog",))
            lang = s.communities.log_language(case.community_id, settings, case.language)
            text = log_text("appeal_reminder", lang, number=case.number)
            return [Action(ids[0], "modlog", case.community_id, channel_id=settings.log_channel,
                           case_number=case.number, text=text,
                           buttons=appeal_buttons(case.number, lang))]
        return []

    async def next_due(self) -> float | None:
        times = [t for t in (await self.s.storage.next_due(), await self.raids.next_end(),
                             await self.verification.next_end()) if t is not None]
        return min(times, default=None)

    async def confirm_untracked(self, action: Action, ok: bool, note: str = "") -> list[Action]:
        """The adapter's report on an action that belongs to no case (raid mode's changes, a
        raid's bans): a change is remembered with what it replaced, so the end of raid mode
        restores it; a failure is told to moderators (once an hour per kind and reason)."""
        s = self.s
        if ok:
            await self.raids.changed(action, note)
            await self.verification.posted(action, note)
            return []
        community = action.community_id
        settings = await s.communities.settings(community)
        now = s.clock()
        key = (community, action.kind, note)
        # (a welcome a member's closed DMs refused is their choice, not the moderators' problem)
        if action.kind in ("modlog", "welcome") or not settings.log_channel or \
                now - self._notified.get(key, -1e18) < FAILURE_NOTICE_SECONDS:
            return []
        self._notified[key] = now
        await s.storage.audit(community, "platform", "failure_reported",
                              {"kind": action.kind, "member": action.member_id,
                               "channel": action.channel_id, "reason": note}, now)
        lang = s.communities.log_language(community, settings)
        target = member_label(action.member_id, lang) if action.member_id else \
            (action.channel_id or community)
        text = log_text("failure_raid", lang, kind=done_name(action.kind, lang), target=target,
                        reason=note)
        return [Action(0, "modlog", community, channel_id=settings.log_channel, text=text)]
