"""The process's configuration: every environment variable the bot reads, typed, checked once
at start-up, from the environment and an optional ``.env`` file.

Each variable is declared here with its type, default and help, so a bad value is one clear
line naming the variable ("TELEGRAM_WEBHOOK_PORT: 'http' is not a port (1..65535)") before
anything connects, and every problem is reported at once rather than the first only.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Callable, Mapping
from urllib.parse import urlsplit


class ConfigError(ValueError):
    """Every problem found in the configuration, one line each, each naming its variable."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


LEVELS = ("debug", "info", "warning", "error", "critical")


def _text(raw: str) -> str:
    return raw


def _url(*schemes: str) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        if not raw:
            return ""
        parts = urlsplit(raw)
        if parts.scheme not in schemes or not parts.netloc:
            raise ValueError(f"{_shown(raw)} is not a URL starting {' or '.join(s + '://' for s in schemes)}")
        try:
            parts.port  # noqa: B018 - raises on a port that is not a number
        except ValueError:
            raise ValueError(f"{_shown(raw)} has a port that is not a number") from None
        return raw
    return parse


def _shown(raw: str) -> str:
    """A value as an error may show it: a URL's password never appears."""
    parts = urlsplit(raw)
    if parts.password:
        raw = raw.replace(f":{parts.password}@", ":***@", 1)
    return repr(raw)


def _port(raw: str) -> int:
    if not raw.strip().isdigit() or not 1 <= int(raw) <= 65535:
        raise ValueError(f"{raw!r} is not a port (1..65535)")
    return int(raw)


def _optional_port(raw: str) -> int | None:
    return _port(raw) if raw.strip() else None


