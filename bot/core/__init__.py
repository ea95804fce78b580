"""The moderation core's public API: adapters and the CLI import from here only."""

from bot.core.engine import CommunityPolicy, Engine, ExtraTerm
from bot.core.language import detect_language
from bot.core.normalize import Normalized, normalize
from bot.core.ruleset import Rule, Ruleset, RulesetError, load_rulesets
from bot.core.types import ChannelWindow, Hit, Message, Verdict

__all__ = [
    "ChannelWindow", "CommunityPolicy", "Engine", "ExtraTerm", "Hit", "Message", "Normalized",
    "Rule", "Ruleset", "RulesetError", "Verdict", "detect_language", "load_rulesets", "normalize",
]
