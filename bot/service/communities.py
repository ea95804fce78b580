"""Each community's settings as the service reads them: a bounded cache read again after a few
seconds (so a change made through another process is in force here soon), `/config` as
moderators type it, and the language of the community's mod log."""

from __future__ import annotations

import difflib
import json
from typing import Callable

from bot.core import Engine
from bot.core.ruleset import CATEGORIES
from bot.service.bounded import LRU
from bot.service.models import ServiceError
from bot.service.settings import Settings, parse_typed, settings_view, spec_for, update
from bot.service.speakers import LanguageTally
from bot.service.storage.base import Storage

SETTINGS_CHECK_SECONDS = 5.0  # how stale another process's settings change may be here
COMMUNITIES_CACHED = 10_000  # communities whose settings and learning a process keeps at hand


class Communities:
    """Settings per community, and what language each writes."""

    def __init__(self, storage: Storage, engine: Engine, clock: Callable[[], float]) -> None:
        self.storage, self.engine, self.clock = storage, engine, clock
        # per community: (when read, the stored JSON, the settings)
        self._settings: LRU[str, tuple[float, str | None, Settings]] = LRU(COMMUNITIES_CACHED)
        self.speakers = LanguageTally(COMMUNITIES_CACHED)

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

    async def preview_settings(self, community: str, changes: dict[str, object]
                               ) -> dict[str, dict[str, object]]:
        """What ``changes`` would change, ``{name: {"from": ..., "to": ...}}``, saving
        nothing; ServiceError names a bad option as saving would."""
        _, diff = self._changed(await self.settings(community), changes)
        return diff

    def _changed(self, old: Settings, changes: dict[str, object]
                 ) -> tuple[Settings, dict[str, dict[str, object]]]:
        new = update(old, changes)  # raises ServiceError naming a bad option
        self._check_rule_ids(new, changes)
        before, after = settings_view(old), settings_view(new)
        return new, {k: {"from": before[k], "to": after[k]} for k in after
                     if before[k] != after[k]}

    async def update_settings(self, community: str, moderator: str,
                              changes: dict[str, object]) -> Settings:
        new, diff = self._changed(await self.settings(community), changes)
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

    def observe(self, community: str, settings: Settings, text: str) -> None:
        """One message of the community, for the language its mod log follows under auto."""
        if settings.language == "auto":
            self.speakers.observe(community, text)

    def log_language(self, community: str, settings: Settings, fallback: str = "") -> str:
        """The mod log's language: the community's setting, or under ``auto`` what most of its
        members write (until the bot has read enough of them: ``fallback``, the language of
        the message at hand)."""
        if settings.language != "auto":
            return settings.language
        return self.speakers.majority(community) or (fallback if fallback in ("vi", "en")
                                                     else "vi")
