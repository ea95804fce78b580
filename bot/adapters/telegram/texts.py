"""What the adapter reads of a Telegram user's language."""

from __future__ import annotations

from telegram import User


def user_language(user: User | None) -> str:
    """``en`` for a user whose Telegram is in English, else ``vi``."""
    code = (getattr(user, "language_code", None) or "vi")[:2]
    return "en" if code == "en" else "vi"
