"""Verification of new members: a button challenge on joining.

Asked when the community turns it on (``verify``), while raid mode is on, and (Discord) of every
account younger than ``min_account_age_days``. The member is held (Telegram: restricted; Discord:
timed out, unless ``verify_role`` gates them) and shown a few pictures as buttons: pressing the
one named, within ``verify_seconds``, lets them in (Discord: grants ``verify_role``) and they are
never asked again in that community; a wrong press or no press removes them (a kick: they may
join and try again). A Telegram group that takes join requests asks before letting anyone in: the
challenge goes to the person by private message, and the answer approves or declines the request
(they may ask again). Neither is a violation: it is audited, not made a case. The challenge is in
the database, so a restart neither forgets it nor lets its time run out unnoticed.
"""

from __future__ import annotations

import json
import random

from bot.service.models import Action, ServiceError
from bot.service.settings import Settings
from bot.service.shared import Shared
from bot.service.texts import member_text

# what a challenge shows: pictures, so that it reads the same in every language
PICTURES = ("🍎", "🚗", "🐟", "🌙", "⚽", "🎸", "🌵", "🔑")
NAMES = {"vi": ("quả táo", "ô tô", "con cá", "mặt trăng", "quả bóng", "cây đàn", "cây xương rồng",
                "chìa khoá"),
         "en": ("apple", "car", "fish", "moon", "ball", "guitar", "cactus", "key")}
SHOWN = 4
LETTERS = "abcdefgh"  # a button's verb carries its position: verify-a, verify-b, ...
DAY = 86400.0
# Telegram lets a bot write to someone who asked to join for five minutes, until it answers
REQUEST_SECONDS = 290


