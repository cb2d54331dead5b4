"""pledge_service and payment_service, as the dashboard reads their outboxes (signed)."""

from __future__ import annotations

import logging

import requests

from careforall_common.contracts.internal import OutboxStatusRead
from careforall_common.internal import internal_get

logger = logging.getLogger(__name__)

TIMEOUT = 2.0  # the dashboard shows "not answering" rather than wait for a slow service


def outbox_waiting_get(*, service: str) -> dict[str, dict[str, int]] | None:
    """``service``'s pending rows and dead letters per destination; None when it cannot tell."""
    try:
        response = internal_get(service, "/internal/outbox", timeout=TIMEOUT)
        response.raise_for_status()
        status = OutboxStatusRead.parse(response.json())
    except (requests.RequestException, ValueError) as error:  # ContractError is a ValueError
        logger.warning("%s did not tell its outbox: %s", service, error)
        return None
    return {name: dict(counts) for name, counts in status.destinations.items()}
