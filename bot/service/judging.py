"""Judging what members write: a message (or a display name) goes through the engine with the
community's settings, flood window and learning; a hit is acted on, sent to the review queue
within the hour's budget, or let go; what the platform did itself (Discord AutoMod) joins the
same history."""

from __future__ import annotations

from typing import Awaitable, Callable

from bot.core import ChannelWindow, CommunityPolicy, Hit, Message, Verdict, detect_language
from bot.service.blocklist import Blocks
from bot.service.cases import CaseBook, excerpt, top_hit
from bot.service.modlog import log_text, member_label
from bot.service.newcomers import Newcomers
from bot.service.raids import Raids
from bot.service.recent import Sent
from bot.service.models import Action, Incoming, NewCase, ReviewItem
from bot.service.settings import Settings
from bot.service.shared import Shared
from bot.service.texts import member_text
from bot.service.bounded import LRU
from bot.service.communities import COMMUNITIES_CACHED
from bot.service.tiers import ACT, NONE, tier
from bot.service.verification import Verification
from bot.service.windows import outage_of


def review_allowance(confidence: float, settings: Settings) -> int:
    """How many review items an hour an item of this confidence may come after."""
    span = max(settings.review_threshold - settings.review_floor, 1e-6)
    share = 0.5 + 0.5 * min(1.0, max(0.0, (confidence - settings.review_floor) / span))
    return max(1, int(settings.review_budget_per_hour * share))


