"""Who is logging in, as Telegram vouches for them: the Login Widget's redirect and a Mini App's
``initData``, each checked with the bot's token as Telegram specifies, at most a day old, and
each accepted once (a copied login link is no key)."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Mapping
from urllib.parse import parse_qsl

from bot.service import LRU

MAX_AGE = 86400.0  # seconds a Telegram login stays good
CLOCK_SKEW = 60.0  # a login dated this far ahead of our clock is still believed


class LoginError(Exception):
    """A login refused, with the reason a person can act on."""


@dataclass(frozen=True)
class WebUser:
    platform: str
    id: str
    name: str
    language: str  # "vi" or "en"


def _language(code: str | None) -> str:
    return "vi" if (code or "").lower().startswith("vi") else "en"


def _checked(fields: Mapping[str, str], secret: bytes, now: float) -> None:
    given = fields.get("hash", "")
    if not given:
        raise LoginError("the login data carries no hash")
    check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()) if k != "hash")
    expected = hmac.new(secret, check.encode("utf-8"), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, given.lower()):
        raise LoginError("the login data is not signed by this bot's Telegram")
    try:
        when = float(fields.get("auth_date", ""))
    except ValueError:
        raise LoginError("the login data has no auth_date") from None
    if when > now + CLOCK_SKEW:
        raise LoginError("the login data is dated in the future")
    if now - when > MAX_AGE:
        raise LoginError("the login is more than a day old: log in again")


def check_widget(fields: Mapping[str, str], token: str, now: float) -> WebUser:
    """The Login Widget's redirect (``id``, ``first_name``, ..., ``auth_date``, ``hash``)."""
    _checked(fields, hashlib.sha256(token.encode("utf-8")).digest(), now)
    name = " ".join(p for p in (fields.get("first_name"), fields.get("last_name")) if p)
    if not fields.get("id", "").isdigit():
        raise LoginError("the login data has no user id")
    return WebUser("telegram", fields["id"], name or fields.get("username", ""),
                   _language(fields.get("language_code")))


def check_webapp(init_data: str, token: str, now: float) -> WebUser:
    """A Mini App's ``initData`` (a query string holding ``user`` as JSON)."""
    try:
        fields = dict(parse_qsl(init_data, keep_blank_values=True, strict_parsing=True))
    except ValueError:
        raise LoginError("initData is not a query string") from None
    secret = hmac.new(b"WebAppData", token.encode("utf-8"), hashlib.sha256).digest()
    _checked(fields, secret, now)
    try:
        user = json.loads(fields.get("user", ""))
        uid = str(int(user["id"]))
    except (ValueError, KeyError, TypeError):
        raise LoginError("initData has no user") from None
    name = " ".join(p for p in (user.get("first_name"), user.get("last_name")) if p)
    return WebUser("telegram", uid, name or user.get("username", ""),
                   _language(user.get("language_code")))


class Replays:
    """Login data already used, remembered for as long as it would be good."""

    def __init__(self) -> None:
        self._seen: LRU[str, float] = LRU(100_000)

    def first_use(self, key: str, now: float) -> bool:
        seen = self._seen.get(key)
        if seen is not None and now - seen < MAX_AGE + CLOCK_SKEW:
            return False
        self._seen[key] = now
        return True
