"""What a receipt email asks payment_service: the payment's entry in its campaign's transparency
log (SPEC §3), with a signed ``GET /internal/payments/{id}/transparency``.

Best effort: the entry is often not logged yet when the receipt goes (campaign_service logs the
capture a moment after pledge_service hears of it), and the receipt never waits for it: the email
then says that the receipt page shows the proof.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import requests

from careforall_common.contracts.events import ContractError
from careforall_common.contracts.internal import PaymentTransparencyRead
from careforall_common.internal import internal_get

logger = logging.getLogger(__name__)

TIMEOUT = 2.0


@dataclass(frozen=True)
class LogEntryRef:
    campaign_id: int
    index: int
    salt: str


def log_entry_ref(*, payment_id: int) -> LogEntryRef | None:
    """The payment's log index and salt, or None (not logged yet, or not known now)."""
    try:
        response = internal_get(
            "payment", f"/internal/payments/{payment_id}/transparency", timeout=TIMEOUT
        )
        answer: Any = response.json() if response.status_code == 200 else None
    except (requests.RequestException, ValueError) as error:
        logger.info("notices: payment %s's log entry not read: %s", payment_id, error)
        return None
    try:
        read = PaymentTransparencyRead.parse(answer)
    except ContractError:
        return None
    return None if read.index is None else LogEntryRef(read.campaign_id, read.index, read.salt)
