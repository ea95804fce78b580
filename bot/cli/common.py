"""Helpers shared by the CLI commands: loading the engine and the model with a readable error."""

from __future__ import annotations

import sys

from bot.core import Engine, RulesetError
from bot.service.config import ConfigError
from bot.core.model import Model, ModelError, default_model, load_model


def load_engine(path: str | None, model: Model | None = None) -> Engine | None:
    """The engine for ``path`` (default rulesets), or None after printing every ruleset error."""
    try:
        return Engine.load(path, model)
    except RulesetError as exc:
        print(f"ruleset errors ({len(exc.problems)}):", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return None


def engine_with_model(rules: str | None, model: str) -> Engine | None:
    """The engine for ``--rules`` with the model of ``--model`` (a file, ``default`` or
    ``none``); None after printing what is wrong."""
    loaded = None
    if model != "none":
        loaded = load_model_option(model)
        if loaded is None:
            return None
    return load_engine(rules, loaded)


def load_model_option(value: str) -> Model | None:
    """``--model``: a model file, or ``default`` for the shipped one; None after printing why
    it cannot be had."""
    try:
        model = default_model() if value == "default" else load_model(value)
    except ModelError as exc:
        print(exc, file=sys.stderr)
        return None
    if model is None:
        print("this install ships no model (bot/models/default.qtm): give --model PATH",
              file=sys.stderr)
    return model


# libraries whose errors, ending a command, say what is wrong with its surroundings (a database
# that refuses, a token the platform rejects), not a bug of ours: one line, not a traceback
_SURROUNDINGS = ("asyncpg", "redis", "aiosqlite", "sqlite3", "discord", "telegram", "aiohttp")


def startup_problem(exc: BaseException) -> str | None:
    """One line for a failure of the surroundings (configuration, network, database, a token),
    or None for what is a bug and keeps its traceback."""
    if isinstance(exc, (ConfigError, OSError)):
        return str(exc) or type(exc).__name__
    module = type(exc).__module__.split(".")[0]
    if module in _SURROUNDINGS:
        return f"{module}: {exc}" if str(exc) else f"{module}: {type(exc).__name__}"
    return None
