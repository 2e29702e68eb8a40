"""Logging configuration: called by the CLI only, never by library code."""

from __future__ import annotations

import json
import logging
import logging.config
from typing import Any

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}


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


class TextFormatter(logging.Formatter):
    """``time level logger message key=value ...`` (extra fields appended)."""

    def format(self, record: logging.LogRecord) -> str:
        base = super().format(record)
        extra = " ".join(f"{k}={v}" for k, v in record.__dict__.items() if k not in _STANDARD)
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