def _positive(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{raw!r} is not a number") from None
    if not value > 0 or value == float("inf"):
        raise ValueError(f"{raw!r} must be a number above 0")
    return value


def _count(raw: str) -> int | None:
    if not raw:
        return None
    if not raw.strip().isdigit() or int(raw) < 1:
        raise ValueError(f"{raw!r} is not a whole number of at least 1")
    return int(raw)


def _ids(raw: str) -> tuple[int, ...] | None:
    if not raw:
        return None
    items = raw.replace(",", " ").split()
    if not all(i.isdigit() for i in items):
        raise ValueError(f"{raw!r} is not a list of shard numbers (e.g. 0,1,2)")
    return tuple(int(i) for i in items)


ON_WORDS, OFF_WORDS = ("on", "true", "yes", "1"), ("off", "false", "no", "0")


def _switch(raw: str) -> bool:
    value = raw.strip().lower()
    if value not in ON_WORDS + OFF_WORDS:
        raise ValueError(f"{raw!r} is not on or off")
    return value in ON_WORDS


def _level(raw: str) -> str:
    if raw.strip().lower() not in LEVELS:
        raise ValueError(f"{raw!r} is not a log level ({', '.join(LEVELS)})")
    return raw.strip().lower()


def _database(raw: str) -> str:
    if "://" in raw:
        return _url("postgresql", "postgres", "sqlite")(raw)
    return raw  # a SQLite path, or empty for the default file


@dataclass(frozen=True)
class Variable:
    name: str
    parse: Callable[[str], Any]
    default: str
    help: str
    secret: bool = False


VARIABLES = (
    Variable("TELEGRAM_BOT_TOKEN", _text, "", "Telegram bot token from @BotFather", secret=True),
    Variable("TELEGRAM_API_BASE_URL", _url("http", "https"), "",
             "a self-hosted Bot API server, e.g. http://127.0.0.1:8081/bot"),
    Variable("TELEGRAM_WEBHOOK_URL", _url("http", "https"), "",
             "webhook mode instead of long polling (the public HTTPS URL)"),
    Variable("TELEGRAM_WEBHOOK_SECRET", _text, "", "checked on every webhook request",
             secret=True),
    Variable("TELEGRAM_WEBHOOK_LISTEN", _text, "0.0.0.0", "address the webhook receiver binds"),
    Variable("TELEGRAM_WEBHOOK_PORT", _port, "8443", "port the webhook receiver binds"),
    Variable("TELEGRAM_REQUEST_TIMEOUT", _positive, "10", "seconds for one Bot API call"),
    Variable("TELEGRAM_PACING", _switch, "on",
             "pace sent messages within Telegram's limits (off: a self-hosted Bot API)"),
    Variable("DISCORD_BOT_TOKEN", _text, "", "Discord bot token", secret=True),
    Variable("DISCORD_SHARD_COUNT", _count, "", "shards in all (with DISCORD_SHARD_IDS)"),
    Variable("DISCORD_SHARD_IDS", _ids, "", "the shards this process runs, e.g. 0,1"),
    Variable("DISCORD_API_BASE_URL", _url("http", "https"), "", "a REST proxy"),
    Variable("DISCORD_GATEWAY_URL", _url("ws", "wss"), "", "a gateway proxy"),
    Variable("DATABASE_URL", _database, "",
             "a SQLite path (default: the user's data folder) or postgresql://..."),
    Variable("REDIS_URL", _url("redis", "rediss", "unix"), "",
             "share flood and duplicate windows between processes"),
    Variable("BLOCKLIST_URL", _url("http", "https"), "",
             "a shared block list checked on join (CAS-style: GET ?user_id=ID)"),
    Variable("QUYTAC_RULESETS", _text, "", "a ruleset directory other than the shipped one"),
    Variable("QUYTAC_MODEL", _text, "default",
             "the learned stage: default (shipped), a model file, or none"),
    Variable("EXCERPT_RETENTION_DAYS", _positive, "90", "days a case keeps its excerpt"),
    Variable("LOG_LEVEL", _level, "info", "debug, info, warning, error (any case)"),
    Variable("QUYTAC_WEB_PORT", _optional_port, "",
             "serve the dashboard on this port beside the bots (quytac web: default 8080)"),
    Variable("QUYTAC_WEB_HOST", _text, "127.0.0.1", "address the dashboard binds"),
    Variable("QUYTAC_WEB_URL", _url("http", "https"), "",
             "the dashboard's public address (links; Secure cookies when https)"),
    Variable("QUYTAC_WEB_SECRET", _text, "",
             "signs dashboard sessions (default: a new one each start, which logs everyone out)",
             secret=True),
    Variable("DISCORD_CLIENT_ID", _text, "", "the dashboard's Discord login (OAuth2): the "
             "application's client id"),
    Variable("DISCORD_CLIENT_SECRET", _text, "", "... and its client secret", secret=True),
    Variable("DISCORD_OAUTH_URL", _url("http", "https"), "https://discord.com",
             "where Discord's authorisation page is (a fake one in tests)"),
)


@dataclass(frozen=True)
class ProcessConfig:
    telegram_bot_token: str = ""
    telegram_api_base_url: str = ""
    telegram_webhook_url: str = ""
    telegram_webhook_secret: str = ""
    telegram_webhook_listen: str = "0.0.0.0"
    telegram_webhook_port: int = 8443
    telegram_request_timeout: float = 10.0
    telegram_pacing: bool = True
    discord_bot_token: str = ""
    discord_shard_count: int | None = None
    discord_shard_ids: tuple[int, ...] | None = None
    discord_api_base_url: str = ""
    discord_gateway_url: str = ""
    database_url: str = ""
    redis_url: str = ""
    blocklist_url: str = ""
    quytac_rulesets: str = ""
    quytac_model: str = "default"
    excerpt_retention_days: float = 90.0
    log_level: str = "info"
    quytac_web_port: int | None = None
    quytac_web_host: str = "127.0.0.1"
    quytac_web_url: str = ""
    quytac_web_secret: str = ""
    discord_client_id: str = ""
    discord_client_secret: str = ""
    discord_oauth_url: str = "https://discord.com"

    def __repr__(self) -> str:  # never a token, a secret or a password
        shown = []
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in _SECRET_FIELDS:
                value = "<hidden>" if value else ""
            elif isinstance(value, str) and "://" in value:
                value = _shown(value)[1:-1]
            shown.append(f"{f.name}={value!r}")
        return f"ProcessConfig({', '.join(shown)})"

    @property
    def secrets(self) -> list[str]:
        """What the log must never show: tokens, the webhook secret, URL passwords."""
        return environment_secrets({v.name: str(getattr(self, v.name.lower()) or "")
                                    for v in VARIABLES})

    @property
    def logging_level(self) -> int:
        return logging.getLevelName(self.log_level.upper())


_SECRET_FIELDS = tuple(v.name.lower() for v in VARIABLES if v.secret)


def environment_secrets(environ: Mapping[str, str] | None = None) -> list[str]:
    """The secret values among the variables (tokens, the webhook secret, the password of any
    URL), read without checking the rest: an error about a bad value must not print them."""
    environ = os.environ if environ is None else environ
    out = [environ.get(v.name, "") for v in VARIABLES if v.secret]
    for v in VARIABLES:
        value = environ.get(v.name, "")
        if "://" in value:
            try:
                password = urlsplit(value).password
            except ValueError:
                password = None
            out.append(password or "")
    return [s for s in out if s]


def read_dotenv(path: Path) -> dict[str, str]:
    """``KEY=VALUE`` lines of a ``.env`` file (``#`` comments, ``export``, quotes); a line that
    is none of these is an error naming ``file:line``."""
    out: dict[str, str] = {}
    problems = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export "):].lstrip()
        key, eq, value = line.partition("=")
        key, value = key.strip(), value.strip()
        if not eq or not key.replace("_", "").isalnum():
            problems.append(f"{path}:{number}: not a KEY=VALUE line")
            continue
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        elif " #" in value:
            value = value.split(" #", 1)[0].rstrip()
        out[key] = value
    if problems:
        raise ConfigError(problems)
    return out


def apply_dotenv(path: Path = Path(".env")) -> None:
    """Set the variables of ``path`` (if it exists) that the environment does not set, so every
    command reads them as ``quytac run`` does."""
    if path.is_file():
        for key, value in read_dotenv(path).items():
            os.environ.setdefault(key, value)


def load_config(environ: Mapping[str, str] | None = None,
                dotenv: Path | None = Path(".env")) -> ProcessConfig:
    """The configuration from ``environ`` (default: the process's), over ``dotenv`` if that
    file exists (a variable set in the environment wins). Raises ``ConfigError`` listing every
    bad value."""
    values: dict[str, str] = {}
    if dotenv is not None and dotenv.is_file():
        values.update(read_dotenv(dotenv))
    values.update(os.environ if environ is None else environ)
    parsed: dict[str, Any] = {}
    problems = []
    for var in VARIABLES:
        raw = values.get(var.name, "")
        raw = raw if raw.strip() else var.default
        try:
            parsed[var.name.lower()] = var.parse(raw)
        except ValueError as exc:
            problems.append(f"{var.name}: {exc}")
    if problems:
        raise ConfigError(problems)
    return ProcessConfig(**parsed)
