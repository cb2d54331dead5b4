"""Log context: every record carries the service name and the current request id."""

from __future__ import annotations

import logging

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
