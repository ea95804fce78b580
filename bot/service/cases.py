"""A violation made a case: the ladder decides the member's sanction from their history, the
message's fate is decided apart, the case is recorded with one row per platform action, and the
case becomes the actions an adapter performs (with the texts the member and the moderators
read)."""

from __future__ import annotations

import asyncio

from bot.core import Hit
from bot.service.ladder import LadderStep, apply_overrides, decayed, step_for
from bot.service.modlog import case_entry, log_text, member_label
from bot.service.models import Action, Case, Incoming, NewCase, Trace
from bot.service.settings import Settings
from bot.service.shared import Shared
from bot.service.texts import member_text, when

# platform actions per case action, in the order the adapter should perform them: the member
# hears of a ban before it, since a banned member may not be reachable after
KINDS = {
    "warn": ("warn",),
    "delete_warn": ("delete", "warn"),
    "mute": ("delete", "mute", "dm"),
    "ban": ("dm", "delete", "ban"),
    "none": (),
}
MANUAL_KINDS = {"warn": ("dm",), "mute": ("mute", "dm"), "ban": ("dm", "ban")}


def message_fate(kinds: tuple[str, ...], removes: bool) -> tuple[str, ...]:
    """A ladder step's platform actions with the message removed first, or kept."""
    kept = tuple(k for k in kinds if k != "delete")
    return ("delete", *kept) if removes else kept


