"""An event handler for the inbox tests: it remembers what it applied, in order."""

from __future__ import annotations

import logging
from typing import Any

from careforall_common.contracts.events import Envelope
from careforall_common.inbox.handlers import RejectEvent

logger = logging.getLogger(__name__)
applied: list[dict[str, Any]] = []


def thing_happened(envelope: Envelope) -> None:
    if envelope.payload.get("poison"):
        raise RejectEvent("poison")
    if envelope.payload.get("explode"):
        raise RuntimeError("the consumer broke")
    logger.info("thing %s applied", envelope.aggregate_id)
    applied.append(envelope.to_dict())
