"""Logging setup with a filter that blanks secrets (bot tokens, API keys) wherever they appear; text or JSON lines."""
from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from base import ConfigError
from base.log_context import bound

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class RedactSecrets(logging.Filter):
    """Replace every known secret in a log record's message and arguments."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = sorted({s for s in secrets if s and len(s) >= 8}, key=len, reverse=True)
        # A token's id part alone is public; its secret part after the colon is not.
        parts = [s.split(":", 1)[1] for s in self.secrets if ":" in s]
        # Inside a JSON string a secret may appear escaped (quotes, backslashes, non-ASCII).
        escaped = [json.dumps(s, ensure_ascii=a)[1:-1] for s in self.secrets for a in (False, True)]
        self._all = sorted({*self.secrets, *parts, *escaped} - {""}, key=len, reverse=True)

    def scrub(self, text: str) -> str:
        """`text` with every secret (or a token's secret part) replaced by <secret>."""
        for s in self._all:
            text = text.replace(s, "<secret>")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        text = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.scrub(record.exc_text)
        record.msg, record.args = self.scrub(text), None
        return True


class LogIds(logging.Filter):
    """Adds the ids bound for this update or turn (base.log_context) to each record, for the JSON fields."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in bound().items():
            setattr(record, key, value)
        return True


def json_formatter(redact: RedactSecrets) -> logging.Formatter:
    """One JSON object per line (python-json-logger), scrubbed of secrets as a whole: tracebacks and extras too."""
    try:
        from pythonjsonlogger.json import JsonFormatter
    except ImportError:
        raise ConfigError("LOG_FORMAT=json needs the `server` extra (python-json-logger). "
                          "Fix: pip install 'dagi[server]', or set LOG_FORMAT=text") from None

    class Redacted(JsonFormatter):
        def format(self, record: logging.LogRecord) -> str:
            return redact.scrub(super().format(record))

    fields: dict[str, Any] = {"levelname": "level", "name": "logger"}
    return Redacted("{levelname}{name}{message}", style="{", rename_fields=fields, timestamp="time",
                    json_ensure_ascii=False)


def setup_logging(level: str, secrets: Iterable[str], *, file: Path | None = None, fmt: str = "text") -> None:
    """Configure the root logger once; every handler gets the redacting filter (`fmt` "json": JSON lines).

    With `file` (the console chat) records go there, and stderr gets errors only: nothing lands between chat lines.
    """
    handlers: list[logging.Handler] | None = None
    if file is not None:
        file.parent.mkdir(parents=True, exist_ok=True)
        errors = logging.StreamHandler()
        errors.setLevel(logging.ERROR)
        handlers = [logging.FileHandler(file, encoding="utf-8"), errors]
        logging.captureWarnings(True)  # library warnings too, instead of printing to stderr
    redact = RedactSecrets(secrets)
    formatter = json_formatter(redact) if fmt == "json" else None
    logging.basicConfig(level=level.upper(), format=TEXT_FORMAT, handlers=handlers)
    for handler in logging.getLogger().handlers:
        handler.addFilter(redact)
        if formatter is not None:
            handler.addFilter(LogIds())
            handler.setFormatter(formatter)
    # httpx logs every request URL at INFO; Ollama/OpenAI URLs carry no token, but keep logs quiet.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
