"""The dashboard's web server: its routes, who may see what, and how a page answers (HTML, or
JSON when asked with ``Accept: application/json``).

Every change goes through the same ``ModerationService`` calls as the commands, with the
moderator as actor; the platform actions they return go to the platform's performer when this
process has one (``quytac run``), or wait in the database for the bot's next start otherwise.
"""

from __future__ import annotations

import inspect
import logging
import secrets
import time
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Mapping
from urllib.parse import quote, unquote

from aiohttp import web
from jinja2 import Environment, PackageLoader, select_autoescape

from bot.service import Action, ModerationService, ProcessConfig, ServiceError
from bot.web.discord_login import STATE_COOKIE, STATE_SECONDS, DiscordOAuth
from bot.web.login import LoginError, Replays, WebUser, check_webapp, check_widget
from bot.web.rights import Rights
from bot.web.sessions import COOKIE, Session, Sessions
from bot.web.texts import ui

log = logging.getLogger(__name__)

Perform = Callable[[list[Action]], Awaitable[None]]
PUBLIC = ("/healthz", "/login", "/auth/", "/static/")
# where a request keeps its session (a typed key where aiohttp has them, 3.12 and later)
SESSION: Any = web.RequestKey("session", Session) if hasattr(web, "RequestKey") else "session"


@dataclass(frozen=True)
class WebConfig:
    host: str = "127.0.0.1"
    port: int = 8080
    url: str = ""  # the public address (links, and Secure cookies when it is HTTPS)
    secret: bytes = b""  # signs sessions; a random one per process when empty
    telegram_token: str = ""  # checks Telegram logins
    telegram_bot: str = ""  # the bot's @username, for the Login Widget
    session_seconds: float = 12 * 3600.0

    def __repr__(self) -> str:  # never the secret or the token
        return f"WebConfig(host={self.host!r}, port={self.port}, url={self.url!r})"

    @classmethod
    def from_config(cls, config: ProcessConfig, port: int, telegram_bot: str = ""
                    ) -> WebConfig:
        return cls(host=config.quytac_web_host, port=port, url=config.quytac_web_url,
                   secret=config.quytac_web_secret.encode("utf-8"),
                   telegram_token=config.telegram_bot_token, telegram_bot=telegram_bot)


