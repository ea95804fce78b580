"""What moderators do to cases by hand: look them up, warn, mute or ban a member themselves
(same history, same ladder points), lift a mute, pardon a case, edit its reason, and the
community's statistics. Each change is audited with the moderator as actor."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from bot.service.cases import MANUAL_KINDS, CaseBook
from bot.service.ladder import parse_duration
from bot.service.models import (
    Action, Appeal, AuditEntry, Case, CaseQuery, NewCase, ServiceError,
)
from bot.service.shared import Shared
from bot.service.texts import member_text


def purge_amount(text: str) -> tuple[int | None, float | None]:
    """What ``purge`` is told to remove, as typed: "20" (the last 20 messages), "10m" (those of
    the last ten minutes), or "" (all the bot remembers): (count, minutes)."""
    text = text.strip()
    if not text:
        return None, None
    if text.isdigit():
        return int(text), None
    return None, parse_duration(text)


class ModeratorDesk:
    def __init__(self, shared: Shared, cases: CaseBook) -> None:
        self.s, self.cases = shared, cases

    async def case(self, community: str, number: int) -> Case:
        case = await self.s.storage.get_case(community, number)
        if case is None:
            raise ServiceError(f"no case #{number} in this community")
        return case

    async def list_cases(self, community: str, member: str | None = None, rule: str | None = None,
                         status: str | None = None, limit: int = 50) -> list[Case]:
        return await self.s.storage.list_cases(community, member, rule, status, limit)

    async def search_cases(self, community: str, query: CaseQuery,
                           category: str | None = None) -> tuple[list[Case], int]:
        """A page of the community's cases, newest first, and how many match; ``category``
        narrows to its rules (with ``query.rules`` too: the rules in both)."""
        if category:
            rules = tuple(r.id for r in self.s.engine.rules if r.category == category)
            if query.rules is not None:
                rules = tuple(r for r in query.rules if r in rules)
            query = replace(query, rules=rules)
        return await self.s.storage.search_cases(community, query)

    async def communities(self) -> list[str]:
        """Every community the bot has settings or cases for."""
        return await self.s.storage.communities()

    async def show_case(self, community: str, number: int
                        ) -> tuple[Case, list[AuditEntry], list[Appeal]]:
        case = await self.case(community, number)
        return (case, await self.s.storage.case_history(case.id),
                await self.s.storage.appeals_for_case(case.id))

    async def manual(self, community: str, platform: str, member: str, moderator: str,
                     action: str, reason: str, minutes: float | None = None,
                     channel: str = "", message_id: str = "", text: str = "",
                     member_name: str = "", member_username: str = "",
                     link: str = "") -> tuple[Case, list[Action]]:
        """A moderator's warn, mute or ban: same history, same ladder points. ``text``: the
        message it answers (a reply to it), which teaches the community's model: a violation.
        ``member_name``, ``member_username`` and ``link``: for the mod log, as ``Incoming``."""
        if action not in MANUAL_KINDS:
            raise ServiceError(f"unknown action {action!r} (warn, mute or ban)")
        if action == "mute" and not minutes:
            raise ServiceError("a mute needs a duration")
        s = self.s
        settings = await s.communities.settings(community)
        now = s.clock()
        await s.storage.touch_moderator(community, moderator, now)
        until = now + minutes * 60 if action == "mute" and minutes else None
        kinds = MANUAL_KINDS[action] + (("modlog",) if settings.log_channel else ())
        trace = await s.learning.read(community, settings, text) if text.strip() else None
        case, ids = await s.storage.record_case(NewCase(
            community_id=community, platform=platform, member_id=member, action=action,
            actor=moderator, status="active", points=settings.manual_points_for(action), now=now,
            channel_id=channel, message_id=message_id, until=until, reason=reason,
            language=s.communities.log_language(community, settings),
            action_kinds=kinds, schedule=(("mute_expiry", until),) if until else (),
            trace=trace))
        await s.learning.learn(community, member, f"manual_{action}", 1, trace, case_id=case.id)
        return case, self.cases.actions(case, ids, kinds, settings, why=reason,
                                        known_as=(member_name, member_username), link=link)

    async def unmute(self, community: str, member: str, moderator: str) -> list[Action]:
        s = self.s
        now = s.clock()
        running = [c for c in await s.storage.list_cases(community, member, status="active",
                                                         limit=1000)
                   if c.action == "mute" and c.until and c.until > now]
        if not running:
            raise ServiceError(f"member {member} has no running mute")
        await s.storage.touch_moderator(community, moderator, now)
        settings = await s.communities.settings(community)
        actions: list[Action] = []
        for case in running:
            kinds = ("unmute", "dm")
            ids = await s.storage.change_case(case.id, moderator, "unmuted", now,
                                              status="expired", cancel_schedule=True,
                                              action_kinds=kinds)
            text = {"dm": member_text("unmuted", case.language, case=case.number)}
            actions += self.cases.actions(case, ids, kinds, settings, text=text)
        return actions

    async def pardon(self, community: str, number: int, moderator: str,
                     reason: str | None) -> list[Action]:
        """``reason`` None: a button pressed, no reason typed (the member reads that a
        moderator looked at the case, in their language)."""
        case = await self.case(community, number)
        reason = member_text("by_button", case.language) if reason is None else reason
        if case.status not in ("active", "expired"):
            raise ServiceError(f"case #{number} is {case.status}; nothing to pardon")
        s = self.s
        now = s.clock()
        await s.storage.touch_moderator(community, moderator, now)
        settings = await s.communities.settings(community)
        running_mute = case.action == "mute" and case.until and case.until > now
        kinds = (("unmute",) if running_mute else ()) + ("dm",)
        ids = await s.storage.change_case(case.id, moderator, "pardoned", now,
                                          status="pardoned", refund=True,
                                          cancel_schedule=True, action_kinds=kinds,
                                          detail={"reason": reason})
        await s.learning.learn(community, case.member_id, "pardon", 0, case.trace,
                               case_id=case.id)
        text = {"dm": member_text("pardoned", case.language, case=case.number, reason=reason)}
        return self.cases.actions(case, ids, kinds, settings, text=text)

    async def edit_reason(self, community: str, number: int, moderator: str, reason: str) -> Case:
        case = await self.case(community, number)
        await self.s.storage.change_case(case.id, moderator, "reason_edited", self.s.clock(),
                                         reason=reason)
        return await self.case(community, number)

    async def purge(self, community: str, member: str, moderator: str, count: int | None = None,
                    minutes: float | None = None) -> tuple[int, list[Action]]:
        """Delete the member's recent messages: the last ``count``, or those of the last
        ``minutes``, or all the bot remembers (ids only, for a day at most). How many, and
        the platform actions: one per channel, the adapter deletes in batches."""
        s = self.s
        now = s.clock()
        if count is not None and count < 1:
            raise ServiceError("give how many messages (1 or more) or a time such as 10m")
        since = now - minutes * 60 if minutes else 0.0
        sent = await s.recent.take(community, member, since, count)
        await s.storage.touch_moderator(community, moderator, now)
        await s.storage.audit(community, moderator, "purge",
                              {"member": member, "messages": len(sent)}, now)
        channels: dict[str, list[str]] = {}
        for one in sent:
            channels.setdefault(one.channel_id, []).append(one.message_id)
        return len(sent), [Action(0, "purge", community, member_id=member, channel_id=channel,
                                  message_ids=tuple(ids)) for channel, ids in channels.items()]

    async def stats(self, community: str | None = None) -> dict:
        return await self.s.storage.stats(community)

    async def activity(self, community: str, days: int = 30) -> dict:
        """The last ``days`` days of a community, counted for charts in its time zone: cases
        per day by category, cases acted on / shadow per day, review items by hour of the
        day, and appeals by outcome."""
        s = self.s
        zone = (await s.communities.settings(community)).zone
        now = s.clock()
        raw = await s.storage.activity(community, now - days * 86400)

        def day(t: float) -> str:
            return datetime.fromtimestamp(t, zone).strftime("%Y-%m-%d")
        days_shown = [day(now - (days - 1 - i) * 86400) for i in range(days)]
        by_category: dict[str, dict[str, int]] = {d: {} for d in days_shown}
        tiers: dict[str, dict[str, int]] = {d: {"acted": 0, "shadow": 0, "review": 0}
                                            for d in days_shown}
        for created, rules, status in raw["cases"]:
            d = day(created)
            if d not in by_category:
                continue
            category = s.category_of(rules[0]) if rules else "manual"
            by_category[d][category] = by_category[d].get(category, 0) + 1
            tiers[d]["shadow" if status == "shadow" else "acted"] += 1
        hours = [0] * 24
        for created, _ in raw["reviews"]:
            d = day(created)
            if d in tiers:
                tiers[d]["review"] += 1
            hours[datetime.fromtimestamp(created, zone).hour] += 1
        appeals: dict[str, int] = {}
        for _, status in raw["appeals"]:
            appeals[status] = appeals.get(status, 0) + 1
        return {"days": days_shown, "by_category": by_category, "tiers": tiers,
                "review_by_hour": hours, "appeals": appeals}
