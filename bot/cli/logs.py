"""Logging for the running bot, with every configured secret redacted from every record,
its traceback included (a library's exception text can carry a token or a URL's password)."""

from __future__ import annotations

import logging

from bot.service.config import ProcessConfig


class Redact(logging.Filter):
    """Replace secrets in the formatted message and in the formatted traceback."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        # a Telegram token's secret part is redacted on its own too
        parts = {s for s in secrets if s} | {s.split(":", 1)[1] for s in secrets if ":" in s}
        self.secrets = sorted((p for p in parts if len(p) >= 6), key=len, reverse=True)

    def text(self, text: str) -> str:
        for s in self.secrets:
            if s in text:
                text = text.replace(s, "<redacted>")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = self.text(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            # the formatter prints exc_text when it is set, and formats exc_info only when not
            record.exc_text = self.text(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = self.text(record.exc_text)
        if record.stack_info:
            record.stack_info = self.text(record.stack_info)
        return True


def setup_logging(config: ProcessConfig) -> Redact:
    """Log at the configured level, every handler redacting the configuration's secrets."""
    logging.basicConfig(level=config.logging_level,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    redact = Redact(config.secrets)
    for handler in logging.getLogger().handlers:
        handler.addFilter(redact)
    # httpx logs every request URL at INFO, and a Telegram URL carries the token
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return redact
