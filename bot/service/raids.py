"""Raid mode: a flood of joins noticed and answered, and every change it made undone at its end.

Joins are counted per community over ``raid_window``; ``raid_joins`` of them start raid mode,
which covers every member who joined since the first join of that window, not only later ones.
While it lasts, the community's ``raid_action`` holds: an alert in the mod log only; or new
members held (restricted until it ends) and, on Discord, invites and DMs paused and slow mode set
where raiders post; or, with ``lock``, on Telegram the whole chat's permissions tightened. It ends
after ``raid_cooldown`` with neither a join nor a message from a member who joined during it, or
when a moderator ends it. It is a row in the database (with what it changed on the platform, as
the adapter reported it), so a restart neither forgets it nor leaves a change behind.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace
from datetime import tzinfo

from bot.service.bounded import LRU
from bot.service.communities import COMMUNITIES_CACHED
from bot.service.modlog import log_text
from bot.service.models import Action, Incoming, Raid, ServiceError
from bot.service.settings import Settings
from bot.service.shared import Shared
from bot.service.texts import when

# A held member's restriction lapses by itself after this, should the bot never come back to
# lift it; Discord's pause of invites and DMs lasts 24 hours at most
HOLD_SECONDS = 86400
EXTEND_SECONDS = 1800  # what the alert's "extend" button adds
ACTIVITY_WRITES = 15.0  # seconds between stored updates of a raid's latest activity
BAN_CONFIRM_SECONDS = 60.0  # the ban button's second press must come within this
MOST_BANNED = 10_000


@dataclass
class _Live:
    """What this process knows of an open raid (mutable: raid activity comes many times a
    second; the database is updated at most every ``ACTIVITY_WRITES`` seconds)."""

    raid: Raid
    joined: set[str]
    last_activity: float
    changes: dict = field(default_factory=dict)
    posted_in: set[str] = field(default_factory=set)  # channels slow mode was asked for
    written: float = 0.0


@dataclass(frozen=True)
class RaidStatus:
    """What ``raid status`` shows a moderator."""

    raid: Raid | None
    joined: int  # members the raid covers (since it began), or joins in the last window
    held: int
    window_joins: int
    settings: Settings

    def said(self, zone: tzinfo | None) -> str:
        s = self.settings
        if self.raid is None:
            return (f"Raid mode is off. {self.window_joins} join(s) in the last "
                    f"{s.raid_window}s; raid mode starts at {s.raid_joins or 'never (off)'} "
                    f"(raid_joins), action: {s.raid_action}.")
        r = self.raid
        ends = max(r.last_activity + s.raid_cooldown, r.hold_until)
        return (f"Raid mode is ON since {when(r.started_at, zone)} (started by {r.started_by}, "
                f"action {r.action}): {self.joined} member(s) joined since "
                f"{when(r.since, zone)}, {self.held} held. It ends at {when(ends, zone)} unless "
                "more join or raiders post.")


@dataclass(frozen=True)
class BanJoined:
    """What ``raid ban-joined`` touches (``done``: carried out, not only previewed)."""

    since: float
    members: int
    done: bool

    def said(self, zone: tzinfo | None, confirm_with: str = "") -> str:
        since = when(self.since, zone)
        if not self.members:
            return f"Nobody joined since {since}: nobody to ban."
        if self.done:
            return f"Banning the {self.members} member(s) who joined since {since}."
        return (f"This would ban the {self.members} member(s) who joined since {since}.\n"
                f"To do it: {confirm_with}")


class Raids:
    def __init__(self, shared: Shared) -> None:
        self.s = shared
        self._live: dict[str, _Live] = {}
        self._loaded = False
        self._loading = asyncio.Lock()
        self._ban_pressed: LRU[tuple[str, int, str], float] = LRU(1000)
        self._locks: LRU[str, asyncio.Lock] = LRU(COMMUNITIES_CACHED)

    async def _load(self) -> None:
        """Open raids from the database, once: raid mode survives a restart."""
        if self._loaded:
            return
        async with self._loading:  # (the first messages after a start arrive together)
            if not self._loaded:
                for raid in await self.s.storage.open_raids():
                    await self._adopt(raid)
                self._loaded = True

    async def _adopt(self, raid: Raid) -> _Live:
        joined = {m for m, _ in await self.s.storage.joins_since(raid.community_id, raid.since)}
        live = self._live[raid.community_id] = _Live(
            raid, joined, raid.last_activity, dict(raid.changes),
            set(raid.changes.get("slowmode", {})), written=raid.last_activity)
        return live

    def challenges(self, community: str) -> bool:
        """Whether raid mode is on in the community and acting (not only alerting): members
        who join are challenged then."""
        live = self._live.get(community)
        return live is not None and live.raid.action != "alert"

    async def challenging(self, community: str) -> bool:
        """``challenges``, for a caller that may come before any join since a start."""
        await self._load()
        return self.challenges(community)

    # -- what members do --------------------------------------------------------------------

    async def on_join(self, platform: str, community: str, member: str,
                      settings: Settings) -> list[Action]:
        """A member joined: counted, held if a raid is on, and a raid begun if this join
        crosses the community's threshold."""
        await self._load()
        async with self._lock(community):  # joins arrive together: counted one at a time
            return await self._joined(platform, community, member, settings)

    def _lock(self, community: str) -> asyncio.Lock:
        lock = self._locks.get(community)
        if lock is None:
            lock = self._locks[community] = asyncio.Lock()
        return lock

    async def _joined(self, platform: str, community: str, member: str,
                      settings: Settings) -> list[Action]:
        s = self.s
        now = s.clock()
        await s.storage.record_join(community, platform, member, now)
        live = self._live.get(community)
        if live is not None:
            live.joined.add(member)
            live.last_activity = now
            await s.storage.update_raid(live.raid.id, last_activity=now, joins=len(live.joined))
            live.written = now
            # joiners are held until they pass the challenge: someone who passed it already
            # (a join request's, answered before they came in) is not held again
            if await s.storage.is_verified(community, member):
                return []
            return await self._hold(live, [member])
        if settings.raid_joins <= 0:
            return []
        recent = await s.storage.joins_since(community, now - settings.raid_window)
        if len(recent) < settings.raid_joins:
            return []
        return await self._begin(platform, community, "auto", recent[0][1], settings)

    async def on_message(self, msg: Incoming, settings: Settings) -> list[Action]:
        """A message: if its author joined during an open raid, the raid is still going (and,
        where the platform has it, slow mode goes on in that channel)."""
        if not self._loaded:
            await self._load()
        live = self._live.get(msg.community_id)
        if live is None or msg.author_id not in live.joined:
            return []
        live.last_activity = now = self.s.clock()
        if now - live.written >= ACTIVITY_WRITES:
            live.written = now
            await self.s.storage.update_raid(live.raid.id, last_activity=now)
        if (live.raid.action == "alert" or not settings.raid_slowmode
                or msg.channel_id in live.posted_in):
            return []
        live.posted_in.add(msg.channel_id)
        return [Action(0, "slowmode", msg.community_id, channel_id=msg.channel_id,
                       seconds=settings.raid_slowmode)]

    # -- beginning and end ------------------------------------------------------------------

    async def _begin(self, platform: str, community: str, actor: str, since: float,
                     settings: Settings) -> list[Action]:
        s = self.s
        now = s.clock()
        joined = [m for m, _ in await s.storage.joins_since(community, since)]
        raid = await s.storage.start_raid(community, platform, settings.raid_action, since,
                                          actor, len(joined), now)
        if raid is None:  # another process began it a moment ago
            for one in await s.storage.open_raids():
                if one.community_id == community and community not in self._live:
                    await self._adopt(one)
            return []
        live = await self._adopt(raid)
        actions = self._alert(raid, len(joined), settings)
        if raid.action != "alert":
            actions.append(Action(0, "lockdown", community, text=raid.action,
                                  until=now + HOLD_SECONDS))
        return actions + await self._hold(live, joined)

    async def _hold(self, live: _Live, members: list[str]) -> list[Action]:
        raid = live.raid
        if raid.action == "alert" or not members:
            return []
        await self.s.storage.hold_members(raid.community_id, members, raid.id)
        until = self.s.clock() + HOLD_SECONDS
        return [Action(0, "hold", raid.community_id, member_id=m, until=until) for m in members]

    def _alert(self, raid: Raid, joined: int, settings: Settings) -> list[Action]:
        if not settings.log_channel:
            return []
        lang = self.s.communities.log_language(raid.community_id, settings)
        by = log_text("raid_by_auto", lang) if raid.started_by == "auto" else \
            log_text("raid_by_moderator", lang, moderator=raid.started_by)
        text = log_text("raid_started", lang, joins=joined, since=when(raid.since, settings.zone),
                        by=by, action=log_text(f"raid_action_{raid.action}", lang),
                        cooldown=settings.raid_cooldown // 60 or 1)
        buttons = (
            (log_text("button_raid_end", lang), f"raid-end:{raid.id}"),
            (log_text("button_raid_ban", lang, n=joined), f"raid-ban:{raid.id}"),
            (log_text("button_raid_extend", lang, minutes=EXTEND_SECONDS // 60),
             f"raid-extend:{raid.id}"))
        return [Action(0, "modlog", raid.community_id, channel_id=settings.log_channel,
                       text=text, buttons=buttons)]

    async def due(self) -> list[Action]:
        """End every raid quiet for its community's ``raid_cooldown`` (and past any extension)."""
        await self._load()
        now = self.s.clock()
        actions: list[Action] = []
        for community, live in list(self._live.items()):
            settings = await self.s.communities.settings(community)
            if now >= self._ends(live, settings):
                async with self._lock(community):
                    actions += await self._finish(community, "auto")
        return actions

    async def next_end(self) -> float | None:
        await self._load()
        ends = [self._ends(live, await self.s.communities.settings(c))
                for c, live in self._live.items()]
        return min(ends, default=None)

    @staticmethod
    def _ends(live: _Live, settings: Settings) -> float:
        return max(live.last_activity + settings.raid_cooldown, live.raid.hold_until)

    async def _finish(self, community: str, actor: str) -> list[Action]:
        """Close the raid and undo what it changed: chat permissions and slow mode restored as
        the platform reported them before, held members released (not one with a running
        mute or ban of their own)."""
        s = self.s
        live = self._live.pop(community, None)
        if live is None:
            return []
        now = s.clock()
        raid = await s.storage.end_raid(live.raid.id, actor, now)
        if raid is None:
            return []  # another process ended it
        changes = {**raid.changes, **live.changes}
        actions: list[Action] = []
        if "lockdown" in changes:
            actions.append(Action(0, "unlock", community, text=changes["lockdown"]))
        for channel, before in changes.get("slowmode", {}).items():
            actions.append(Action(0, "slowmode", community, channel_id=channel,
                                  seconds=int(before)))
        held = await s.storage.held_members(community, raid.id)
        await s.storage.hold_members(community, held, None)
        # a running mute or ban of a member's own is not raid mode's to lift
        sanctioned = await s.storage.sanctioned_members(community, now)
        released = [m for m in held if m not in sanctioned]
        actions += [Action(0, "release", community, member_id=m) for m in released]
        settings = await s.communities.settings(community)
        if settings.log_channel:
            lang = s.communities.log_language(community, settings)
            by = log_text("raid_by_auto", lang) if actor == "auto" else \
                log_text("raid_by_moderator", lang, moderator=actor)
            actions.append(Action(0, "modlog", community, channel_id=settings.log_channel,
                                  text=log_text("raid_ended", lang, by=by, joins=len(live.joined),
                                                since=when(raid.since, settings.zone),
                                                released=len(released))))
        return actions

    # -- the adapter's reports --------------------------------------------------------------

    async def changed(self, action: Action, before: str) -> None:
        """The platform confirmed a raid-mode change, and said what was there before (empty:
        nothing changed, such as slow mode on a platform whose bots cannot set it)."""
        live = self._live.get(action.community_id)
        if live is None or not before or action.kind not in ("lockdown", "slowmode"):
            return
        if action.kind == "lockdown":
            live.changes["lockdown"] = before
        else:
            live.changes.setdefault("slowmode", {})[action.channel_id] = before
        await self.s.storage.update_raid(live.raid.id, changes=live.changes)

    # -- moderators -------------------------------------------------------------------------

    async def status(self, community: str) -> RaidStatus:
        await self._load()
        s = self.s
        settings = await s.communities.settings(community)
        live = self._live.get(community)
        window = len(await s.storage.joins_since(community, s.clock() - settings.raid_window))
        if live is None:
            return RaidStatus(None, 0, 0, window, settings)
        raid = await s.storage.get_raid(live.raid.id) or live.raid
        raid = replace(raid, last_activity=live.last_activity)
        held = len(await s.storage.held_members(community, raid.id))
        return RaidStatus(raid, len(live.joined), held, window, settings)

    async def start(self, platform: str, community: str, moderator: str) -> list[Action]:
        """A moderator begins raid mode: it covers those who joined within ``raid_window``."""
        await self._load()
        settings = await self.s.communities.settings(community)
        async with self._lock(community):
            if community in self._live:
                raise ServiceError("Raid mode is already on (raid status says since when).")
            await self.s.storage.touch_moderator(community, moderator, self.s.clock())
            return await self._begin(platform, community, moderator,
                                     self.s.clock() - settings.raid_window, settings)

    async def end(self, community: str, moderator: str) -> list[Action]:
        await self._load()
        async with self._lock(community):
            if community not in self._live:
                raise ServiceError("Raid mode is not on.")
            await self.s.storage.touch_moderator(community, moderator, self.s.clock())
            return await self._finish(community, moderator)

    async def extend(self, community: str, moderator: str,
                     seconds: float = EXTEND_SECONDS) -> float:
        """Keep raid mode on for at least ``seconds`` more; when it can end now."""
        await self._load()
        live = self._live.get(community)
        if live is None:
            raise ServiceError("Raid mode is not on.")
        now = self.s.clock()
        until = max(live.raid.hold_until, now + seconds)
        live.raid = replace(live.raid, hold_until=until)
        await self.s.storage.update_raid(live.raid.id, hold_until=until)
        await self.s.storage.touch_moderator(community, moderator, now)
        await self.s.storage.audit(community, moderator, "raid_extended",
                                   {"raid": live.raid.id, "until": until}, now)
        return until

    async def ban_joined(self, community: str, since: float, moderator: str,
                         confirm: bool = False) -> tuple[BanJoined, list[Action]]:
        """Ban everyone who joined since ``since`` (moderators excepted); with ``confirm``
        False, only say how many. Audited as one decision."""
        s = self.s
        now = s.clock()
        moderators = set(await s.storage.moderators(community))
        members = [m for m, _ in await s.storage.joins_since(community, since)
                   if m not in moderators and m != moderator][:MOST_BANNED]
        summary = BanJoined(since, len(members), confirm and bool(members))
        if not summary.done:
            return summary, []
        await s.storage.touch_moderator(community, moderator, now)
        await s.storage.audit(community, moderator, "raid_ban_joined",
                              {"since": since, "members": members}, now)
        await s.storage.hold_members(community, members, None)  # nothing to release later
        settings = await s.communities.settings(community)
        actions = [Action(0, "ban", community, member_id=m, text="raid") for m in members]
        if settings.log_channel:
            lang = s.communities.log_language(community, settings)
            actions.append(Action(0, "modlog", community, channel_id=settings.log_channel,
                                  text=log_text("raid_banned", lang, moderator=moderator,
                                                members=len(members),
                                                since=when(since, settings.zone))))
        return summary, actions

    async def button(self, community: str, verb: str, raid_id: int,
                     moderator: str) -> tuple[str, list[Action]]:
        """A press on the raid alert's buttons: end, extend, or ban everyone who joined since
        the raid began (a second press within a minute confirms: the first says how many)."""
        await self._load()
        live = self._live.get(community)
        if live is None or live.raid.id != raid_id:
            raise ServiceError("That raid mode is over.")
        if verb == "raid-end":
            return "Raid mode ended.", await self.end(community, moderator)
        if verb == "raid-extend":
            until = await self.extend(community, moderator)
            zone = (await self.s.communities.settings(community)).zone
            return f"Raid mode stays on until at least {when(until, zone)}.", []
        if verb != "raid-ban":
            raise ServiceError("Unknown button.")
        key, now = (community, raid_id, moderator), self.s.clock()
        confirm = now - self._ban_pressed.pop(key, -1e18) <= BAN_CONFIRM_SECONDS
        if not confirm:
            self._ban_pressed[key] = now
        summary, actions = await self.ban_joined(community, live.raid.since, moderator, confirm)
        zone = (await self.s.communities.settings(community)).zone
        return summary.said(zone, "press the button again within a minute"), actions

