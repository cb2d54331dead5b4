"""Log context: every record carries the service name and the current request id."""

from __future__ import annotations

import logging
from typing import Any

from careforall_common.request_id import current_log_request_id, current_request_id


class ContextFilter(logging.Filter):
    """Add ``service`` and ``request_id`` to every record (for the JSON formatter)."""

    def __init__(self, service: str = "") -> None:
        super().__init__()
        self.service = service

    def filter(self, record: logging.LogRecord) -> bool:
        record.service = self.service
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id.get() or current_log_request_id.get()
        return True


def logging_config(service: str, *, level: str = "INFO") -> dict[str, Any]:
    """Return ``LOGGING``: one JSON object per line on stderr, with the service and request id."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "context": {"()": "careforall_common.logging.ContextFilter", "service": service},
        },
        "formatters": {
            "json": {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
                "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            },
        },
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "filters": ["context"],
                "formatter": "json",
            },
        },
        "root": {"handlers": ["stderr"], "level": level},
        "loggers": {
            "django.db.backends": {"level": "INFO"},
        },
    }
