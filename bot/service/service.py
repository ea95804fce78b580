"""The moderation service: what adapters call. It decides, records and explains; adapters only act.

Each platform action it returns is tracked on its case; the adapter confirms it done or failed
with ``confirm``, and a failure is recorded on the case and reported to moderators once.
"""

from __future__ import annotations

import asyncio
import difflib
import hashlib
import json
import time
from dataclasses import replace
from typing import Awaitable, Callable

from bot.core import (
    ChannelWindow, CommunityPolicy, Engine, Hit, Message, Verdict, detect_language,
)
from bot.core.ruleset import CATEGORIES
from bot.core.learned import Overlay, replay, step
from bot.core.model import logit
from bot.service.ladder import LadderStep, apply_overrides, decayed, step_for
from bot.service.models import (
    Action, Appeal, AuditEntry, Case, Incoming, NewCase, ReviewItem, ServiceError, Trace,
)
from bot.service.settings import Settings, parse_typed, settings_view, spec_for, update
from bot.service.storage.base import Storage
from bot.service.modlog import case_entry, done_name, log_text, member_label, outcome_text
from bot.service.speakers import LanguageTally
from bot.service.texts import member_text, when
from bot.service.tiers import ACT, NONE, tier
from bot.service.bounded import LRU
from bot.service.windows import LocalWindows, WindowStore, outage_of

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
FAILURE_NOTICE_SECONDS = 3600  # the same failure is reported to moderators once an hour at most
LEARNED_CHECK_SECONDS = 30.0  # how stale another process's learning may be here
SETTINGS_CHECK_SECONDS = 5.0  # how stale another process's settings change may be here
APPEAL_DRAFT_SECONDS = 3600.0  # how long a begun appeal waits for the member's text
COMMUNITIES_CACHED = 10_000  # communities whose settings and learning a process keeps at hand
_NOT_TEXT = ("flood", "duplicate", "mentions")  # hits the learned weights do not move


def message_fate(kinds: tuple[str, ...], removes: bool) -> tuple[str, ...]:
    """A ladder step's platform actions with the message removed first, or kept."""
    kept = tuple(k for k in kinds if k != "delete")
    return ("delete", *kept) if removes else kept


def review_allowance(confidence: float, settings: Settings) -> int:
    """How many review items an hour an item of this confidence may come after."""
    span = max(settings.review_threshold - settings.review_floor, 1e-6)
    share = 0.5 + 0.5 * min(1.0, max(0.0, (confidence - settings.review_floor) / span))
    return max(1, int(settings.review_budget_per_hour * share))


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


