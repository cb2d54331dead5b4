"""payment_service, as the backfill reads it: a captured payment's commitment (signed).

``GET /internal/payments/{id}/transparency`` → ``{"payment_id", "campaign_id", "commitment",
"salt", "index"}``; payment_service makes the payment's salt then if it has none (a capture of a
release before the log). Only the commitment is used here.
"""

from __future__ import annotations

import requests

from careforall_common.contracts.events import ContractError
from careforall_common.contracts.internal import PaymentTransparencyRead
from careforall_common.internal import internal_get

HTTP_TIMEOUT = 10.0


class PaymentsUnavailable(Exception):
    """payment_service could not be read, or answered outside its contract."""


def commitment_get(payment_id: int) -> str | None:
    """The payment's commitment; None when payment_service has no captured payment by that id."""
    path = f"/internal/payments/{payment_id}/transparency"
    try:
        response = internal_get("payment", path, timeout=HTTP_TIMEOUT)
    except requests.RequestException as error:
        raise PaymentsUnavailable(f"payment_service unreachable: {error}") from None
    if response.status_code in (404, 409):
        return None
    if response.status_code != 200:
        raise PaymentsUnavailable(f"payment_service answered {response.status_code} to {path}")
    try:
        return PaymentTransparencyRead.parse(response.json()).commitment
    except (ValueError, ContractError):
        raise PaymentsUnavailable(f"payment_service answered {path} outside its contract") from None