def excerpt(text: str, start: int, end: int, limit: int) -> str:
    """At most ``limit`` characters around the matched span, on one line."""
    text = " ".join(text.split()) if "\n" in text else text
    if len(text) <= limit:
        return text
    inner = max(1, limit - 2)  # the ellipses count: nothing stored is longer than the limit
    room = max(0, inner - (end - start))
    a = max(0, start - room // 2)
    b = min(len(text), a + inner)
    a = max(0, b - inner)
    return ("…" if a > 0 else "") + text[a:b] + ("…" if b < len(text) else "")


def sanction(settings: Settings, top: Hit, points: float) -> LadderStep:
    """The ladder's step for a member at ``points``, moved by the community's overrides for
    the deciding rule or its category."""
    step = step_for(settings.ladder, points)
    overrides = [(key, action) for target, key, action in settings.rule_overrides
                 if target in (top.rule_id, top.category)]
    return apply_overrides(step, overrides, settings.ladder)


def removes_message(settings: Settings, top: Hit) -> bool:
    """An acted-on hit removes its message, unless the community keeps messages of its
    category (what happens to the message is not the ladder's to say)."""
    return top.category not in settings.keep_message


def top_hit(hits: list[Hit]) -> Hit:
    """The hit that decides: the most severe, then the surest."""
    return max(hits, key=lambda h: (h.severity, h.confidence))


def appeal_buttons(number: int, language: str) -> tuple[tuple[str, str], ...]:
    return ((log_text("button_approve", language, number=number), f"appeal-approve:{number}"),
            (log_text("button_reject", language, number=number), f"appeal-reject:{number}"))


class CaseBook:
    """Deciding, recording and acting on cases."""

    def __init__(self, shared: Shared) -> None:
        self.s = shared

    async def act(self, msg: Incoming, hits: list[Hit], language: str, settings: Settings,
                  actor: str, shadow: bool, reason: str = "", subject: str = "message",
                  trace: Trace | None = None, quiet: bool = False) -> tuple[Case, list[Action]]:
        """Decide the member's sanction and record the case (one at a time per member). A
        shadow case is done to nobody; the mod log hears of it (marked) unless ``quiet``."""
        key = (msg.community_id, msg.author_id)
        locks = self.s.member_locks
        lock = locks.setdefault(key, asyncio.Lock())
        try:
            async with lock:
                return await self._decide_and_record(msg, hits, language, settings, actor,
                                                     shadow, reason, subject, trace, quiet)
        finally:
            if not lock.locked() and not lock._waiters:  # type: ignore[attr-defined]
                locks.pop(key, None)

    async def _decide(self, community: str, member: str, top: Hit, settings: Settings,
                      now: float) -> tuple[LadderStep, float]:
        history = await self.s.storage.member_points(community, member)
        total = decayed(history, now, settings.half_life_days) + top.severity
        return sanction(settings, top, total), total

    async def _decide_and_record(self, msg: Incoming, hits: list[Hit], language: str,
                                 settings: Settings, actor: str, shadow: bool, reason: str,
                                 subject: str, trace: Trace | None = None, quiet: bool = False
                                 ) -> tuple[Case, list[Action]]:
        storage = self.s.storage
        if actor == "auto" and msg.message_id:
            # a platform redelivers what the bot had not acknowledged before a crash: one
            # message, one case, and its actions were issued the first time
            done = await storage.case_for_message(msg.community_id, msg.platform, msg.message_id)
            if done is not None:
                return done, []
        now = self.s.clock()
        top = top_hit(hits)
        step, total = await self._decide(msg.community_id, msg.author_id, top, settings, now)
        rules = tuple(dict.fromkeys([top.rule_id] + [h.rule_id for h in hits]))
        until = now + step.minutes * 60 if step.action == "mute" else None
        removes = subject == "message" and bool(msg.message_id) and removes_message(settings, top)
        logged = ("modlog",) if settings.log_channel else ()
        # a community trying the bot in shadow mode reads what it would have done
        kinds = ((() if quiet else logged) if shadow
                 else message_fate(KINDS[step.action], removes) + logged)
        case, ids = await storage.record_case(NewCase(
            community_id=msg.community_id, platform=msg.platform, member_id=msg.author_id,
            action=step.action, actor=actor, status="shadow" if shadow else "active",
            points=float(top.severity), now=now, channel_id=msg.channel_id,
            message_id=msg.message_id, rule_ids=rules, clauses=self.clauses(rules),
            span=(top.start, top.end), excerpt=excerpt(msg.text, top.start, top.end,
                                                       settings.excerpt_length),
            confidence=top.confidence, until=until, reason=reason, language=language,
            action_kinds=kinds,
            schedule=(("mute_expiry", until),) if until and not shadow else (),
            audit_detail={"points_after": round(total, 3)}, trace=trace,
        ))
        why = self.s.engine.explain(top, language)
        text = None
        if subject == "name" and step.action in ("warn", "delete_warn"):
            text = {"warn": member_text("name", language, case=case.number, why=why,
                                        days=f"{settings.appeal_window_days:g}")}
        return case, self.actions(case, ids, kinds, settings, why=why, text=text,
                                  known_as=(msg.author_name, msg.author_username),
                                  link=msg.link)

    def clauses(self, rules: tuple[str, ...]) -> tuple[str, ...]:
        out = []
        for rid in rules:
            try:
                out.append(self.s.engine.rule(rid).clause)
            except KeyError:
                out.append("community")
        return tuple(out)

    def _cites(self, case: Case, language: str) -> list[str]:
        clauses = self.s.engine.clauses
        return [clauses[c].citation(language) if c in clauses else c for c in case.clauses]

    def why(self, case: Case) -> str:
        """The member's explanation for a stored case, rebuilt from its rule and clause."""
        if not case.rule_ids or not case.clauses:
            return case.reason
        return self.s.engine.explain_rule(case.rule_ids[0], case.clauses[0], case.language)

    def actions(self, case: Case, ids: list[int], kinds: tuple[str, ...], settings: Settings,
                why: str = "", text: dict[str, str] | None = None,
                known_as: tuple[str, str] = ("", ""), link: str = "") -> list[Action]:
        """Platform actions for ``case``, one per tracked kind. ``known_as`` (display name,
        username) and ``link``: how the mod log names the member and where it points (the case
        stores neither)."""
        days = f"{settings.appeal_window_days:g}"
        # a label names its case: a raid's notices share posts, a row of buttons for each case
        appeal = ((f"Kháng nghị #{case.number}" if case.language == "vi"
                   else f"Appeal #{case.number}", f"appeal:{case.number}"),)
        # (a warning rebuilt after a crash comes alone: the case's other actions say it too)
        removed = "delete" in kinds or any(k == "delete" for k, _, _ in case.outcomes)
        if case.status == "shadow":  # what would have happened to the message
            removed = bool(case.message_id and case.rule_ids) and self.s.category_of(
                case.rule_ids[0]) not in settings.keep_message
        # the member's sanction (delete_warn is a warning), told with the message's fate
        sanction = "warn" if case.action == "delete_warn" else case.action
        member_kind = "delete_warn" if sanction == "warn" and removed else sanction
        out = []
        for action_id, kind in zip(ids, kinds):
            base = dict(id=action_id, kind=kind, community_id=case.community_id,
                        member_id=case.member_id, channel_id=case.channel_id,
                        message_id=case.message_id, case_number=case.number,
                        language=case.language)
            if text and kind in text:
                out.append(Action(**base, text=text[kind]))
            elif kind in ("warn", "dm") and member_kind in ("warn", "delete_warn", "mute", "ban"):
                body = member_text(member_kind, case.language, case=case.number, why=why,
                                   days=days,
                                   until=when(case.until, settings.zone) if case.until else "",
                                   points=f"{case.points:g}")
                if removed and member_kind in ("mute", "ban"):
                    body = f"{member_text('removed', case.language)}\n{body}"
                out.append(Action(**base, text=body, buttons=appeal,
                                  delete_after=settings.warning_delete_after if kind == "warn" else 0))
            elif kind == "modlog":
                lang = self.s.communities.log_language(case.community_id, settings, case.language)
                body = case_entry(lang, case.number,
                                  member_label(case.member_id, lang, *known_as),
                                  case.rule_ids, self._cites(case, lang), case.excerpt,
                                  case.action, case.until, case.actor, case.confidence,
                                  removed=removed, points=case.points, zone=settings.zone,
                                  link=link, shadow=case.status == "shadow")
                pardon = ((log_text("button_pardon", lang, number=case.number),
                           f"pardon:{case.number}"),) if case.status != "shadow" else ()
                out.append(Action(**{**base, "channel_id": settings.log_channel}, text=body,
                                  buttons=pardon, with_outcomes=True))
            else:
                out.append(Action(**base, until=case.until if kind == "mute" else None))
        return out