class ModerationService:
    def __init__(self, storage: Storage, engine: Engine,
                 clock: Callable[[], float] = time.time, retention_days: float = 90.0,
                 windows: WindowStore | None = None, action_grace: float = 0.0) -> None:
        self.storage = storage
        self.windows: WindowStore = windows or LocalWindows()
        # at start-up, unconfirmed actions older than this are taken as a dead process's; with
        # several processes on one database, give the others time to confirm their own
        self.action_grace = action_grace
        self.retention_days = retention_days  # excerpts are personal data: kept this long
        self.engine = engine
        self.clock = clock
        # Caches are bounded (a bot in many communities must not grow without limit) and
        # settings are read again after SETTINGS_CHECK_SECONDS, so a change made in another
        # process reaches this one within seconds. Per community: (when read, the stored JSON,
        # the settings)
        self._settings: LRU[str, tuple[float, str | None, Settings]] = LRU(COMMUNITIES_CACHED)
        self._outage_told: LRU[str, int] = LRU(COMMUNITIES_CACHED)  # the outage it was told of
        # per community: (when checked, version, its learned weights, the policy built on them)
        self._learned: LRU[str, tuple[float, int, Overlay | None]] = LRU(COMMUNITIES_CACHED)
        self._policies: LRU[str, tuple[Settings, int, CommunityPolicy]] = LRU(COMMUNITIES_CACHED)
        self._notified: LRU[tuple[str, str, str], float] = LRU(COMMUNITIES_CACHED)
        # one decision at a time per member: two offences arriving together escalate in order
        self._member_locks: dict[tuple[str, str], asyncio.Lock] = {}
        self.speakers = LanguageTally(COMMUNITIES_CACHED)

    # -- settings ---------------------------------------------------------------------------

    async def settings(self, community: str) -> Settings:
        now = self.clock()
        got = self._settings.get(community)
        if got is not None and now - got[0] < SETTINGS_CHECK_SECONDS:
            return got[2]
        raw = await self.storage.load_settings(community)
        if got is not None and raw == got[1]:
            settings = got[2]  # unchanged: keep the object (and the policy built on it)
        else:
            settings = Settings.from_json(raw) if raw else Settings()
        self._settings[community] = (now, raw, settings)
        return settings

    async def configure(self, community: str, moderator: str, name: str = "",
                        typed: str | None = None) -> str:
        """``/config [NAME [VALUE]]`` as a moderator types it: every setting, one setting with
        its help, or a change (the value as typed: "scam", "a, b", "on", JSON). The text to
        show; ServiceError says what a setting takes."""
        if name and typed is not None and typed.strip():
            await self.update_settings(community, moderator, {name: parse_typed(typed)})
        view = settings_view(await self.settings(community))
        if not name:
            # the id first: what the command line's --community takes
            return "\n".join([f"community: {community}"] + [
                f"{k}: {json.dumps(v, ensure_ascii=False)}" for k, v in sorted(view.items())])
        spec = spec_for(name)  # (an unknown name: the settings there are)
        return f"{name}: {json.dumps(view[name], ensure_ascii=False)}\n{spec.help}"

    async def update_settings(self, community: str, moderator: str,
                              changes: dict[str, object]) -> Settings:
        old = await self.settings(community)
        new = update(old, changes)  # raises ServiceError naming a bad option
        self._check_rule_ids(new, changes)
        before, after = settings_view(old), settings_view(new)
        diff = {k: {"from": before[k], "to": after[k]} for k in after if before[k] != after[k]}
        stored = new.to_json()
        await self.storage.save_settings(community, stored, moderator, diff, self.clock())
        await self.storage.touch_moderator(community, moderator, self.clock())
        self._settings[community] = (self.clock(), stored, new)
        return new

    def _check_rule_ids(self, settings: Settings, changes: dict[str, object]) -> None:
        """A rule id the engine does not know would be stored and do nothing: refused."""
        known = {r.id for r in self.engine.rules}
        named = {"disabled_rules": settings.disabled_rules, "shadow_rules": settings.shadow_rules,
                 "enabled_rules": settings.enabled_rules,
                 "rule_overrides": {o[0] for o in settings.rule_overrides} - set(CATEGORIES)}
        for name, ids in named.items():
            unknown = sorted(set(ids) - known)
            if name in changes and unknown:
                close = difflib.get_close_matches(unknown[0], known, n=1)
                hint = f"did you mean {close[0]!r}?" if close else "ids look like vi.insult.stupid"
                raise ServiceError(f"setting '{name}': no rule {unknown[0]!r} ({hint})")

    # -- what the community taught ----------------------------------------------------------

    async def policy(self, community: str, settings: Settings) -> CommunityPolicy:
        """The engine's view of a community: its settings and what its moderators taught."""
        if self.engine.model is None:
            return settings.policy
        now = self.clock()
        checked = self._learned.get(community)
        if checked is None or now - checked[0] >= LEARNED_CHECK_SECONDS:
            version = await self.storage.learned_version(community)
            if checked is None or version != checked[1]:
                overlay = await self._load_learned(community)
            else:
                overlay = checked[2]
            checked = self._learned[community] = (now, version, overlay)
        built = self._policies.get(community)
        if built is None or built[0] is not settings or built[1] != checked[1]:
            policy = replace(settings.policy, learned=checked[2]) if checked[2] else settings.policy
            built = self._policies[community] = (settings, checked[1], policy)
        return built[2]

    async def _load_learned(self, community: str) -> Overlay | None:
        got = await self.storage.learned_weights(community)
        assert self.engine.model is not None
        if got is None or got[0] != self.engine.model.bits:
            return None  # nothing learned, or learned over another model's features
        return Overlay(got[1]) or None

    def _keep_learned(self, community: str, weights: dict[int, float], version: int) -> None:
        self._learned[community] = (self.clock(), version, Overlay(weights) or None)

    def _trace(self, verdict: Verdict, top: Hit) -> Trace | None:
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

    async def _learn(self, community: str, member: str, source: str, label: int,
                     trace: Trace | None, case_id: int | None = None,
                     review_id: int | None = None) -> None:
        """One moderator decision, taught to the community's model (if the message was traced
        and the model reads the same features), from the next message on."""
        model = self.engine.model
        if trace is None or model is None or trace.bits != model.bits:
            return
        weights, version = await self.storage.learn(community, member, source, label, trace,
                                                    self.clock(), step, case_id, review_id)
        self._keep_learned(community, weights, version)

    def log_language(self, community: str, settings: Settings, fallback: str = "") -> str:
        """The mod log's language: the community's setting, or under ``auto`` what most of its
        members write (until the bot has read enough of them: ``fallback``, the language of
        the message at hand)."""
        if settings.language != "auto":
            return settings.language
        return self.speakers.majority(community) or (fallback if fallback in ("vi", "en")
                                                     else "vi")

    # -- messages ---------------------------------------------------------------------------

    async def on_message(self, msg: Incoming,
                         is_moderator: Callable[[], Awaitable[bool]] | None = None
                         ) -> list[Action]:
        """Detect, decide, record; return the platform actions to perform.

        ``is_moderator`` is asked only when the message breaks a rule, so an adapter can make a
        platform call for it without slowing clean traffic.
        """
        settings = await self.settings(msg.community_id)
        if settings.language == "auto":
            self.speakers.observe(msg.community_id, msg.text)
        policy = await self.policy(msg.community_id, settings)
        window = await self.windows.window_for(
            msg.community_id, msg.author_id, msg.channel_id, msg.timestamp,
            lambda: self.engine.digest(msg.text), self.engine.flood_horizon)
        notice = self._windows_notice(msg.community_id, settings)
        actions = await self._judge(msg, settings, policy, window, is_moderator)
        return notice + actions if notice else actions

    def _windows_notice(self, community: str, settings: Settings) -> list[Action]:
        """Tell a community's moderators, once, that floods are counted per process while the
        shared windows do not answer, and once again when they do."""
        outage = outage_of(self.windows)
        told = self._outage_told.get(community)
        language = self.log_language(community, settings)
        if outage is not None and told != outage.number:
            self._outage_told[community] = outage.number
            text = log_text("outage", language, error=outage.error)
        elif outage is None and told is not None:
            del self._outage_told[community]
            text = log_text("outage_over", language)
        else:
            return []
        if not settings.log_channel:
            return []
        return [Action(0, "modlog", community, channel_id=settings.log_channel, text=text)]

    async def _judge(self, msg: Incoming, settings: Settings, policy: CommunityPolicy,
                     window: ChannelWindow,
                     is_moderator: Callable[[], Awaitable[bool]] | None) -> list[Action]:
        verdict = self.engine.check(
            Message(msg.text, msg.author_id, msg.channel_id, msg.community_id, msg.timestamp,
                    msg.mention_count),
            policy=policy, window=window)
        if verdict.clean:
            return []
        tiered = [(h, tier(h, settings)) for h in verdict.hits]
        flagged = [h for h, t in tiered if t != NONE]
        if not flagged:
            return []  # below the review floor: nobody is troubled with it
        actionable = [h for h, t in tiered if t == ACT]
        language = settings.language if settings.language != "auto" else (
            verdict.language or detect_language(msg.text))
        moderator = msg.author_is_moderator or (is_moderator is not None and await is_moderator())
        if moderator or not actionable:
            why = "moderator" if moderator else "low_confidence"
            return await self._to_review(msg, flagged, why, language, settings, verdict)
        live = [h for h in actionable if h.rule_id not in settings.shadow_rules]
        shadow = settings.shadow or not live
        hits = actionable if shadow else live
        _, actions = await self._act(msg, hits, language, settings, actor="auto", shadow=shadow,
                                     trace=self._trace(verdict, self._top(hits)))
        return actions

    def _top(self, hits: list[Hit]) -> Hit:
        return max(hits, key=lambda h: (h.severity, h.confidence))

    async def _decide(self, community: str, member: str, top: Hit, settings: Settings,
                      now: float) -> tuple[LadderStep, float]:
        history = await self.storage.member_points(community, member)
        total = decayed(history, now, settings.half_life_days) + top.severity
        step = step_for(settings.ladder, total)
        overrides = [(key, action) for target, key, action in settings.rule_overrides
                     if target in (top.rule_id, top.category)]
        return apply_overrides(step, overrides, settings.ladder), total

    async def _act(self, msg: Incoming, hits: list[Hit], language: str, settings: Settings,
                   actor: str, shadow: bool, reason: str = "",
                   subject: str = "message", trace: Trace | None = None, quiet: bool = False
                   ) -> tuple[Case, list[Action]]:
        """Decide the member's sanction and record the case (one at a time per member). A
        shadow case is done to nobody; the mod log hears of it (marked) unless ``quiet``."""
        key = (msg.community_id, msg.author_id)
        lock = self._member_locks.setdefault(key, asyncio.Lock())
        try:
            async with lock:
                return await self._decide_and_record(msg, hits, language, settings, actor,
                                                     shadow, reason, subject, trace, quiet)
        finally:
            if not lock.locked() and not lock._waiters:  # type: ignore[attr-defined]
                self._member_locks.pop(key, None)

    async def _decide_and_record(self, msg: Incoming, hits: list[Hit], language: str,
                                 settings: Settings, actor: str, shadow: bool, reason: str,
                                 subject: str, trace: Trace | None = None, quiet: bool = False
                                 ) -> tuple[Case, list[Action]]:
        if actor == "auto" and msg.message_id:
            # a platform redelivers what the bot had not acknowledged before a crash: one
            # message, one case, and its actions were issued the first time
            done = await self.storage.case_for_message(msg.community_id, msg.platform,
                                                       msg.message_id)
            if done is not None:
                return done, []
        now = self.clock()
        top = self._top(hits)
        step, total = await self._decide(msg.community_id, msg.author_id, top, settings, now)
        rules = tuple(dict.fromkeys([top.rule_id] + [h.rule_id for h in hits]))
        until = now + step.minutes * 60 if step.action == "mute" else None
        # What happens to the message is not the ladder's to say: an acted-on hit removes it
        # (unless the community keeps messages of its category); the ladder sanctions the member
        removes = (subject == "message" and bool(msg.message_id)
                   and top.category not in settings.keep_message)
        logged = ("modlog",) if settings.log_channel else ()
        # a community trying the bot in shadow mode reads what it would have done
        kinds = ((() if quiet else logged) if shadow
                 else message_fate(KINDS[step.action], removes) + logged)
        case, ids = await self.storage.record_case(NewCase(
            community_id=msg.community_id, platform=msg.platform, member_id=msg.author_id,
            action=step.action, actor=actor, status="shadow" if shadow else "active",
            points=float(top.severity), now=now, channel_id=msg.channel_id,
            message_id=msg.message_id, rule_ids=rules, clauses=self._clauses(rules),
            span=(top.start, top.end), excerpt=excerpt(msg.text, top.start, top.end,
                                                       settings.excerpt_length),
            confidence=top.confidence, until=until, reason=reason, language=language,
            action_kinds=kinds,
            schedule=(("mute_expiry", until),) if until and not shadow else (),
            audit_detail={"points_after": round(total, 3)}, trace=trace,
        ))
        why = self.engine.explain(top, language)
        text = None
        if subject == "name" and step.action in ("warn", "delete_warn"):
            text = {"warn": member_text("name", language, case=case.number, why=why,
                                        days=f"{settings.appeal_window_days:g}")}
        return case, self._actions(case, ids, kinds, settings, why=why, text=text,
                                   known_as=(msg.author_name, msg.author_username),
                                   link=msg.link)

    def _category_of(self, rule_id: str) -> str:
        try:
            return self.engine.rule(rule_id).category
        except KeyError:
            return "community"  # a community's own term, or a rule since removed

    def _clauses(self, rules: tuple[str, ...]) -> tuple[str, ...]:
        out = []
        for rid in rules:
            try:
                out.append(self.engine.rule(rid).clause)
            except KeyError:
                out.append("community")
        return tuple(out)

    @staticmethod
    def _appeal_buttons(number: int, language: str) -> tuple[tuple[str, str], ...]:
        return ((log_text("button_approve", language, number=number), f"appeal-approve:{number}"),
                (log_text("button_reject", language, number=number), f"appeal-reject:{number}"))

    def _cites(self, case: Case, language: str) -> list[str]:
        return [self.engine.clauses[c].citation(language) if c in self.engine.clauses else c
                for c in case.clauses]

    def _actions(self, case: Case, ids: list[int], kinds: tuple[str, ...], settings: Settings,
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
            removed = bool(case.message_id and case.rule_ids) and self._category_of(
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
                lang = self.log_language(case.community_id, settings, case.language)
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

    async def _to_review(self, msg: Incoming, hits: list[Hit], why: str, language: str,
                         settings: Settings, verdict: Verdict) -> list[Action]:
        top = self._top(hits)
        rules = tuple(dict.fromkeys([top.rule_id] + [h.rule_id for h in hits]))
        now = self.clock()
        posted, _ = await self.storage.review_load(msg.community_id, now - 3600,
                                                   top.confidence)
        # At most review_budget_per_hour items an hour, the most confident first: the least
        # confident may use half of the hour's budget, the most confident all of it, so a burst
        # of doubtful hits cannot leave no room for a likely one. What is not posted is kept (a
        # review item 'over_budget' and a shadow case) and counted, never dropped.
        over = posted >= review_allowance(top.confidence, settings)
        trace = self._trace(verdict, top)
        item = await self.storage.add_review(ReviewItem(
            id=0, community_id=msg.community_id, platform=msg.platform, member_id=msg.author_id,
            channel_id=msg.channel_id, message_id=msg.message_id, rule_ids=rules,
            clauses=self._clauses(rules),
            excerpt=excerpt(msg.text, top.start, top.end, settings.excerpt_length),
            confidence=top.confidence, severity=top.severity, why=why, language=language,
            status="over_budget" if over else "open", created_at=now, trace=trace))
        if over:
            # a shadow case: what the ladder would have done, recorded, done to nobody
            await self._act(msg, hits, language, settings, actor="auto", shadow=True, quiet=True,
                            reason=f"review budget of {settings.review_budget_per_hour} an hour "
                                   f"reached (review #{item.id} not posted)", trace=trace)
            return []
        if not settings.log_channel:
            return []
        lang = self.log_language(msg.community_id, settings, language)
        text = log_text("review", lang, id=item.id, why=log_text(f"review_{why}", lang),
                        member=member_label(msg.author_id, lang, msg.author_name,
                                            msg.author_username),
                        rules=", ".join(rules),
                        confidence=item.confidence, excerpt=item.excerpt)
        if msg.link:
            text += "\n" + log_text("link", lang, link=msg.link)
        return [Action(0, "modlog", msg.community_id, member_id=msg.author_id,
                       channel_id=settings.log_channel, text=text,
                       buttons=((log_text("button_confirm", lang, id=item.id),
                                 f"review-confirm:{item.id}"),
                                (log_text("button_dismiss", lang, id=item.id),
                                 f"review-dismiss:{item.id}")))]

    async def check_name(self, platform: str, community: str, member: str, name: str,
                         language: str = "vi") -> list[Action]:
        """A display name or nickname, if the community checks them (a slur or a scam ad)."""
        settings = await self.settings(community)
        if not settings.check_names or not name.strip():
            return []
        verdict = self.engine.check(name, policy=settings.policy)
        hits = [h for h in verdict.hits if tier(h, settings) == ACT]
        if not hits:
            return []
        msg = Incoming(platform, community, "", "", member, name, self.clock())
        _, actions = await self._act(msg, hits, language, settings, actor="auto",
                                     shadow=settings.shadow, reason="display name",
                                     subject="name")
        return actions

    async def record_external(self, platform: str, community: str, member: str, source: str,
                              action: str, excerpt_text: str, channel: str = "",
                              message_id: str = "", until: float | None = None) -> list[Action]:
        """An action the platform itself took (Discord AutoMod): a case in the same history, so
        moderators see one log. Nothing to perform but the mod-log entry."""
        settings = await self.settings(community)
        now = self.clock()
        kinds = ("modlog",) if settings.log_channel else ()
        case, ids = await self.storage.record_case(NewCase(
            community_id=community, platform=platform, member_id=member, action=action,
            actor=source, status="active", points=1.0, now=now, channel_id=channel,
            message_id=message_id, rule_ids=(source,), clauses=("community",),
            excerpt=excerpt(excerpt_text, 0, 0, settings.excerpt_length), until=until,
            reason=f"action taken by {source}", action_kinds=kinds))
        return self._actions(case, ids, kinds, settings)

    async def on_member_joined(self, platform: str, community: str, member: str, name: str,
                               language: str = "vi") -> list[Action]:
        """A member joined: check the display name if configured, and send the rules if asked."""
        settings = await self.settings(community)
        actions = await self.check_name(platform, community, member, name, language)
        if settings.welcome_rules:
            actions.append(Action(0, "welcome", community, member_id=member, language=language,
                                  text=await self.rules_text(community, language)))
        return actions

    async def rules_text(self, community: str, language: str) -> str:
        """The community's rules: each enforced clause once, with its citation."""
        settings = await self.settings(community)
        lang = "en" if language == "en" else "vi"
        lines: dict[str, None] = {}
        for rule in self.engine.rules:
            if rule.id in settings.disabled_rules or rule.category in settings.disabled_categories:
                continue
            clause = self.engine.clauses.get(rule.clause)
            if clause is not None:
                lines[f"• {clause.text[lang]} ({clause.citation(lang)})"] = None
        return "\n".join([member_text("rules_header", lang), *lines])

    # -- outcomes ---------------------------------------------------------------------------

    async def outcome_line(self, community: str, number: int) -> str:
        """How the case's platform actions went so far, for the mod-log entry posted last."""
        case = await self.storage.get_case(community, number)
        if case is None:
            return ""
        settings = await self.settings(community)
        return outcome_text(case.outcomes, self.log_language(community, settings, case.language))

    async def confirm(self, action_id: int, ok: bool, reason: str = "",
                      applied_until: float | None = None) -> list[Action]:
        """The adapter's report on one action. A failure is recorded on the case; moderators
        hear of it once (per community, action and reason, per hour).

        ``applied_until``: a mute the platform could only apply until then (Discord caps a
        timeout at 28 days); the service renews it at that time, restarts included.
        """
        if action_id == 0:
            return []
        now = self.clock()
        result = await self.storage.set_action_state(action_id, "done" if ok else "failed",
                                                     reason, now)
        if result is None:
            raise ServiceError(f"unknown action {action_id}")
        case_id, kind = result
        if ok and kind == "mute" and applied_until:
            case = await self.storage.get_case_by_id(case_id)
            if case and case.until and now < applied_until < case.until:
                # (a past time would renew in a loop)
                await self.storage.schedule(case.community_id, case.id, "mute_renew",
                                            applied_until)
        if ok or kind == "modlog":
            return []  # a failed mod-log post cannot be reported to the mod log
        case = await self.storage.get_case_by_id(case_id)
        if case is None:
            return []
        settings = await self.settings(case.community_id)
        key = (case.community_id, kind, reason)
        if not settings.log_channel or now - self._notified.get(key, -1e18) < FAILURE_NOTICE_SECONDS:
            return []
        self._notified[key] = now
        ids = await self.storage.change_case(case.id, "platform", "failure_reported", now,
                                             action_kinds=("modlog",),
                                             detail={"kind": kind, "reason": reason})
        lang = self.log_language(case.community_id, settings, case.language)
        text = log_text("failure", lang, number=case.number, kind=done_name(kind, lang),
                        member=member_label(case.member_id, lang), reason=reason)
        return [Action(ids[0], "modlog", case.community_id, member_id=case.member_id,
                       channel_id=settings.log_channel, case_number=case.number, text=text)]

    # -- moderator operations ---------------------------------------------------------------

    async def _case(self, community: str, number: int) -> Case:
        case = await self.storage.get_case(community, number)
        if case is None:
            raise ServiceError(f"no case #{number} in this community")
        return case

    async def list_cases(self, community: str, member: str | None = None, rule: str | None = None,
                         status: str | None = None, limit: int = 50) -> list[Case]:
        return await self.storage.list_cases(community, member, rule, status, limit)

    async def show_case(self, community: str, number: int
                        ) -> tuple[Case, list[AuditEntry], list[Appeal]]:
        case = await self._case(community, number)
        return (case, await self.storage.case_history(case.id),
                await self.storage.appeals_for_case(case.id))

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
        settings = await self.settings(community)
        now = self.clock()
        await self.storage.touch_moderator(community, moderator, now)
        until = now + minutes * 60 if action == "mute" and minutes else None
        kinds = MANUAL_KINDS[action] + (("modlog",) if settings.log_channel else ())
        trace = await self._read(community, settings, text) if text.strip() else None
        case, ids = await self.storage.record_case(NewCase(
            community_id=community, platform=platform, member_id=member, action=action,
            actor=moderator, status="active", points=settings.manual_points_for(action), now=now,
            channel_id=channel, message_id=message_id, until=until, reason=reason,
            language=self.log_language(community, settings),
            action_kinds=kinds, schedule=(("mute_expiry", until),) if until else (),
            trace=trace))
        await self._learn(community, member, f"manual_{action}", 1, trace, case_id=case.id)
        return case, self._actions(case, ids, kinds, settings, why=reason,
                                   known_as=(member_name, member_username), link=link)

    async def _read(self, community: str, settings: Settings, text: str) -> Trace | None:
        """The trace of a message a moderator acted on by hand (whatever the bot made of it)."""
        verdict = self.engine.check(text, await self.policy(community, settings), note=True)
        if verdict.model is None or self.engine.model is None:
            return None
        if verdict.hits:
            return self._trace(verdict, self._top(list(verdict.hits)))
        note = verdict.model
        return Trace(tuple(self.engine.model.features_of(*note.read)), self.engine.model.bits,
                     logit(note.base))

    async def unmute(self, community: str, member: str, moderator: str) -> list[Action]:
        now = self.clock()
        running = [c for c in await self.storage.list_cases(community, member, status="active",
                                                            limit=1000)
                   if c.action == "mute" and c.until and c.until > now]
        if not running:
            raise ServiceError(f"member {member} has no running mute")
        await self.storage.touch_moderator(community, moderator, now)
        settings = await self.settings(community)
        actions: list[Action] = []
        for case in running:
            kinds = ("unmute", "dm")
            ids = await self.storage.change_case(case.id, moderator, "unmuted", now,
                                                 status="expired", cancel_schedule=True,
                                                 action_kinds=kinds)
            text = {"dm": member_text("unmuted", case.language, case=case.number)}
            actions += self._actions(case, ids, kinds, settings, text=text)
        return actions

    async def pardon(self, community: str, number: int, moderator: str,
                     reason: str | None) -> list[Action]:
        """``reason`` None: a button pressed, no reason typed (the member reads that a
        moderator looked at the case, in their language)."""
        case = await self._case(community, number)
        reason = member_text("by_button", case.language) if reason is None else reason
        if case.status not in ("active", "expired"):
            raise ServiceError(f"case #{number} is {case.status}; nothing to pardon")
        now = self.clock()
        await self.storage.touch_moderator(community, moderator, now)
        settings = await self.settings(community)
        running_mute = case.action == "mute" and case.until and case.until > now
        kinds = (("unmute",) if running_mute else ()) + ("dm",)
        ids = await self.storage.change_case(case.id, moderator, "pardoned", now,
                                             status="pardoned", refund=True,
                                             cancel_schedule=True, action_kinds=kinds,
                                             detail={"reason": reason})
        await self._learn(community, case.member_id, "pardon", 0, case.trace, case_id=case.id)
        text = {"dm": member_text("pardoned", case.language, case=case.number, reason=reason)}
        return self._actions(case, ids, kinds, settings, text=text)

    async def edit_reason(self, community: str, number: int, moderator: str, reason: str) -> Case:
        case = await self._case(community, number)
        await self.storage.change_case(case.id, moderator, "reason_edited", self.clock(),
                                       reason=reason)
        return await self._case(community, number)

    async def review_queue(self, community: str) -> list[ReviewItem]:
        return await self.storage.open_reviews(community)

    async def _review_item(self, community: str, item_id: int) -> ReviewItem:
        item = await self.storage.get_review(item_id)
        if item is None or item.community_id != community:
            raise ServiceError(f"no review item #{item_id} in this community")
        if item.status != "open":
            raise ServiceError(f"review item #{item_id} is already {item.status}")
        return item

    async def confirm_review(self, community: str, item_id: int,
                             moderator: str) -> list[Action]:
        """A moderator confirms a held hit: the ladder decides as for any violation."""
        item = await self._review_item(community, item_id)
        settings = await self.settings(community)
        hit = Hit(item.rule_ids[0], self._category_of(item.rule_ids[0]), item.clauses[0], item.severity, 0,
                  len(item.excerpt), item.excerpt, item.confidence, "review")
        msg = Incoming(item.platform, community, item.channel_id, item.message_id,
                       item.member_id, item.excerpt, self.clock())
        if not await self.storage.close_review(item_id, "confirmed", moderator, None,
                                               self.clock()):
            raise ServiceError(f"review item #{item_id} was decided meanwhile")
        await self.storage.touch_moderator(community, moderator, self.clock())
        await self._learn(community, item.member_id, "review_confirmed", 1, item.trace,
                          review_id=item.id)
        _, actions = await self._act(msg, [hit], item.language, settings, actor=moderator,
                                     shadow=False, reason=f"confirmed from review #{item_id}",
                                     trace=item.trace)
        return actions

    async def dismiss_review(self, community: str, item_id: int, moderator: str) -> None:
        """A moderator found a held hit fine: it teaches the community's model so."""
        item = await self._review_item(community, item_id)
        if not await self.storage.close_review(item_id, "dismissed", moderator, None,
                                               self.clock()):
            raise ServiceError(f"review item #{item_id} was decided meanwhile")
        await self.storage.touch_moderator(community, moderator, self.clock())
        await self._learn(community, item.member_id, "review_dismissed", 0, item.trace,
                          review_id=item.id)

    async def open_appeals(self, community: str) -> list[Appeal]:
        return await self.storage.open_appeals(community)

    async def decide_appeal(self, community: str, number: int, moderator: str, approve: bool,
                            reason: str | None) -> list[Action]:
        """``reason`` None: decided with a button (see ``pardon``); typed, it may not be empty."""
        case = await self._case(community, number)
        reason = member_text("by_button", case.language) if reason is None else reason
        pending = [a for a in await self.storage.appeals_for_case(case.id) if a.status == "open"]
        if not pending:
            raise ServiceError(f"case #{number} has no open appeal")
        if not reason.strip():
            raise ServiceError("give a reason: the member is told it")
        now = self.clock()
        await self.storage.touch_moderator(community, moderator, now)
        if moderator == case.actor and any(m != moderator
                                           for m in await self.storage.moderators(community)):
            raise ServiceError(f"you took the action in case #{number}; "
                               "another moderator must decide its appeal")
        running_mute = approve and case.action == "mute" and case.until and case.until > now
        kinds = (("unmute",) if running_mute else ()) + ("dm",)
        _, ids = await self.storage.decide_appeal(pending[0].id, moderator, approve, reason, now,
                                                  kinds)
        settings = await self.settings(community)
        kind = "appeal_approved" if approve else "appeal_rejected"
        await self._learn(community, case.member_id, kind, 0 if approve else 1, case.trace,
                          case_id=case.id)
        text = {"dm": member_text(kind, case.language, case=case.number, reason=reason)}
        return self._actions(case, ids, kinds, settings, text=text)

    async def stats(self, community: str | None = None) -> dict:
        return await self.storage.stats(community)

    # -- member operations ------------------------------------------------------------------

    async def my_cases(self, community: str, member: str) -> list[Case]:
        return await self.storage.list_cases(community, member, limit=100)

    async def member_case(self, community: str, number: int, member: str) -> Case:
        """A member's own case; another member's case looks exactly like a missing one."""
        case = await self.storage.get_case(community, number)
        if case is None or case.member_id != member or case.status == "shadow":
            raise ServiceError(f"you have no case #{number}")
        return case

    async def begin_appeal(self, platform: str, community: str, number: int,
                           member: str) -> Case:
        """A member asks to appeal a case in a direct message; their next message there is the
        appeal. Kept in the database, so any worker may receive that next message."""
        case = await self.member_case(community, number, member)
        await self.storage.save_appeal_draft(platform, member, community, number,
                                             self.clock() + APPEAL_DRAFT_SECONDS)
        return case

    async def appeal_begun(self, platform: str, member: str, text: str,
                           member_name: str = "", member_username: str = ""
                           ) -> tuple[int, Appeal, list[Action]] | None:
        """A direct message: the appeal, if the member began one (None if not). A refused
        appeal (too long, too many) keeps the draft, so the member can write it again."""
        now = self.clock()
        draft = await self.storage.appeal_draft(platform, member, now)
        if draft is None:
            return None
        community, number = draft
        appeal, actions = await self.appeal(community, number, member, text, member_name,
                                            member_username)
        await self.storage.drop_appeal_draft(platform, member, now)
        return number, appeal, actions

    async def appeal(self, community: str, number: int, member: str, text: str,
                     member_name: str = "", member_username: str = ""
                     ) -> tuple[Appeal, list[Action]]:
        """A member's appeal of their case (``member_name``, ``member_username``: how the mod
        log names them)."""
        case = await self.member_case(community, number, member)
        settings = await self.settings(community)
        now = self.clock()
        text = text.strip()
        if case.status not in ("active", "expired"):
            raise ServiceError(f"case #{number} is {case.status}; there is nothing to appeal")
        if now - case.created_at > settings.appeal_window_days * 86400:
            raise ServiceError(f"the appeal window of {settings.appeal_window_days:g} days "
                               f"for case #{number} has closed")
        if len(await self.storage.appeals_for_case(case.id)) >= settings.appeals_per_case:
            raise ServiceError(f"case #{number} has already been appealed")
        if await self.storage.appeals_since(community, member, now - 3600) >= settings.appeals_per_hour:
            raise ServiceError(f"at most {settings.appeals_per_hour} appeals an hour; "
                               "please wait before appealing again")
        if not text:
            raise ServiceError("write why the decision was wrong")
        if len(text) > settings.appeal_max_length:
            raise ServiceError(f"an appeal may be at most {settings.appeal_max_length} characters "
                               f"(this one has {len(text)})")
        appeal = await self.storage.create_appeal(
            case, member, text, now, now + settings.appeal_reminder_hours * 3600)
        if not settings.log_channel:
            return appeal, []
        ids = await self.storage.change_case(case.id, member, "appeal_posted", now,
                                             action_kinds=("modlog",))
        lang = self.log_language(community, settings, case.language)
        body = log_text("appeal", lang, number=case.number,
                        member=member_label(member, lang, member_name, member_username),
                        rules=", ".join(case.rule_ids) or done_name(case.action, lang), text=text)
        return appeal, [Action(ids[0], "modlog", community, member_id=member,
                               channel_id=settings.log_channel, case_number=case.number,
                               text=body, buttons=self._appeal_buttons(case.number, lang))]

    # -- privacy ----------------------------------------------------------------------------

    async def export_member(self, community: str, member: str, moderator: str) -> dict:
        """Everything stored about a member (Decree 13/2023/NĐ-CP: the right of access)."""
        data = await self.storage.member_data(community, member)
        await self.storage.audit(community, moderator, "member_exported", {"member": member},
                                 self.clock())
        return data

    async def forget_member(self, community: str, member: str, moderator: str) -> dict:
        """Delete a member's texts and pseudonymise their id; cases stay, for the community's
        statistics and accountability, but no longer point at the person."""
        pseudonym = "forgotten-" + hashlib.sha256(
            f"{community}:{member}:{self.clock()}".encode()).hexdigest()[:12]
        counts = await self.storage.forget_member(community, member, pseudonym, moderator,
                                                  self.clock())
        model = self.engine.model
        if counts.get("learned_examples") and model is not None:
            # what the model learned from them goes too: the weights, from the rest alone
            weights = await self.storage.relearn(community, model.bits, self.clock(), replay)
            self._keep_learned(community, weights, await self.storage.learned_version(community))
        return counts

    async def purge_excerpts(self) -> int:
        """Empty case excerpts older than the retention period (the cases themselves stay)."""
        now = self.clock()
        return await self.storage.purge_excerpts(now - self.retention_days * 86400, now)

    # -- after a crash ----------------------------------------------------------------------

    async def unfinished_actions(self, grace: float | None = None) -> list[Action]:
        """Actions recorded but never confirmed (the bot died between recording a case and
        acting on it): issue them again. Run at start-up, before new traffic."""
        out: list[Action] = []
        cutoff = self.clock() - (self.action_grace if grace is None else grace)
        for action_id, case_id, kind in await self.storage.pending_actions(cutoff):
            case = await self.storage.get_case_by_id(case_id)
            if case is None or case.status not in ("active", "expired"):
                continue
            settings = await self.settings(case.community_id)
            why = self._why(case)
            out += self._actions(case, [action_id], (kind,), settings, why=why)
        return out

    def _why(self, case: Case) -> str:
        """The member's explanation for a stored case, rebuilt from its rule and clause."""
        if not case.rule_ids or not case.clauses:
            return case.reason
        return self.engine.explain_rule(case.rule_ids[0], case.clauses[0], case.language)

    # -- timed actions ----------------------------------------------------------------------

    async def run_due(self) -> list[Action]:
        """Act on every timed action that is due (at start-up: all that fell due while down)."""
        now = self.clock()
        actions: list[Action] = []
        for sched_id, community, kind, case_id in await self.storage.due(now):
            case = await self.storage.get_case_by_id(case_id)
            if case is not None:
                actions += await self._timed(kind, case, now)
            await self.storage.finish_scheduled(sched_id, now)
        return actions

    async def _timed(self, kind: str, case: Case, now: float) -> list[Action]:
        settings = await self.settings(case.community_id)
        if kind == "mute_expiry":
            if case.status != "active":
                return []  # pardoned or overturned: the mute was lifted then
            kinds = ("unmute",)
            ids = await self.storage.change_case(case.id, "auto", "mute_expired", now,
                                                 status="expired", action_kinds=kinds)
            return self._actions(case, ids, kinds, settings)
        if kind == "mute_renew":
            if case.status != "active" or not case.until or case.until <= now:
                return []
            ids = await self.storage.change_case(case.id, "auto", "mute_renewed", now,
                                                 action_kinds=("mute",))
            return self._actions(case, ids, ("mute",), settings)
        if kind == "appeal_reminder" and settings.log_channel:
            if not any(a.status == "open" for a in await self.storage.appeals_for_case(case.id)):
                return []
            ids = await self.storage.change_case(case.id, "auto", "appeal_reminder", now,
                                                 action_kinds=("modlog",))
            lang = self.log_language(case.community_id, settings, case.language)
            text = log_text("appeal_reminder", lang, number=case.number)
            return [Action(ids[0], "modlog", case.community_id, channel_id=settings.log_channel,
                           case_number=case.number, text=text,
                           buttons=self._appeal_buttons(case.number, lang))]
        return []

    async def next_due(self) -> float | None:
        return await self.storage.next_due()
