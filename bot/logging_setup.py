"""Logging for the bot: one stream handler whose filter removes the bot token from every record.

The token is part of every Bot API URL (`.../bot<token>/sendMessage`): httpx logs those URLs at
INFO, PTB logs requests at DEBUG, and network errors carry them in their text. Redaction happens
in a filter on the handlers (not on loggers), so it sees records from every logger, including
third-party ones, and covers the message, its arguments, the traceback and the stack.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable
from typing import TextIO
from urllib.parse import quote

REDACTED = "[REDACTED]"
# Anything shaped like a bot token, even one we were not told about (another bot's, an old one).
# No \b before the digits: in a Bot API URL the token follows "bot" (`/bot123456:AA...`), where
# there is no word boundary.
_TOKEN_SHAPE = re.compile(r"(?<![0-9])\d{5,}(?::|%3A)[A-Za-z0-9_-]{30,}")
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class RedactingFilter(logging.Filter):
    """Replaces the given secrets (and token-shaped strings) in a record before it is written."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        variants: set[str] = set()
        for secret in secrets:
            if secret:
                variants |= {secret, quote(secret, safe=""), quote(secret)}
        # longest first, so a secret is never half-replaced by a shorter variant of itself
        self._secrets = sorted(variants, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return _TOKEN_SHAPE.sub(REDACTED, text)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: keep what we can, still redacted
            message = f"{record.msg!r} {record.args!r}"
        record.msg, record.args = self.redact(message), None
        if record.exc_info and not record.exc_text:
            # Formatter.format() uses exc_text when set: format the traceback here, redacted.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


# PTB's DEBUG lines that carry whole request parameters / answers (message texts, user data)
_PAYLOAD_LINES = ("Calling Bot API endpoint", "Call to Bot API endpoint")


class PayloadFilter(logging.Filter):
    """Without LOG_PAYLOADS, PTB's per-request DEBUG lines keep the endpoint, not the payload."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and record.msg.startswith(_PAYLOAD_LINES):
            endpoint = record.args[0] if isinstance(record.args, tuple) and record.args else "?"
            verb = "Calling" if record.msg.startswith("Calling") else "Answer from"
            record.msg, record.args = (
                f"{verb} Bot API endpoint `%s` (LOG_PAYLOADS=true for the payload)",
                (endpoint,),
            )
        return True


def setup_logging(
    level: str,
    secrets: Iterable[str] = (),
    *,
    stream: TextIO | None = None,
    log_payloads: bool = False,
) -> RedactingFilter:
    """Configure the root logger once: level, one stream handler, the redacting filter.

    Every handler already on the root logger gets the filter too. httpx (request URLs at INFO)
    and httpcore (wire-level DEBUG) are kept at WARNING: they add noise and nothing we need.
    """
    redactor = RedactingFilter(secrets)
    root = logging.getLogger()
    root.setLevel(level)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.set_name("digestbot")
    for old in [h for h in root.handlers if h.get_name() == "digestbot"]:
        root.removeHandler(old)  # setting up twice (tests) must not log every line twice
    root.addHandler(handler)
    payloads = PayloadFilter()
    for existing in root.handlers:
        for old_filter in [
            f for f in existing.filters if isinstance(f, (RedactingFilter, PayloadFilter))
        ]:
            existing.removeFilter(old_filter)
        if not log_payloads:  # before the redactor: it formats the record
            existing.addFilter(payloads)
        existing.addFilter(redactor)
    # httpx/httpcore: URLs and wire details; apscheduler: a line per job run; aiosqlite: a line
    # per SQL statement
    for noisy in ("httpx", "httpcore", "apscheduler", "aiosqlite"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return redactor
