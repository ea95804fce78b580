"""Appeals: a member sees their own cases and appeals one (begun in a direct message, kept in
the database so any worker receives its text), within the community's limits; a moderator other
than the one who acted approves or rejects it, and the member is told why."""

from __future__ import annotations

from bot.service.cases import CaseBook, appeal_buttons
from bot.service.modlog import done_name, log_text, member_label
from bot.service.moderators import ModeratorDesk
from bot.service.models import Action, Appeal, Case, ServiceError
from bot.service.shared import Shared
from bot.service.texts import member_text

APPEAL_DRAFT_SECONDS = 3600.0  # how long a begun appeal waits for the member's text


class Appeals:
    def __init__(self, shared: Shared, cases: CaseBook, desk: ModeratorDesk) -> None:
        self.s, self.cases, self.desk = shared, cases, desk

    async def open_appeals(self, community: str) -> list[Appeal]:
        return await self.s.storage.open_appeals(community)

    async def decide_appeal(self, community: str, number: int, moderator: str, approve: bool,
                            reason: str | None) -> list[Action]:
        """``reason`` None: decided with a button (see ``pardon``); typed, it may not be empty."""
        s = self.s
        case = await self.desk.case(community, number)
        reason = member_text("by_button", case.language) if reason is None else reason
        pending = [a for a in await s.storage.appeals_for_case(case.id) if a.status == "open"]
        if not pending:
            raise ServiceError(f"case #{number} has no open appeal")
        if not reason.strip():
            raise ServiceError("give a reason: the member is told it")
        now = s.clock()
        await s.storage.touch_moderator(community, moderator, now)
        if moderator == case.actor and any(m != moderator
                                           for m in await s.storage.moderators(community)):
            raise ServiceError(f"you took the action in case #{number}; "
                               "another moderator must decide its appeal")
        running_mute = approve and case.action == "mute" and case.until and case.until > now
        kinds = (("unmute",) if running_mute else ()) + ("dm",)
        _, ids = await s.storage.decide_appeal(pending[0].id, moderator, approve, reason, now,
                                               kinds)
        settings = await s.communities.settings(community)
        kind = "appeal_approved" if approve else "appeal_rejected"
        await s.learning.learn(community, case.member_id, kind, 0 if approve else 1, case.trace,
                               case_id=case.id)
        text = {"dm": member_text(kind, case.language, case=case.number, reason=reason)}
        return self.cases.actions(case, ids, kinds, settings, text=text)

    async def my_cases(self, community: str, member: str) -> list[Case]:
        return await self.s.storage.list_cases(community, member, limit=100)

    async def member_case(self, community: str, number: int, member: str) -> Case:
        """A member's own case; another member's case looks exactly like a missing one (in
        both languages: whose language it is cannot be told from a case they do not have)."""
        case = await self.s.storage.get_case(community, number)
        if case is None or case.member_id != member or case.status == "shadow":
            raise ServiceError(member_text("no_case", "vi", case=number))
        return case

    async def begin_appeal(self, platform: str, community: str, number: int,
                           member: str) -> Case:
        """A member asks to appeal a case in a direct message; their next message there is the
        appeal. Kept in the database, so any worker may receive that next message."""
        case = await self.member_case(community, number, member)
        await self.s.storage.save_appeal_draft(platform, member, community, number,
                                               self.s.clock() + APPEAL_DRAFT_SECONDS)
        return case

    async def appeal_begun(self, platform: str, member: str, text: str,
                           member_name: str = "", member_username: str = ""
                           ) -> tuple[int, Appeal, list[Action]] | None:
        """A direct message: the appeal, if the member began one (None if not). A refused
        appeal (too long, too many) keeps the draft, so the member can write it again."""
        now = self.s.clock()
        draft = await self.s.storage.appeal_draft(platform, member, now)
        if draft is None:
            return None
        community, number = draft
        appeal, actions = await self.appeal(community, number, member, text, member_name,
                                            member_username)
        await self.s.storage.drop_appeal_draft(platform, member, now)
        return number, appeal, actions

    async def appeal(self, community: str, number: int, member: str, text: str,
                     member_name: str = "", member_username: str = ""
                     ) -> tuple[Appeal, list[Action]]:
        """A member's appeal of their case (``member_name``, ``member_username``: how the mod
        log names them)."""
        s = self.s
        case = await self.member_case(community, number, member)
        settings = await s.communities.settings(community)
        now = s.clock()
        text = text.strip()

        def refused(kind: str, **values: object) -> ServiceError:
            # told to the member, in the language of their case
            return ServiceError(member_text(kind, case.language, case=number, **values))

        if case.status not in ("active", "expired"):
            raise refused("appeal_not_open", status=case.status)
        if now - case.created_at > settings.appeal_window_days * 86400:
            raise refused("appeal_closed", days=f"{settings.appeal_window_days:g}")
        if len(await s.storage.appeals_for_case(case.id)) >= settings.appeals_per_case:
            raise refused("appeal_twice")
        if await s.storage.appeals_since(community, member, now - 3600) >= settings.appeals_per_hour:
            raise refused("appeal_rate", n=settings.appeals_per_hour)
        if not text:
            raise refused("appeal_empty")
        if len(text) > settings.appeal_max_length:
            raise refused("appeal_long", max=settings.appeal_max_length, n=len(text))
        appeal = await s.storage.create_appeal(
            case, member, text, now, now + settings.appeal_reminder_hours * 3600)
        if not settings.log_channel:
            return appeal, []
        ids = await s.storage.change_case(case.id, member, "appeal_posted", now,
                                          action_kinds=("modlog",))
        lang = s.communities.log_language(community, settings, case.language)
        body = log_text("appeal", lang, number=case.number,
                        member=member_label(member, lang, member_name, member_username),
                        rules=", ".join(case.rule_ids) or done_name(case.action, lang), text=text)
        return appeal, [Action(ids[0], "modlog", community, member_id=member,
                               channel_id=settings.log_channel, case_number=case.number,
                               text=body, buttons=appeal_buttons(case.number, lang))]
