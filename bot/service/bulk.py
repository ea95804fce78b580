"""Decisions over many cases at once, for a rule that misfired: every automatic case of the rule
since a time is overturned (points refunded, mutes and bans lifted), each member told once, the
moderators told how many; first as a preview that says what it would touch, then for real.
Audited as one decision, and each case's change too."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import tzinfo

from bot.service.cases import CaseBook
from bot.service.modlog import log_text
from bot.service.models import Action, Case, ServiceError
from bot.service.shared import Shared
from bot.service.texts import member_text, when

MOST_CASES = 10_000  # one decision at most: a misfire larger than this is decided in parts


@dataclass(frozen=True)
class BulkPardon:
    """What a bulk pardon touches (``done``: it was carried out, not only previewed)."""

    rule: str
    since: float
    cases: int
    members: int
    mutes: int  # running mutes lifted
    bans: int  # bans lifted
    done: bool

    def said(self, zone: tzinfo | None, confirm_with: str = "") -> str:
        """For the moderator who asked: what it did, or would do and how to make it so."""
        since = when(self.since, zone)
        if not self.cases:
            return f"No automatic case of {self.rule} since {since}: nothing to overturn."
        what = (f"{self.cases} automatic case(s) of {self.rule} since {since}: "
                f"{self.members} member(s), {self.mutes} running mute(s) and {self.bans} ban(s) "
                "lifted, points refunded, each member told once")
        if self.done:
            return f"Overturned {what}."
        return f"This would overturn {what}.\nTo do it: {confirm_with}"


class Bulk:
    def __init__(self, shared: Shared, cases: CaseBook) -> None:
        self.s, self.cases = shared, cases

    async def _misfired(self, community: str, rule: str, since: float) -> list[Case]:
        if rule not in {r.id for r in self.s.engine.rules}:
            raise ServiceError(f"no rule {rule!r} (ids look like vi.insult.stupid; the mod log "
                               "names them)")
        found = await self.s.storage.list_cases(community, rule=rule, limit=MOST_CASES)
        return [c for c in found if c.actor == "auto" and c.rule_ids[:1] == (rule,)
                and c.status in ("active", "expired") and c.created_at >= since]

    async def pardon_rule(self, community: str, rule: str, since: float, moderator: str,
                          confirm: bool = False) -> tuple[BulkPardon, list[Action]]:
        """Overturn every automatic case whose deciding rule is ``rule`` since ``since``; with
        ``confirm`` False, only say what that would touch."""
        s = self.s
        now = s.clock()
        cases = sorted(await self._misfired(community, rule, since), key=lambda c: c.number)
        mutes = {c.id for c in cases if c.action == "mute" and c.until and c.until > now}
        bans = {c.id for c in cases if c.action == "ban" and c.status == "active"}
        per_member = Counter(c.member_id for c in cases)
        summary = BulkPardon(rule, since, len(cases), len(per_member), len(mutes), len(bans),
                             confirm and bool(cases))
        if not summary.done:
            return summary, []
        settings = await s.communities.settings(community)
        await s.storage.touch_moderator(community, moderator, now)
        await s.storage.audit(community, moderator, "bulk_pardon", {
            "rule": rule, "since": since, "cases": [c.number for c in cases],
            "members": summary.members}, now)
        told: set[str] = set()
        actions: list[Action] = []
        for case in cases:
            kinds = (("unmute",) if case.id in mutes else ()) + (
                ("unban",) if case.id in bans else ())
            tell = case.member_id not in told
            told.add(case.member_id)
            kinds += ("dm",) if tell else ()
            ids = await s.storage.change_case(
                case.id, moderator, "overturned", now, status="overturned", refund=True,
                cancel_schedule=True, action_kinds=kinds,
                detail={"bulk": {"rule": rule, "since": since}})
            await s.learning.learn(community, case.member_id, "bulk_pardon", 0, case.trace,
                                   case_id=case.id)
            text = {"dm": member_text("bulk_pardoned", case.language, n=per_member[case.member_id],
                                      rule=rule, reason=member_text("misfire", case.language))}
            actions += self.cases.actions(case, ids, kinds, settings, text=text)
        if settings.log_channel:
            lang = s.communities.log_language(community, settings)
            actions.append(Action(0, "modlog", community, channel_id=settings.log_channel,
                                  text=log_text("bulk_pardon", lang, moderator=moderator,
                                                cases=summary.cases, rule=rule,
                                                since=when(since, settings.zone),
                                                members=summary.members, mutes=summary.mutes,
                                                bans=summary.bans)))
        return summary, actions
