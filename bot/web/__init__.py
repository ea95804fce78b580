"""The moderators' dashboard on the web: cases, and what moderators do to them, behind
Telegram login, for the communities the platform says the moderator moderates."""

from bot.web.app import Dashboard, WebConfig
from bot.web.login import LoginError, WebUser, check_webapp, check_widget
from bot.web.rights import Rights
from bot.web.serve import serving

__all__ = ["Dashboard", "LoginError", "Rights", "WebConfig", "WebUser", "check_webapp",
           "check_widget", "serving"]
