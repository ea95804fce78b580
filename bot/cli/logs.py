"""Logging for the running bot, with every configured secret redacted from every record."""

from __future__ import annotations

import logging
import os

SECRET_VARIABLES = ("TELEGRAM_BOT_TOKEN", "DISCORD_BOT_TOKEN", "TELEGRAM_WEBHOOK_SECRET")


class Redact(logging.Filter):
    """Replace secrets in the formatted message (libraries log URLs that embed the token)."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        # a Telegram token's secret part is redacted on its own too
        parts = {s for s in secrets if s} | {s.split(":", 1)[1] for s in secrets if ":" in s}
        self.secrets = sorted((p for p in parts if len(p) >= 6), key=len, reverse=True)

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        if any(s in text for s in self.secrets):
            for s in self.secrets:
                text = text.replace(s, "<redacted>")
            record.msg, record.args = text, None
        return True


def setup_logging() -> None:
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "INFO"),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    redact = Redact([os.environ.get(v, "") for v in SECRET_VARIABLES])
    for handler in logging.getLogger().handlers:
        handler.addFilter(redact)
    # httpx logs every request URL at INFO, and a Telegram URL carries the token
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
