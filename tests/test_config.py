"""The process configuration: typed variables from the environment and ``.env``, every bad
value one line naming its variable, and no secret in a log line or an error."""

import asyncio
import io
import logging
import os
import sys

import pytest

from bot.cli.logs import Redact
from bot.service.config import ConfigError, load_config, read_dotenv

TOKEN = "123456:AAH-secret-token-part"


def test_defaults_and_lowercase_log_level():
    config = load_config({"LOG_LEVEL": "info"}, dotenv=None)
    assert config.log_level == "info" and config.logging_level == logging.INFO
    assert config.telegram_webhook_port == 8443 and config.quytac_model == "default"
    assert load_config({"LOG_LEVEL": "Debug"}, dotenv=None).logging_level == logging.DEBUG


def test_every_bad_value_is_named_at_once():
    with pytest.raises(ConfigError) as err:
        load_config({"TELEGRAM_WEBHOOK_PORT": "http", "LOG_LEVEL": "loud",
                     "EXCERPT_RETENTION_DAYS": "-1", "DISCORD_SHARD_IDS": "0,x",
                     "REDIS_URL": "127.0.0.1:6379",
                     "DATABASE_URL": "postgresql://bot:hunter2-pass@db:port/q"}, dotenv=None)
    assert err.value.problems == [
        "TELEGRAM_WEBHOOK_PORT: 'http' is not a port (1..65535)",
        "DISCORD_SHARD_IDS: '0,x' is not a list of shard numbers (e.g. 0,1,2)",
        "DATABASE_URL: 'postgresql://bot:***@db:port/q' has a port that is not a number",
        "REDIS_URL: '127.0.0.1:6379' is not a URL starting redis:// or rediss:// or unix://",
        "EXCERPT_RETENTION_DAYS: '-1' must be a number above 0",
        "LOG_LEVEL: 'loud' is not a log level (debug, info, warning, error, critical)",
    ]


def test_dotenv_is_read_and_the_environment_wins(tmp_path):
    env = tmp_path / ".env"
    env.write_text("# comment\nexport TELEGRAM_BOT_TOKEN='from-file'\n"
                   "TELEGRAM_WEBHOOK_PORT=9000  # the receiver\nLOG_LEVEL=warning\n")
    config = load_config({"LOG_LEVEL": "error"}, dotenv=env)
    assert config.telegram_bot_token == "from-file"
    assert config.telegram_webhook_port == 9000
    assert config.log_level == "error"


def test_a_bad_dotenv_line_names_file_and_line(tmp_path):
    env = tmp_path / ".env"
    env.write_text("LOG_LEVEL=info\nthis is not a setting\n")
    with pytest.raises(ConfigError) as err:
        read_dotenv(env)
    assert err.value.problems == [f"{env}:2: not a KEY=VALUE line"]


def test_repr_and_secrets_hide_tokens_and_passwords():
    config = load_config({"TELEGRAM_BOT_TOKEN": TOKEN,
                          "DATABASE_URL": "postgresql://bot:hunter2-pass@db/q",
                          "REDIS_URL": "redis://:redis-pass-99@cache:6379/0"}, dotenv=None)
    shown = repr(config)
    for secret in (TOKEN, "hunter2-pass", "redis-pass-99"):
        assert secret not in shown
        assert secret in config.secrets


def test_a_traceback_carrying_a_token_is_redacted():
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.addFilter(Redact([TOKEN, "hunter2-pass"]))
    logger = logging.getLogger("quytac-test-redact")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        try:
            raise RuntimeError(f"https://api.telegram.org/bot{TOKEN}/getMe refused; "
                               "postgresql://bot:hunter2-pass@db/q")
        except RuntimeError:
            logger.exception("call failed for %s", TOKEN)
    finally:
        logger.removeHandler(handler)
    text = out.getvalue()
    assert "Traceback" in text and "RuntimeError" in text
    assert TOKEN not in text and "AAH-secret-token-part" not in text
    assert "hunter2-pass" not in text and "<redacted>" in text


async def _quytac(*args: str, env: dict[str, str], cwd: str | None = None
                  ) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, env=env, cwd=cwd,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    return proc.returncode, out.decode(), err.decode()


def _env(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("TELEGRAM_BOT_TOKEN", "DISCORD_BOT_TOKEN", "LOG_LEVEL")}
    env["PYTHONPATH"] = os.getcwd()
    return {**env, **values}


async def test_run_with_a_bad_port_is_one_line_per_problem(tmp_path):
    code, out, err = await _quytac("run", env=_env(
        TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_WEBHOOK_PORT="84430", LOG_LEVEL="loud",
        DATABASE_URL=str(tmp_path / "q.db")))
    assert code == 2 and out == ""
    assert err.splitlines() == [
        "quytac run: TELEGRAM_WEBHOOK_PORT: '84430' is not a port (1..65535)",
        "quytac run: LOG_LEVEL: 'loud' is not a log level (debug, info, warning, error, critical)",
    ]


async def test_run_reads_dotenv_from_the_working_folder(tmp_path):
    (tmp_path / ".env").write_text("TELEGRAM_WEBHOOK_URL=not a url\n")
    code, _, err = await _quytac("run", env=_env(TELEGRAM_BOT_TOKEN=TOKEN), cwd=str(tmp_path))
    assert code == 2
    assert err == "quytac run: TELEGRAM_WEBHOOK_URL: 'not a url' is not a URL starting " \
                  "http:// or https://\n"


async def test_a_rejected_token_is_one_line_without_the_token(tmp_path):
    from bot.fakes.telegram import FakeTelegram

    fake = FakeTelegram()
    await fake.start()
    fake.fail("getMe", 401, "Unauthorized")
    try:
        code, out, err = await _quytac("run", env=_env(
            TELEGRAM_BOT_TOKEN=fake.token, TELEGRAM_API_BASE_URL=fake.base_url,
            DATABASE_URL=str(tmp_path / "q.db"), NO_PROXY="127.0.0.1", LOG_LEVEL="warning"))
    finally:
        await fake.stop()
    (line,) = err.splitlines()  # nothing else: no traceback, no unclosed session
    assert code == 2, err
    assert line.startswith("quytac run: telegram: ") and "<redacted>" in line
    assert fake.token not in err + out and fake.token.split(":")[1] not in err + out


def test_the_declared_defaults_are_the_dataclass_defaults():
    from bot.service.config import VARIABLES, ProcessConfig

    assert load_config({}, dotenv=None) == ProcessConfig()
    assert [v.name.lower() for v in VARIABLES] == list(ProcessConfig.__dataclass_fields__)


async def test_an_unsupported_database_url_is_refused_not_taken_as_a_file(tmp_path):
    code, out, err = await _quytac("migrate", env=_env(
        DATABASE_URL="mysql://bot:hunter2-pass@db/quytac"), cwd=str(tmp_path))
    assert code == 2 and out == ""
    assert err == ("quytac migrate: DATABASE_URL: 'mysql://bot:***@db/quytac': mysql is not "
                   "supported; use a SQLite path, sqlite:///path, or postgresql://user@host/db\n")
    assert list(tmp_path.iterdir()) == []  # no file named after the URL


async def test_a_missing_database_folder_is_created_and_said(tmp_path):
    path = tmp_path / "not" / "yet" / "q.db"
    code, out, err = await _quytac("migrate", "--database", str(path), env=_env())
    assert code == 0 and path.is_file()
    assert err == f"database folder {path.parent} did not exist: created it\n"
