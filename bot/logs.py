"""Logging setup with a filter that blanks secrets (bot tokens, API keys) wherever they appear."""
from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path


class RedactSecrets(logging.Filter):
    """Replace every known secret in a log record's message and arguments."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = sorted({s for s in secrets if s and len(s) >= 8}, key=len, reverse=True)

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        text = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        for s in self.secrets:
            text = text.replace(s, "<secret>")
            if record.exc_text:
                record.exc_text = record.exc_text.replace(s, "<secret>")
            # A token's id part alone is public; its secret part after the colon is not.
            if ":" in s:
                text = text.replace(s.split(":", 1)[1], "<secret>")
        record.msg, record.args = text, None
        return True


def setup_logging(level: str, secrets: Iterable[str], *, file: Path | None = None) -> None:
    """Configure the root logger once; every handler gets the redacting filter.

    With `file` (the console chat) records go there, and stderr gets errors only: nothing lands between chat lines.
    """
    handlers: list[logging.Handler] | None = None
    if file is not None:
        file.parent.mkdir(parents=True, exist_ok=True)
        errors = logging.StreamHandler()
        errors.setLevel(logging.ERROR)
        handlers = [logging.FileHandler(file, encoding="utf-8"), errors]
        logging.captureWarnings(True)  # library warnings too, instead of printing to stderr
    logging.basicConfig(level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        handlers=handlers)
    redact = RedactSecrets(secrets)
    for handler in logging.getLogger().handlers:
        handler.addFilter(redact)
    # httpx logs every request URL at INFO; Ollama/OpenAI URLs carry no token, but keep logs quiet.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
