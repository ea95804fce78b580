"""A fake Discord REST API and gateway on 127.0.0.1 for driving the real discord.py client.

REST replies carry ``Content-Type: application/json`` exactly (discord.py checks it). The gateway
sends HELLO, answers heartbeats with op 11, sends READY (with ``resume_gateway_url``) and then
GUILD_CREATE; tests dispatch further events as raw payload dicts and assert the REST calls.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from dataclasses import dataclass
from typing import Any

from aiohttp import WSMsgType, web

from bot.fakes import FaultSchedule, poll_until, serve

APP_ID = "900000000000000001"
BOT_ID = APP_ID
GUILD = "100000000000000001"
GENERAL = "200000000000000001"
LOG = "200000000000000002"
MOD_ROLE = "300000000000000001"
OWNER = "400000000000000001"
MODERATE_MEMBERS = 1 << 40
EVERYONE_PERMS = 0x6_3FFC_0E41 & ~(1 << 40)  # a plain member's usual permissions, no moderation


def user(uid: str, name: str = "member") -> dict:
    return {"id": uid, "username": name, "discriminator": "0", "global_name": name,
            "avatar": None, "bot": False}


def member(uid: str, name: str = "member", roles: list[str] | None = None) -> dict:
    return {"user": user(uid, name), "roles": roles or [], "joined_at": "2026-01-01T00:00:00+00:00",
            "deaf": False, "mute": False, "flags": 0, "nick": None}


def _acts(method: str, path: str) -> bool:
    """A call that carries out moderation (not start-up, not an interaction's answer)."""
    return method != "GET" and path.startswith(("/channels/", "/guilds/", "/users/@me/channels"))


@dataclass
class Call:
    method: str
    path: str
    body: Any


class FakeDiscord:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.members: dict[str, dict] = {OWNER: member(OWNER, "owner")}
        self.channel_changes: dict[str, dict] = {}  # what PATCH /channels/{id} set
        # OAuth2 (the dashboard's login): code -> the user it stands for, and the secret the
        # token exchange must bring
        self.oauth_codes: dict[str, str] = {}
        self.client_secret = "fake-client-secret"
        self.faults: list[tuple[str, str, int, dict]] = []  # (method, path prefix, status, body)
        self.schedules: list[FaultSchedule] = []  # faults on the calls that act (see _acts)
        self.holds: list[list] = []  # [method, path prefix, seconds, times left]
        self._ws: web.WebSocketResponse | None = None
        self._seq = itertools.count(1)
        self._ids = itertools.count(700000000000000000)
        self.connected = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self, port: int = 0) -> None:
        app = web.Application()
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", "/api/v10/{path:.*}", self._rest)
        self._runner, self.port = await serve(app, port or self.port)

    async def stop(self) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    def snowflake(self) -> str:
        return str(next(self._ids))

    # -- gateway ---------------------------------------------------------------------------

    def channel_payload(self, cid: str) -> dict:
        channel = {"type": 0, "position": 0 if cid != LOG else 1, "permission_overwrites": [],
                   "guild_id": GUILD, "nsfw": False, "parent_id": None,
                   "rate_limit_per_user": 0, "topic": None, "id": cid,
                   "name": {GENERAL: "general", LOG: "mod-log"}.get(cid, f"channel-{cid}")}
        return {**channel, **self.channel_changes.get(cid, {})}

    def guild_payload(self) -> dict:
        return {
            "id": GUILD, "name": "Quytac test", "owner_id": OWNER, "features": [],
            "roles": [
                {"id": GUILD, "name": "@everyone", "permissions": str(EVERYONE_PERMS),
                 "position": 0, "color": 0, "hoist": False, "managed": False,
                 "mentionable": False, "flags": 0},
                {"id": MOD_ROLE, "name": "mods", "permissions": str(EVERYONE_PERMS | MODERATE_MEMBERS),
                 "position": 1, "color": 0, "hoist": False, "managed": False,
                 "mentionable": False, "flags": 0},
            ],
            "channels": [self.channel_payload(GENERAL), self.channel_payload(LOG)],
            "members": list(self.members.values()), "member_count": len(self.members),
            "emojis": [], "stickers": [], "threads": [], "voice_states": [], "presences": [],
            "large": False, "unavailable": False, "joined_at": "2026-01-01T00:00:00+00:00",
            "premium_tier": 0, "preferred_locale": "vi", "verification_level": 0,
            "default_message_notifications": 0, "explicit_content_filter": 0, "mfa_level": 0,
            "nsfw_level": 0, "system_channel_flags": 0, "afk_timeout": 300,
            "stage_instances": [], "guild_scheduled_events": [], "soundboard_sounds": [],
        }

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._ws = ws
        await ws.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": 41250}}))
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                continue
            data = json.loads(msg.data)
            if data["op"] == 1:
                await ws.send_str(json.dumps({"op": 11}))
            elif data["op"] in (2, 6):  # identify, resume
                await self._send(ws, "READY", {
                    "v": 10, "user": {**user(BOT_ID, "quytac"), "bot": True},
                    "guilds": [{"id": GUILD, "unavailable": True}], "session_id": "s1",
                    "resume_gateway_url": self.gateway_url, "private_channels": [],
                    "relationships": [], "application": {"id": APP_ID, "flags": 0},
                    "shard": (data.get("d") or {}).get("shard", [0, 1])})
                await self._send(ws, "GUILD_CREATE", self.guild_payload())
                self.connected.set()
        return ws

    async def _send(self, ws: web.WebSocketResponse, event: str, data: dict) -> None:
        await ws.send_str(json.dumps({"op": 0, "t": event, "s": next(self._seq), "d": data}))

    async def dispatch(self, event: str, data: dict) -> None:
        await self.connected.wait()
        assert self._ws is not None
        await self._send(self._ws, event, data)

    async def message(self, author: str, content: str, channel: str = GENERAL,
                      roles: list[str] | None = None, name: str = "member") -> dict:
        data = {
            "id": self.snowflake(), "channel_id": channel, "guild_id": GUILD,
            "author": user(author, name), "member": {k: v for k, v in member(author, name, roles).items()
                                                     if k != "user"},
            "content": content, "timestamp": "2026-11-29T00:00:00+00:00",
            "edited_timestamp": None, "tts": False, "mention_everyone": False, "mentions": [],
            "mention_roles": [], "attachments": [], "embeds": [], "pinned": False, "type": 0,
            "flags": 0, "components": []}
        await self.dispatch("MESSAGE_CREATE", data)
        return data

    async def join(self, uid: str, name: str = "member") -> None:
        """A member joins the guild (GUILD_MEMBER_ADD)."""
        self.members[uid] = member(uid, name)
        await self.dispatch("GUILD_MEMBER_ADD", {**member(uid, name), "guild_id": GUILD})

    async def interaction(self, author: str, data: dict, itype: int = 2,
                          permissions: int = EVERYONE_PERMS, channel: str = GENERAL,
                          message: dict | None = None, in_guild: bool = True,
                          guild: str = GUILD) -> str:
        iid = self.snowflake()
        payload: dict[str, Any] = {
            "id": iid, "application_id": APP_ID, "type": itype, "token": f"tok-{iid}",
            "version": 1, "channel_id": channel, "data": data, "locale": "vi",
            "app_permissions": str((1 << 41) - 1), "entitlements": [],
            "authorizing_integration_owners": {}, "attachment_size_limit": 8 << 20,
            "channel": {"id": channel, "type": 0 if in_guild else 1, "guild_id": GUILD,
                        "name": "general", "position": 0, "permission_overwrites": [],
                        "nsfw": False, "parent_id": None},
        }
        if in_guild:
            payload["guild_id"] = guild
            payload["guild_locale"] = "vi"
            payload["member"] = {**member(author), "permissions": str(permissions)}
            payload["context"] = 0
        else:
            payload["user"] = user(author)
            payload["context"] = 1
            payload["channel"] = {"id": channel, "type": 1, "recipients": [user(author)]}
        if message is not None:
            payload["message"] = message
        await self.dispatch("INTERACTION_CREATE", payload)
        return iid

    # -- REST ------------------------------------------------------------------------------

    def fail(self, method: str, path_prefix: str, status: int, code: int, message: str) -> None:
        self.faults.append((method, path_prefix, status, {"code": code, "message": message}))

    def hold(self, method: str, path_prefix: str, seconds: float, times: int = 1) -> None:
        """Answer the next ``times`` matching calls after ``seconds`` (a slow Discord)."""
        self.holds.append([method, path_prefix, seconds, times])

    def calls_to(self, method: str, path_prefix: str) -> list[Call]:
        return [c for c in self.calls if c.method == method and c.path.startswith(path_prefix)]

    async def wait_for(self, method: str, path_prefix: str, count: int = 1,
                       timeout: float = 10.0) -> list[Call]:
        def found() -> list[Call] | None:
            got = self.calls_to(method, path_prefix)
            return got if len(got) >= count else None

        return await poll_until(found, timeout, lambda: (
            f"{method} {path_prefix} x{count} not called; calls: "
            f"{[(c.method, c.path) for c in self.calls]}"))

    async def idle(self, quiet: float = 0.3, timeout: float = 10.0) -> None:
        last, since = len(self.calls), time.monotonic()
        deadline = since + timeout
        while time.monotonic() - since < quiet and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
            if len(self.calls) != last:
                last, since = len(self.calls), time.monotonic()

    @staticmethod
    def _json(data: Any, status: int = 200) -> web.Response:
        if data is None:
            return web.Response(status=204)
        headers = {"Content-Type": "application/json"}
        if status == 429:  # as Discord sends them; without Via, discord.py suspects Cloudflare
            headers.update({"Via": "1.1 google", "X-RateLimit-Scope": "user",
                            "Retry-After": str(data.get("retry_after", 1))})
        return web.Response(status=status, body=json.dumps(data).encode(), headers=headers)

    async def _rest(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["path"]
        body: Any = None
        if request.can_read_body:
            if request.content_type == "application/json":
                body = await request.json()
            elif request.content_type.startswith("multipart/"):
                form = await request.post()
                body = json.loads(form["payload_json"]) if "payload_json" in form else dict(form)
                # uploaded files, as the bot sent them: field name -> (filename, bytes)
                files = {k: (v.filename, v.file.read()) for k, v in form.items()
                         if not isinstance(v, str)}
                if files:
                    body["_files"] = files
            elif request.content_type == "application/x-www-form-urlencoded":
                body = dict(await request.post())
        self.calls.append(Call(request.method, path, body))
        if path == "/oauth2/token" or request.headers.get("Authorization", "").startswith(
                "Bearer "):
            return self._oauth(request, path, body)
        if _acts(request.method, path):
            key = (request.method, path, json.dumps(body, sort_keys=True, default=str))
            for schedule in self.schedules:
                kind = schedule.next_fault(f"{request.method} {path}", key)
                if kind == "429":
                    return self._json({"message": "You are being rate limited.",
                                       "retry_after": 0.2, "global": False}, 429)
                if kind == "500":
                    return self._json({"message": "Internal Server Error", "code": 0}, 500)
                if kind == "drop":
                    assert request.transport is not None
                    request.transport.close()
                    return web.Response()
        for hold in self.holds:
            if hold[0] == request.method and path.startswith(hold[1]) and hold[3] > 0:
                hold[3] -= 1
                await asyncio.sleep(hold[2])
        for i, (method, prefix, status, err) in enumerate(self.faults):
            if method == request.method and path.startswith(prefix):
                del self.faults[i]
                return self._json(err, status)
        return self._json(self._answer(request.method, path, body))

    def _oauth(self, request: web.Request, path: str, body: Any) -> web.Response:
        """The code exchange (each code once, with the right secret) and who a token is."""
        if path == "/oauth2/token":
            uid = self.oauth_codes.pop(str((body or {}).get("code")), None)
            if uid is None or (body or {}).get("client_secret") != self.client_secret:
                return self._json({"error": "invalid_grant"}, 400)
            return self._json({"access_token": f"token-{uid}", "token_type": "Bearer",
                               "expires_in": 604800, "scope": "identify"})
        token = request.headers["Authorization"].removeprefix("Bearer ")
        if path != "/users/@me" or not token.startswith("token-"):
            return self._json({"message": "401: Unauthorized", "code": 0}, 401)
        uid = token.removeprefix("token-")
        name = (self.members.get(uid) or member(uid))["user"]["username"]
        return self._json({**user(uid, name), "locale": "vi"})

    def bot_message(self, channel: str, body: dict | None = None) -> dict:
        """A message as the bot sent it (content, embeds and components from ``body``)."""
        body = body or {}
        return {"id": self.snowflake(), "channel_id": channel, "author": {**user(BOT_ID, "quytac"), "bot": True},
                "content": body.get("content", ""), "timestamp": "2026-11-29T00:00:00+00:00",
                "edited_timestamp": None, "tts": False, "mention_everyone": False,
                "mentions": [], "mention_roles": [], "attachments": [],
                "embeds": body.get("embeds", []), "pinned": False, "type": 0, "flags": 0,
                "components": body.get("components", [])}

    def _answer(self, method: str, path: str, body: Any) -> Any:
        parts = path.strip("/").split("/")
        if path == "/users/@me":
            return {**user(BOT_ID, "quytac"), "bot": True}
        if path == "/oauth2/applications/@me":
            return {"id": APP_ID, "name": "quytac", "description": "", "icon": None,
                    "verify_key": "0" * 64, "bot_public": True, "bot_require_code_grant": False,
                    "flags": 0, "owner": user(OWNER, "owner"), "team": None,
                    "summary": "", "rpc_origins": []}
        if path == "/gateway/bot":
            return {"url": self.gateway_url, "shards": 1,
                    "session_start_limit": {"total": 1000, "remaining": 1000,
                                            "reset_after": 0, "max_concurrency": 1}}
        if path == "/gateway":
            return {"url": self.gateway_url}
        if parts[0] == "applications" and parts[-1] == "commands":
            return [{**c, "id": self.snowflake(), "application_id": APP_ID, "version": "1",
                     "default_member_permissions": c.get("default_member_permissions"),
                     "type": c.get("type", 1)} for c in (body or [])]
        if path == "/users/@me/channels":
            rid = str(body["recipient_id"])
            return {"id": f"5{rid[1:]}", "type": 1, "recipients": [user(str(rid))],
                    "last_message_id": None}
        if parts[0] == "channels" and parts[-1] == "messages" and method == "POST":
            return self.bot_message(parts[1], body)
        if parts[0] == "channels" and len(parts) == 4 and method == "PATCH":
            return self.bot_message(parts[1], body)
        if parts[0] == "channels" and len(parts) == 2 and method == "PATCH":
            # a channel's settings (slow mode): kept, so later reads see them
            self.channel_changes.setdefault(parts[1], {}).update(body or {})
            return self.channel_payload(parts[1])
        if parts[0] == "channels" and method == "DELETE":
            return None
        if parts[0] == "guilds" and len(parts) == 4 and parts[2] == "members":
            uid = parts[3]
            m = dict(self.members.get(uid) or member(uid))
            if method == "PATCH" and body:
                m.update(body)
            return m
        if parts[0] == "guilds" and len(parts) > 2 and parts[2] == "bans":
            return None
        if parts[0] == "guilds" and len(parts) == 2:
            return self.guild_payload()
        if parts[0] == "interactions":
            return {"interaction": {"id": parts[1], "type": 2}}
        if parts[0] == "webhooks":
            return self.bot_message(GENERAL, body)
        return {}
