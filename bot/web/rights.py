"""Who may see a community: the platform's word, asked again when it is a minute old (the same
check as the commands). The wiring gives one ``Rights`` per platform."""

from __future__ import annotations

from typing import Protocol


class Rights(Protocol):
    def claims(self, community: str) -> bool:
        """Whether the community is one of this platform's (a Telegram chat, a Discord
        server), so that nobody is asked about another platform's."""

    async def moderates(self, community: str, user: str) -> bool:
        """Whether the platform says the user moderates the community (at most a minute
        ago)."""
