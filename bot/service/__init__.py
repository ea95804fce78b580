"""The moderation service: ladder, cases, appeals, review queue, timed actions, storage."""

from bot.service.bounded import LRU
from bot.service.config import ConfigError, ProcessConfig, load_config
from bot.service.ladder import DEFAULT_LADDER, LadderStep, parse_duration, parse_ladder
from bot.service.moderators import purge_amount
from bot.service.models import (
    Action, Appeal, AuditEntry, Case, CaseQuery, Incoming, ReviewItem, ServiceError,
)
from bot.service.scheduler import Scheduler
from bot.service.service import ModerationService
from bot.service.startup import until_up
from bot.service.settings import SPECS, Settings, parse_typed, settings_view
from bot.service.storage import (
    PostgresStorage, SqliteStorage, SqlStorage, Storage, database_path, describe, make_storage, open_storage,
)
from bot.service.texts import when

__all__ = [
    "ConfigError", "LRU", "ProcessConfig", "load_config",
    "DEFAULT_LADDER", "PostgresStorage", "SqlStorage", "describe", "make_storage", "Action", "Appeal", "AuditEntry", "Case", "CaseQuery", "Incoming", "LadderStep",
    "ModerationService", "ReviewItem", "Scheduler", "ServiceError", "Settings", "SqliteStorage",
    "Storage", "database_path", "open_storage", "parse_duration", "parse_ladder", "settings_view",
    "SPECS", "parse_typed",
    "purge_amount", "until_up", "when",
]
