"""Logging configuration: called by the CLI only, never by library code."""

from __future__ import annotations

import json
import logging
import logging.config
import re
from typing import Any

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}
#: Characters that would end a log line for a reader (``str.splitlines`` splits on all of
#: them), written as escapes instead.
_LINE_BREAKING = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
#: A value written bare after ``key=``; any other is quoted (JSON string syntax), so a
#: value can never look like more fields (``path=/x status=200``) or another line.
_BARE = re.compile(r"[^\s\"=\\\x00-\x1f\x7f-\x9f\u2028\u2029]+")


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with the record's extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        doc.update({k: v for k, v in record.__dict__.items() if k not in _STANDARD})
        if record.exc_info:
            doc["exc"] = self.formatException(record.exc_info)
        return json.dumps(doc, ensure_ascii=False, default=str)


def _escape_breaks(text: str) -> str:
    r"""``text`` with the characters that would end a line escaped.

    >>> _escape_breaks("a\r\nb\u2028c")
    'a\\r\\nb\\u2028c'
    """
    return _LINE_BREAKING.sub(lambda m: json.dumps(m.group())[1:-1], text)


def text_value(value: object) -> str:
    r"""A field's value as the text log writes it: bare when it is one plain token, else
    quoted with JSON's escapes.

    >>> text_value(200), text_value("/id/Putin"), text_value("x status=200"), text_value("")
    ('200', '/id/Putin', '"x status=200"', '""')
    >>> print(text_value("a\r\nrequest_id=forged\u2028"))
    "a\r\nrequest_id=forged\u2028"
    """
    text = str(value)
    return text if _BARE.fullmatch(text) else _escape_breaks(json.dumps(text, ensure_ascii=False))


class TextFormatter(logging.Formatter):
    """``time level logger message key=value ...`` (extra fields appended). A value that
    is not one plain token is quoted, and a message's line breaks are escaped (a
    traceback keeps its lines): what a client sends cannot forge a field or a line."""

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 (logging's name)
        record.message = _escape_breaks(record.message)
        return super().formatMessage(record)

    def format(self, record: logging.LogRecord) -> str:
        base = super().format(record)
        extra = " ".join(
            f"{k}={text_value(v)}" for k, v in record.__dict__.items() if k not in _STANDARD
        )
        return f"{base} {extra}".rstrip()


def logging_config(level: str = "INFO", fmt: str = "text") -> dict[str, Any]:
    """The ``logging.config.dictConfig`` of Parley's processes (the HTTP server's too)."""
    formatter = "json" if fmt == "json" else "text"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "json": {"()": JsonFormatter},
            "text": {
                "()": TextFormatter,
                "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
            },
        },
        "handlers": {
            "stderr": {"class": "logging.StreamHandler", "formatter": formatter},
        },
        "root": {"level": level.upper(), "handlers": ["stderr"]},
        "loggers": {
            # Granian's own lines (start, stop, workers) go through the root handler.
            "_granian": {"level": level.upper()},
            # One line per request to a remote store would drown the access log.
            "httpx": {"level": "WARNING"},
            "httpcore": {"level": "WARNING"},
        },
    }


def configure_logging(level: str = "INFO", fmt: str = "text") -> None:
    # Thread and process names go unused in Parley's lines; not gathering them makes each
    # record (one per request, for the access log) cheaper.
    logging.logThreads = False
    # Nor do they say where in the code a line was logged: without a source file, logging
    # skips walking the stack for every record (the Python docs' own advice).
    logging._srcfile = None
    logging.logMultiprocessing = False
    logging.logProcesses = False
    logging.config.dictConfig(logging_config(level, fmt))
