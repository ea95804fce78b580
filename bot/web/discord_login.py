"""Discord login to the dashboard: OAuth2's authorisation code flow with the ``identify`` scope.
The browser is sent to Discord with a random ``state`` (kept in a short-lived cookie, checked on
the way back); the code it brings back is exchanged, server to server, for a token that says who
the person is. What they may see is not asked of the browser's token but of the bot."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

import aiohttp

from bot.web.login import LoginError, WebUser

STATE_COOKIE = "quytac_oauth_state"
STATE_SECONDS = 600


@dataclass(frozen=True)
class DiscordOAuth:
    client_id: str
    client_secret: str
    redirect_uri: str  # <dashboard>/auth/discord/callback, as registered with Discord
    authorize_base: str = "https://discord.com"
    api_base: str = "https://discord.com/api/v10"

    def authorize_url(self, state: str) -> str:
        query = urlencode({"client_id": self.client_id, "response_type": "code",
                           "scope": "identify", "redirect_uri": self.redirect_uri,
                           "state": state, "prompt": "none"})
        return f"{self.authorize_base.rstrip('/')}/oauth2/authorize?{query}"

    async def user(self, code: str) -> WebUser:
        """Who the code stands for (it is used once, here)."""
        timeout = aiohttp.ClientTimeout(total=10)
        try:
            async with aiohttp.ClientSession(timeout=timeout) as http:
                async with http.post(f"{self.api_base}/oauth2/token", data={
                        "client_id": self.client_id, "client_secret": self.client_secret,
                        "grant_type": "authorization_code", "code": code,
                        "redirect_uri": self.redirect_uri}) as r:
                    token = await r.json(content_type=None)
                    if r.status != 200 or "access_token" not in token:
                        raise LoginError("Discord refused the login code: log in again")
                async with http.get(f"{self.api_base}/users/@me", headers={
                        "Authorization": f"Bearer {token['access_token']}"}) as r:
                    me = await r.json(content_type=None)
                    if r.status != 200 or "id" not in me:
                        raise LoginError("Discord did not say who you are: log in again")
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise LoginError(f"Discord could not be reached ({type(exc).__name__})") from None
        return WebUser("discord", str(me["id"]), me.get("global_name") or me.get("username", ""),
                       "vi" if str(me.get("locale", "")).startswith("vi") else "en")
