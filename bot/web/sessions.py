"""Sessions in signed cookies: who is logged in, until when, and the token every form must
carry (CSRF). Nothing is kept on the server but the sessions ended early (logging out)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import asdict, dataclass

from bot.service import LRU
from bot.web.login import WebUser

COOKIE = "quytac_session"


@dataclass(frozen=True)
class Session:
    id: str
    platform: str
    user: str
    name: str
    language: str
    expires: float
    csrf: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Sessions:
    def __init__(self, secret: bytes, seconds: float) -> None:
        self._key = hashlib.sha256(b"quytac-session:" + secret).digest()
        self.seconds = seconds
        self._ended: LRU[str, float] = LRU(100_000)

    def issue(self, user: WebUser, now: float) -> tuple[str, Session]:
        session = Session(secrets.token_urlsafe(12), user.platform, user.id, user.name,
                          user.language, now + self.seconds, secrets.token_urlsafe(24))
        body = _b64(json.dumps(asdict(session), separators=(",", ":")).encode("utf-8"))
        return f"{body}.{self._sign(body)}", session

    def read(self, cookie: str | None, now: float) -> Session | None:
        """The cookie's session if this server signed it and it has not ended."""
        if not cookie or "." not in cookie:
            return None
        body, _, signature = cookie.rpartition(".")
        if not hmac.compare_digest(self._sign(body), signature):
            return None
        try:
            session = Session(**json.loads(_unb64(body)))
        except (ValueError, TypeError):
            return None
        if session.expires <= now or session.id in self._ended:
            return None
        return session

    def end(self, session: Session) -> None:
        self._ended[session.id] = session.expires

    def _sign(self, body: str) -> str:
        return _b64(hmac.new(self._key, body.encode("ascii"), hashlib.sha256).digest())