class Verification:
    def __init__(self, shared: Shared, rng: random.Random | None = None) -> None:
        self.s = shared
        self.rng = rng or random.SystemRandom()

    async def on_join(self, community: str, member: str, name: str, language: str,
                      settings: Settings, raid_on: bool,
                      account_created: float | None = None) -> list[Action]:
        """A member joined: challenged if the community verifies, a raid is on, or the
        account is too young; not if they passed before."""
        s = self.s
        now = s.clock()
        young = (account_created is not None and settings.min_account_age_days > 0
                 and now - account_created < settings.min_account_age_days * DAY)
        if not (settings.verify or raid_on or young):
            return []
        if await s.storage.is_verified(community, member):
            return []
        until = now + settings.verify_seconds
        shown, right = self._pick()
        await s.storage.set_challenge(community, member,
                                      json.dumps({"shown": shown, "right": right}), until)
        # a verify role gates the member by itself, and raid mode holds them already; else
        # they are held until they pass
        held = [] if settings.verify_role or raid_on else [
            Action(0, "hold", community, member_id=member, until=until + 60)]
        return held + [self._challenge(community, member, name, language, shown, right,
                                       settings.verify_seconds, settings.verify_channel,
                                       "challenge")]

    async def on_request(self, platform: str, community: str, member: str, name: str,
                         language: str, settings: Settings, raid_on: bool) -> list[Action]:
        """Someone asked to join (a group that takes join requests): when the community
        verifies or a raid is on, they are asked by private message before the request is
        approved; someone who passed before is approved at once. Otherwise the request is
        left to the group's administrators."""
        s = self.s
        if not (settings.verify or raid_on):
            return []
        if await s.storage.is_verified(community, member):
            await s.storage.audit(community, "auto", "request_approved",
                                  {"member": member, "why": "verified before"}, s.clock())
            return [Action(0, "approve", community, member_id=member)]
        seconds = min(settings.verify_seconds, REQUEST_SECONDS)
        shown, right = self._pick()
        await s.storage.request_challenge(
            community, platform, member,
            json.dumps({"shown": shown, "right": right, "request": True,
                        "language": "vi" if language == "vi" else "en"}), s.clock() + seconds)
        # in a private chat, where the member answers: its buttons carry the community
        return [self._challenge(community, member, name, language, shown, right, seconds,
                                member, "request_challenge")]

    def _pick(self) -> tuple[list[int], int]:
        """Which pictures to show, and which of them is the right one."""
        return self.rng.sample(range(len(PICTURES)), SHOWN), self.rng.randrange(SHOWN)

    @staticmethod
    def _challenge(community: str, member: str, name: str, language: str, shown: list[int],
                   right: int, seconds: int, channel: str, text: str) -> Action:
        lang = "vi" if language == "vi" else "en"
        said = member_text(text, lang, name=name or member,
                           picture=f"{PICTURES[shown[right]]} ({NAMES[lang][shown[right]]})",
                           seconds=seconds)
        buttons = tuple((PICTURES[p], f"verify-{LETTERS[i]}:{member}")
                        for i, p in enumerate(shown))
        return Action(0, "challenge", community, member_id=member, channel_id=channel,
                      text=said, language=lang, buttons=buttons, delete_after=seconds + 5)

    async def posted(self, action: Action, where: str) -> None:
        """The adapter posted the challenge: the member's time counts from now (in a raid,
        Telegram's pace of 20 posts a minute into a group may post it minutes after the join),
        and where it is (``channel:message``) is remembered, to remove it once answered (a post
        several members share says only ``shared``, and goes when its time is up)."""
        if action.kind == "challenge" and where:
            settings = await self.s.communities.settings(action.community_id)
            await self.s.storage.set_challenge_post(
                action.community_id, action.member_id, where if ":" in where else "",
                self.s.clock() + settings.verify_seconds)

    async def answer(self, community: str, member: str, presser: str,
                     letter: str) -> tuple[str, list[Action]]:
        """A press on a challenge's button: what the presser reads (a mark, or for a join
        request a sentence), and what to do."""
        if presser != member:
            raise ServiceError("Nút này dành cho người khác. / This button is for someone else.")
        pending = await self.s.storage.challenge_of(community, member)
        if pending is None:
            raise ServiceError("Không có thử thách nào đang chờ. / There is no challenge waiting.")
        data, until, post = pending
        settings = await self.s.communities.settings(community)
        challenge = json.loads(data)
        right = LETTERS[challenge["right"]] == letter and self.s.clock() <= until
        request = bool(challenge.get("request"))
        # (someone who asked to join reads the outcome where they answered, in a private chat)
        said = member_text("request_passed" if right else "request_failed",
                           challenge.get("language", "en")) if request else "✓" if right else "✗"
        if not right:
            return said, await self._fail(community, member, post, "wrong answer", request)
        await self.s.storage.set_challenge(community, member, None, None,
                                           verified_at=self.s.clock())
        await self.s.storage.hold_members(community, [member], None)  # a raid need not release
        await self.s.storage.audit(community, member, "verified", {"member": member},
                                   self.s.clock())
        actions = self._unpost(community, member, post)
        if request:
            actions.append(Action(0, "approve", community, member_id=member))
        elif settings.verify_role:
            actions.append(Action(0, "grant", community, member_id=member,
                                  text=settings.verify_role))
        else:
            actions.append(Action(0, "release", community, member_id=member))
        return said, actions

    async def _fail(self, community: str, member: str, post: str, why: str,
                    request: bool) -> list[Action]:
        """Out (a kick), or a join request declined: either way free to try again."""
        await self.s.storage.set_challenge(community, member, None, None)
        await self.s.storage.hold_members(community, [member], None)
        await self.s.storage.audit(community, "auto", "verification_failed",
                                   {"member": member, "why": why,
                                    **({"request": True} if request else {})}, self.s.clock())
        return self._unpost(community, member, post) + [
            Action(0, "decline" if request else "kick", community, member_id=member)]

    @staticmethod
    def _unpost(community: str, member: str, post: str) -> list[Action]:
        channel, _, message = post.rpartition(":")
        if not message:
            return []
        return [Action(0, "delete", community, member_id=member, channel_id=channel,
                       message_id=message)]

    async def due(self) -> list[Action]:
        """Remove everyone whose challenge ran out (restarts included)."""
        actions: list[Action] = []
        for community, member in await self.s.storage.expired_challenges(self.s.clock()):
            pending = await self.s.storage.challenge_of(community, member)
            data, _, post = pending or ("{}", 0.0, "")
            actions += await self._fail(community, member, post, "no answer in time",
                                        bool(json.loads(data).get("request")))
        return actions

    async def next_end(self) -> float | None:
        return await self.s.storage.next_challenge_end()