@dataclass
class Dashboard:
    service: ModerationService
    config: WebConfig
    rights: Mapping[str, Rights]
    perform: Mapping[str, Perform] = field(default_factory=dict)
    clock: Callable[[], float] = time.time
    discord: DiscordOAuth | None = None  # Discord login, when configured

    def __post_init__(self) -> None:
        self.sessions = Sessions(self.config.secret or secrets.token_bytes(32),
                                 self.config.session_seconds)
        self.replays = Replays()
        self.templates = Environment(loader=PackageLoader("bot.web", "templates"),
                                     autoescape=select_autoescape(default=True),
                                     trim_blocks=True, lstrip_blocks=True)

    def app(self) -> web.Application:
        from bot.web import desk, members, pages, stats

        app = web.Application(middlewares=[self._guard])
        app.add_routes([
            web.get("/healthz", self.healthz),
            web.get("/login", self.login_page),
            web.get("/auth/telegram", self.auth_telegram),
            web.post("/auth/telegram/webapp", self.auth_webapp),
            web.get("/auth/discord", self.auth_discord),
            web.get("/auth/discord/callback", self.auth_discord_callback),
            web.post("/logout", self.logout),
            web.static("/static", str(_static_dir())),
            *pages.routes(self), *desk.routes(self), *stats.routes(self),
            *members.routes(self),
        ])
        return app

    # -- who is asking -------------------------------------------------------------------------

    @web.middleware
    async def _guard(self, request: web.Request, handler: Any) -> web.StreamResponse:
        session = self.sessions.read(request.cookies.get(COOKIE), self.clock())
        request[SESSION] = session
        if request.path.startswith(PUBLIC):
            return await handler(request)
        if session is None:
            if wants_json(request):
                raise web.HTTPUnauthorized(text='{"error": "log in first"}',
                                           content_type="application/json")
            raise web.HTTPFound("/login?next=" + quote(request.path_qs, safe=""))
        if request.method == "POST":
            form = await request.post()
            token = request.headers.get("X-CSRF-Token") or str(form.get("csrf", ""))
            if not secrets.compare_digest(token, session.csrf):
                return self.error(request, 403, "bad_form")
        community = request.match_info.get("community")
        if community is not None and not await self.moderates(session, community):
            return self.error(request, 403, "forbidden")
        try:
            return await handler(request)
        except ServiceError as exc:
            return self.error(request, 400, text=str(exc))

    async def moderates(self, session: Session, community: str) -> bool:
        rights = self.rights.get(session.platform)
        if rights is None or not rights.claims(community):
            return False
        return await rights.moderates(community, session.user)

    async def communities_of(self, session: Session) -> list[str]:
        return [c for c in await self.service.communities() if await self.moderates(session, c)]

    # -- answers ---------------------------------------------------------------------------------

    def render(self, request: web.Request, template: str, data: dict[str, Any],
               status: int = 200, **view: Any) -> web.Response:
        """The page, or its data as JSON when the request asks for JSON."""
        if wants_json(request):
            return web.json_response(data, status=status)
        session: Session | None = request.get(SESSION)
        language = session.language if session else _browser_language(request)
        html = self.templates.get_template(template).render(
            **data, **view, session=session, lang=language,
            t=lambda key, **values: ui(key, language, **values))
        return web.Response(text=html, content_type="text/html", status=status)

    def error(self, request: web.Request, status: int, key: str = "", text: str = ""
              ) -> web.Response:
        session: Session | None = request.get(SESSION)
        language = session.language if session else _browser_language(request)
        message = text or ui(key, language)
        return self.render(request, "error.html", {"error": message}, status=status)

    async def act(self, request: web.Request, actions: list[Action]) -> None:
        """Carry out what a change set off, on the platform of the community (the session's:
        its rights are the only ones that claim the community)."""
        perform = self.perform.get(request[SESSION].platform)
        if perform is not None and actions:
            await perform(actions)

    # -- public routes ---------------------------------------------------------------------------

    async def healthz(self, request: web.Request) -> web.Response:
        try:
            await self.service.communities()
        except Exception as exc:  # the database does not answer: say so, not a traceback
            log.warning("health check: the database does not answer (%s)", type(exc).__name__)
            return web.Response(status=503, text="database unavailable")
        return web.Response(text="ok")

    async def login_page(self, request: web.Request, error: str = "",
                         status: int = 200) -> web.Response:
        base = self.config.url.rstrip("/")
        nxt = _local(request.query.get("next", "/"))
        return self.render(request, "login.html", {"error": error}, status=status,
                           bot=self.config.telegram_bot,
                           auth_url=f"{base}/auth/telegram?next={quote(nxt, safe='')}",
                           discord=f"/auth/discord?next={quote(nxt, safe='')}"
                           if self.discord else "")

    async def auth_telegram(self, request: web.Request) -> web.Response:
        fields = {k: v for k, v in request.query.items() if k != "next"}
        return await self._log_in(request, lambda now: check_widget(
            fields, self.config.telegram_token, now), "w:" + fields.get("hash", ""),
            _local(request.query.get("next", "/")))

    async def auth_webapp(self, request: web.Request) -> web.Response:
        if request.content_type == "application/json":
            body = await request.json()
            init_data = str(body.get("initData", "")) if isinstance(body, dict) else ""
        else:
            init_data = str((await request.post()).get("initData", ""))
        return await self._log_in(request, lambda now: check_webapp(
            init_data, self.config.telegram_token, now), "a:" + init_data, "/")

    async def auth_discord(self, request: web.Request) -> web.Response:
        """Off to Discord's authorisation page, with a state to recognise the way back."""
        if self.discord is None:
            return await self.login_page(request, "Discord login is not configured here", 404)
        state = secrets.token_urlsafe(24)
        response = redirect(self.discord.authorize_url(state), 302)
        nxt = _local(request.query.get("next", "/"))
        response.set_cookie(STATE_COOKIE, f"{state} {quote(nxt, safe='')}", max_age=STATE_SECONDS,
                            httponly=True, samesite="Lax", path="/auth/discord",
                            secure=self.config.url.startswith("https://"))
        return response

    async def auth_discord_callback(self, request: web.Request) -> web.Response:
        expected, _, nxt = request.cookies.get(STATE_COOKIE, "").partition(" ")
        oauth, code = self.discord, request.query.get("code", "")

        async def check(now: float) -> WebUser:
            if oauth is None:
                raise LoginError("Discord login is not configured here")
            if not expected or not secrets.compare_digest(expected,
                                                          request.query.get("state", "")):
                raise LoginError("the login did not start here (its state does not match)")
            if not code:
                raise LoginError("Discord sent no login code (was it refused?)")
            return await oauth.user(code)

        response = await self._log_in(request, check, "d:" + code, _local(unquote(nxt) or "/"))
        response.del_cookie(STATE_COOKIE, path="/auth/discord")
        return response

    async def _log_in(self, request: web.Request,
                      check: Callable[[float], WebUser | Awaitable[WebUser]], key: str,
                      then: str) -> web.Response:
        now = self.clock()
        try:
            if not self.config.telegram_token and not key.startswith("d:"):
                raise LoginError("Telegram login is not configured here (no bot token)")
            checked = check(now)
            user = await checked if inspect.isawaitable(checked) else checked
            if not self.replays.first_use(key, now):
                raise LoginError("this login was used already: log in again")
        except LoginError as exc:
            if wants_json(request) or request.method == "POST":
                return web.json_response({"error": str(exc)}, status=401)
            language = _browser_language(request)
            return await self.login_page(request, ui("login_refused", language, why=exc), 401)
        cookie, _ = self.sessions.issue(user, now)
        response = (web.json_response({"ok": True, "next": then})
                    if request.method == "POST" else redirect(then, 302))
        response.set_cookie(COOKIE, cookie, max_age=int(self.config.session_seconds),
                            httponly=True, samesite="Lax", path="/",
                            secure=self.config.url.startswith("https://"))
        return response

    async def logout(self, request: web.Request) -> web.Response:
        session: Session = request[SESSION]
        self.sessions.end(session)
        response = redirect("/login")
        response.del_cookie(COOKIE, path="/")
        return response


def redirect(location: str, status: int = 303) -> web.Response:
    """A redirect that can carry a cookie (after a form: 303, so the browser GETs)."""
    return web.Response(status=status, headers={"Location": location})


def wants_json(request: web.Request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _browser_language(request: web.Request) -> str:
    return "vi" if request.headers.get("Accept-Language", "").lower().startswith("vi") else "en"


def _local(path: str) -> str:
    """Where to go after logging in: a path of this site, never another site's address."""
    return path if path.startswith("/") and not path.startswith("//") else "/"


def _static_dir() -> Any:
    from importlib.resources import files

    return files("bot.web") / "static"