class Judge:
    def __init__(self, shared: Shared, cases: CaseBook, raids: Raids, blocks: Blocks,
                 verification: Verification) -> None:
        self.s, self.cases, self.raids, self.blocks = shared, cases, raids, blocks
        self.verification = verification
        self.newcomers = Newcomers(shared)
        self._outage_told: LRU[str, int] = LRU(COMMUNITIES_CACHED)  # the outage it was told of

    async def on_message(self, msg: Incoming,
                         is_moderator: Callable[[], Awaitable[bool]] | None = None
                         ) -> list[Action]:
        """Detect, decide, record; return the platform actions to perform.

        ``is_moderator`` is asked only when the message breaks a rule, so an adapter can make a
        platform call for it without slowing clean traffic.
        """
        s = self.s
        settings = await s.communities.settings(msg.community_id)
        s.communities.observe(msg.community_id, settings, msg.text)
        policy = await s.learning.policy(msg.community_id, settings)
        window = await s.windows.window_for(
            msg.community_id, msg.author_id, msg.channel_id, msg.timestamp,
            lambda: s.engine.digest(msg.text), s.engine.flood_horizon)
        if msg.message_id:  # where it is, for a purge (never its text); when the bot saw it,
            # by its own clock, which the windows of a purge and of keeping are measured on
            await s.recent.remember(msg.community_id, msg.author_id,
                                    Sent(msg.channel_id, msg.message_id, s.clock()))
        notice = self._windows_notice(msg.community_id, settings)
        notice += await self.raids.on_message(msg, settings)
        newcomer = await self.newcomers.is_new(msg, settings)
        if newcomer:
            policy = self.newcomers.policy(policy)
        actions = await self._judge(msg, settings, policy, window, is_moderator, newcomer)
        return notice + actions if notice else actions

    def _windows_notice(self, community: str, settings: Settings) -> list[Action]:
        """Tell a community's moderators, once, that floods are counted per process while the
        shared windows do not answer, and once again when they do."""
        outage = outage_of(self.s.windows)
        told = self._outage_told.get(community)
        language = self.s.communities.log_language(community, settings)
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
                     is_moderator: Callable[[], Awaitable[bool]] | None,
                     newcomer: bool = False) -> list[Action]:
        verdict = self.s.engine.check(
            Message(msg.text, msg.author_id, msg.channel_id, msg.community_id, msg.timestamp,
                    msg.mention_count),
            policy=policy, window=window)
        if newcomer:
            verdict, held = self._newcomer_hits(msg, verdict, settings)
            # (a moderator who joined lately is no newcomer to hold back)
            if held and not (is_moderator is not None and await is_moderator()):
                return await self._hold(msg, held, settings, verdict)
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
        _, actions = await self.cases.act(msg, hits, language, settings, actor="auto",
                                          shadow=shadow,
                                          trace=self.s.learning.trace(verdict, top_hit(hits)))
        return actions

    def _newcomer_hits(self, msg: Incoming, verdict: Verdict, settings: Settings
                       ) -> tuple[Verdict, list[Hit]]:
        """A new member's verdict without the hits only a new member gets, and those hits (with
        what the message carries: a forwarded post, a contact card), unless a rule for everyone
        acts on the message anyway (the ladder decides then, as for anyone)."""
        special = self.s.engine.new_member_rules
        own = [h for h in verdict.hits if h.rule_id not in special]
        held = [h for h in verdict.hits if h.rule_id in special]
        held += [Hit(rid, "spam", "community-spam", 1, 0, 0, "", 1.0, "content")
                 for rid in self.newcomers.carried(msg)]
        if held and any(tier(h, settings) == ACT for h in own):
            held = []
        return verdict._replace(hits=tuple(own)), held

    async def _hold(self, msg: Incoming, hits: list[Hit], settings: Settings,
                    verdict: Verdict) -> list[Action]:
        """A new member's link, number, mentions, forward or contact: removed at once, the
        member told it waits for a moderator (not punished), and the item put to review."""
        language = settings.language if settings.language != "auto" else (
            verdict.language or detect_language(msg.text))
        review = await self._to_review(msg, hits, "new_member", language, settings, verdict)
        if settings.shadow:  # (shadow mode removes nothing: the review item says what it would)
            return review
        return [Action(0, "delete", msg.community_id, member_id=msg.author_id,
                          channel_id=msg.channel_id, message_id=msg.message_id),
                   Action(0, "warn", msg.community_id, member_id=msg.author_id,
                          channel_id=msg.channel_id, language=language,
                          text=member_text("held_new", language),
                          delete_after=settings.warning_delete_after)] + review

    async def _to_review(self, msg: Incoming, hits: list[Hit], why: str, language: str,
                         settings: Settings, verdict: Verdict) -> list[Action]:
        s = self.s
        top = top_hit(hits)
        rules = tuple(dict.fromkeys([top.rule_id] + [h.rule_id for h in hits]))
        now = s.clock()
        posted, _ = await s.storage.review_load(msg.community_id, now - 3600, top.confidence)
        # At most review_budget_per_hour items an hour, the most confident first: the least
        # confident may use half of the hour's budget, the most confident all of it, so a burst
        # of doubtful hits cannot leave no room for a likely one. What is not posted is kept (a
        # review item 'over_budget' and a shadow case) and counted, never dropped.
        over = posted >= review_allowance(top.confidence, settings)
        trace = s.learning.trace(verdict, top)
        item = await s.storage.add_review(ReviewItem(
            id=0, community_id=msg.community_id, platform=msg.platform, member_id=msg.author_id,
            channel_id=msg.channel_id, message_id=msg.message_id, rule_ids=rules,
            clauses=self.cases.clauses(rules),
            excerpt=excerpt(msg.text, top.start, top.end, settings.excerpt_length),
            confidence=top.confidence, severity=top.severity, why=why, language=language,
            status="over_budget" if over else "open", created_at=now, trace=trace))
        if over:
            # a shadow case: what the ladder would have done, recorded, done to nobody
            await self.cases.act(msg, hits, language, settings, actor="auto", shadow=True,
                                 quiet=True, trace=trace,
                                 reason=f"review budget of {settings.review_budget_per_hour} "
                                        f"an hour reached (review #{item.id} not posted)")
            return []
        if not settings.log_channel:
            return []
        lang = s.communities.log_language(msg.community_id, settings, language)
        text = log_text("review", lang, id=item.id, why=log_text(f"review_{why}", lang),
                        member=member_label(msg.author_id, lang, msg.author_name,
                                            msg.author_username),
                        rules=", ".join(rules), confidence=item.confidence, excerpt=item.excerpt)
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
        settings = await self.s.communities.settings(community)
        if not settings.check_names or not name.strip():
            return []
        verdict = self.s.engine.check(name, policy=settings.policy)
        hits = [h for h in verdict.hits if tier(h, settings) == ACT]
        if not hits:
            return []
        msg = Incoming(platform, community, "", "", member, name, self.s.clock())
        _, actions = await self.cases.act(msg, hits, language, settings, actor="auto",
                                          shadow=settings.shadow, reason="display name",
                                          subject="name")
        return actions

    async def record_external(self, platform: str, community: str, member: str, source: str,
                              action: str, excerpt_text: str, channel: str = "",
                              message_id: str = "", until: float | None = None) -> list[Action]:
        """An action the platform itself took (Discord AutoMod): a case in the same history, so
        moderators see one log. Nothing to perform but the mod-log entry."""
        settings = await self.s.communities.settings(community)
        now = self.s.clock()
        kinds = ("modlog",) if settings.log_channel else ()
        case, ids = await self.s.storage.record_case(NewCase(
            community_id=community, platform=platform, member_id=member, action=action,
            actor=source, status="active", points=1.0, now=now, channel_id=channel,
            message_id=message_id, rule_ids=(source,), clauses=("community",),
            excerpt=excerpt(excerpt_text, 0, 0, settings.excerpt_length), until=until,
            reason=f"action taken by {source}", action_kinds=kinds))
        return self.cases.actions(case, ids, kinds, settings)

    async def on_member_joined(self, platform: str, community: str, member: str, name: str,
                               language: str = "vi", account_created: float | None = None
                               ) -> list[Action]:
        """A member joined: counted for raid mode (and held while it is on), banned if on a
        block list, the display name checked if configured, and the rules sent if asked."""
        settings = await self.s.communities.settings(community)
        actions = await self.raids.on_join(platform, community, member, settings)
        await self.newcomers.joined(community, member)
        blocked = await self.blocks.on_join(platform, community, member, settings)
        if any(a.kind == "ban" for a in blocked):
            return actions + blocked
        actions += blocked
        actions += await self.verification.on_join(
            community, member, name, language, settings, self.raids.challenges(community),
            account_created)
        actions += await self.check_name(platform, community, member, name, language)
        if settings.welcome_rules:
            actions.append(Action(0, "welcome", community, member_id=member, language=language,
                                  text=await self.rules_text(community, language)))
        return actions

    async def on_join_request(self, platform: str, community: str, member: str, name: str,
                              language: str = "vi") -> list[Action]:
        """Someone asked to join: banned (and the request declined) if on a block list,
        else challenged by private message if the community verifies or a raid is on."""
        settings = await self.s.communities.settings(community)
        blocked = await self.blocks.on_join(platform, community, member, settings)
        if any(a.kind == "ban" for a in blocked):
            return blocked + [Action(0, "decline", community, member_id=member)]
        return blocked + await self.verification.on_request(
            platform, community, member, name, language, settings,
            await self.raids.challenging(community))

    async def rules_text(self, community: str, language: str) -> str:
        """The community's rules: each enforced clause once, with its citation."""
        settings = await self.s.communities.settings(community)
        lang = "en" if language == "en" else "vi"
        lines: dict[str, None] = {}
        engine = self.s.engine
        for rule in engine.rules:
            if rule.id in settings.disabled_rules or rule.category in settings.disabled_categories:
                continue
            clause = engine.clauses.get(rule.clause)
            if clause is not None:
                lines[f"• {clause.text[lang]} ({clause.citation(lang)})"] = None
        return "\n".join([member_text("rules_header", lang), *lines])
