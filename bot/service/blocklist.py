"""Block lists checked when a member joins: the community's own list of banned ids (imported,
exported), and an optional shared list with a CAS-style API (``BLOCKLIST_URL``: GET with
``user_id``, ``{"ok": true, ...}`` when the id is listed, ``{"ok": false}`` when not).

A listed member is banned on joining, as a case (actor ``blocklist``) that moderators see in the
mod log and can pardon. The shared list's answers are cached; when it does not answer, the
member is let in (fail open: a list that is down must not keep everyone out), the failure is
audited and told to moderators once an hour.
"""

from __future__ import annotations

import asyncio
import time
from typing import Callable

import aiohttp

from bot.service.bounded import LRU
from bot.service.cases import CaseBook
from bot.service.communities import COMMUNITIES_CACHED
from bot.service.modlog import log_text
from bot.service.models import Action, NewCase, ServiceError
from bot.service.settings import Settings
from bot.service.shared import Shared

CACHED = 100_000  # shared-list answers kept
CACHE_SECONDS = 3600.0
FAILURE_NOTICE_SECONDS = 3600.0
OWN, SHARED = "blocklist.community", "blocklist.shared"


class BlockListError(Exception):
    """The shared list did not answer, or answered something that is not its API."""


class SharedBlockList:
    """A CAS-style list over HTTP, with answers cached for an hour."""

    def __init__(self, url: str, timeout: float = 3.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.url, self.timeout, self.clock = url, timeout, clock
        self._cache: LRU[str, tuple[bool, float]] = LRU(CACHED)
        self._session: aiohttp.ClientSession | None = None

    async def listed(self, member: str) -> bool:
        known = self._cache.get(member)
        if known is not None and self.clock() - known[1] < CACHE_SECONDS:
            return known[0]
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.timeout))
        try:
            async with self._session.get(self.url, params={"user_id": member}) as response:
                if response.status >= 500:
                    raise BlockListError(f"HTTP {response.status}")
                body = await response.json(content_type=None)
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError, ValueError) as exc:
            raise BlockListError(f"{type(exc).__name__}: {exc}".rstrip(": ")) from None
        if not isinstance(body, dict) or not isinstance(body.get("ok"), bool):
            raise BlockListError("the answer has no 'ok' true or false")
        self._cache[member] = (body["ok"], self.clock())
        return body["ok"]

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


class Blocks:
    def __init__(self, shared: Shared, cases: CaseBook,
                 shared_list: SharedBlockList | None = None) -> None:
        self.s, self.cases, self.shared_list = shared, cases, shared_list
        self._told: LRU[str, float] = LRU(COMMUNITIES_CACHED)

    async def on_join(self, platform: str, community: str, member: str,
                      settings: Settings) -> list[Action]:
        """A member joined: banned if on the community's list or the shared one."""
        reason = await self.s.storage.is_blocked(community, member)
        rule = OWN
        if reason is None and self.shared_list is not None and settings.shared_blocklist:
            try:
                listed = await self.shared_list.listed(member)
            except BlockListError as exc:
                return await self._failed(community, member, str(exc), settings)
            reason, rule = ("on the shared block list", SHARED) if listed else (None, rule)
        if reason is None:
            return []
        return await self._ban(platform, community, member, rule,
                               reason or "on this community's block list", settings)

    async def _ban(self, platform: str, community: str, member: str, rule: str, reason: str,
                   settings: Settings) -> list[Action]:
        kinds = ("ban",) + (("modlog",) if settings.log_channel else ())
        case, ids = await self.s.storage.record_case(NewCase(
            community_id=community, platform=platform, member_id=member, action="ban",
            actor="blocklist", status="active", points=0.0, now=self.s.clock(),
            rule_ids=(rule,), clauses=("community",), reason=reason,
            language=self.s.communities.log_language(community, settings),
            action_kinds=kinds))
        return self.cases.actions(case, ids, kinds, settings, why=reason)

    async def _failed(self, community: str, member: str, error: str,
                      settings: Settings) -> list[Action]:
        """Fail open: the member is let in; the failure is audited, and told once an hour."""
        now = self.s.clock()
        await self.s.storage.audit(community, "blocklist", "blocklist_unanswered",
                                   {"member": member, "error": error}, now)
        if not settings.log_channel or now - self._told.get(community, -1e18) < \
                FAILURE_NOTICE_SECONDS:
            return []
        self._told[community] = now
        lang = self.s.communities.log_language(community, settings)
        return [Action(0, "modlog", community, channel_id=settings.log_channel,
                       text=log_text("blocklist_down", lang, error=error))]

    async def import_ids(self, community: str, lines: list[str], actor: str) -> tuple[int, int]:
        """Ids to ban on joining, one per line (``id`` or ``id,reason``; ``#`` comments);
        a line that is not an id is refused with its number, and nothing is added then.
        (ids read, ids new to the list)."""
        members: list[tuple[str, str]] = []
        problems = []
        for number, line in enumerate(lines, start=1):
            text = line.split("#", 1)[0].strip()
            if not text:
                continue
            member, _, reason = (p.strip() for p in text.partition(","))
            if not member.lstrip("-").isdigit():
                problems.append(f"line {number}: {member[:40]!r} is not a member id")
                continue
            members.append((member, reason))
        if problems:
            raise ServiceError("; ".join(problems[:10])
                               + (f" (and {len(problems) - 10} more)" if len(problems) > 10
                                  else ""))
        added = await self.s.storage.block_members(community, members, actor, self.s.clock())
        return len(members), added

    async def export_ids(self, community: str) -> list[tuple[str, str]]:
        """The community's list, and every member it has banned (a running ban case), as
        (id, reason): what another community may import."""
        out = {m: reason for m, reason, _ in await self.s.storage.blocked_members(community)}
        for case in await self.s.storage.list_cases(community, status="active", limit=1_000_000):
            if case.action == "ban" and case.member_id not in out \
                    and not case.member_id.startswith("forgotten-"):
                out[case.member_id] = f"banned here (case #{case.number})"
        return sorted(out.items())
