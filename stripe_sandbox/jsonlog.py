"""One JSON line per request and per webhook attempt, on stderr."""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

_logger = logging.getLogger("stripe_sandbox")


class JsonLog:
    def __init__(self, *, enabled: bool) -> None:
        self.enabled = enabled
        if enabled and not _logger.handlers:
            handler = logging.StreamHandler(sys.stderr)
            handler.setFormatter(logging.Formatter("%(message)s"))
            _logger.addHandler(handler)
            _logger.setLevel(logging.INFO)
            _logger.propagate = False

    def __call__(self, kind: str, **fields: Any) -> None:
        if self.enabled:
            now = time.time()
            stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now))
            line = {
                "ts": f"{stamp}.{int(now * 1000) % 1000:03d}Z",
                "logger": "stripe_sandbox",
                "kind": kind,
                **fields,
            }
            _logger.info(json.dumps(line, separators=(",", ":")))
