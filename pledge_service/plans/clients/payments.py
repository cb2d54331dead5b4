"""Every call plans make to payment_service (docs/recurring.md "Internal calls"), signed.

- ``POST /internal/plans/first-payment`` ``{plan_id, pledge_id, campaign_id, user_id, amount,
  currency, receipt_token_hash, donor_email, donor_name, payment_method?}`` →
  201 ``Payment`` (+ ``client_secret``, ``publishable_key`` when browser-confirmed); 409 when the
  pledge has its payment already, with that payment as the body; 503 while the provider cannot
  be reached.
- ``POST /internal/plans/{plan_id}/authenticated-payment`` ``{plan_id, pledge_id, campaign_id,
  user_id, amount, currency, receipt_token_hash}`` → 201 ``Payment`` + ``client_secret`` +
  ``publishable_key``: the payment of an installment attempt the donor makes to complete 3-D
  Secure in the browser (on-session, the plan's customer and saved card); 409 when the pledge
  has its payment already, with that payment as the body.
- ``POST /internal/plans/{plan_id}/card`` ``{plan_id, payment_method?}`` → 200 ``{client_secret,
  publishable_key}`` of a SetupIntent, or with a payment method ``{card_brand, card_last4}``.
  ``plan_id`` is in the body too because the signature covers the body only.

A timeout, a refused connection or a 5xx is ``PaymentsUnavailable``; any other refusal
``PaymentsRefused``, with payment_service's status and problem body.
"""

from __future__ import annotations

from typing import Any

import requests

from careforall_common.internal import internal_post

# payment_service calls the provider inside these calls (its SDK timeout, with retries).
TIMEOUT = (2.0, 40.0)


class PaymentsUnavailable(Exception):
    """payment_service (or the provider behind it) did not answer."""


class PaymentsRefused(Exception):
    """payment_service refused the call: ``status`` and its problem body."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(f"payment_service answered {status}")
        self.status = status
        self.body = body


def first_payment(
    *,
    plan_id: int,
    pledge_id: int,
    campaign_id: int,
    user_id: int | None,
    amount: int,
    currency: str,
    receipt_token_hash: str | None,
    donor_email: str,
    donor_name: str,
    payment_method: str | None = None,
) -> dict[str, Any]:
    """The payment of the plan's first pledge: made now, or the one made before (409)."""
    payload: dict[str, Any] = {
        "plan_id": plan_id,
        "pledge_id": pledge_id,
        "campaign_id": campaign_id,
        "user_id": user_id,
        "amount": amount,
        "currency": currency,
        "receipt_token_hash": receipt_token_hash,
        "donor_email": donor_email,
        "donor_name": donor_name,
    }
    if payment_method:
        payload["payment_method"] = payment_method
    return _post("/internal/plans/first-payment", payload, ok=(201, 409))


def authenticated_payment(
    *,
    plan_id: int,
    pledge_id: int,
    campaign_id: int,
    user_id: int | None,
    amount: int,
    currency: str,
    receipt_token_hash: str | None,
) -> dict[str, Any]:
    """The on-session payment of the attempt a donor makes to complete 3-D Secure: made now, or
    the one made before (409). ``plan_id`` is in the body too: the signature covers the body."""
    payload: dict[str, Any] = {
        "plan_id": plan_id,
        "pledge_id": pledge_id,
        "campaign_id": campaign_id,
        "user_id": user_id,
        "amount": amount,
        "currency": currency,
        "receipt_token_hash": receipt_token_hash,
    }
    return _post(f"/internal/plans/{plan_id}/authenticated-payment", payload, ok=(201, 409))


def card_change(*, plan_id: int, payment_method: str | None = None) -> dict[str, Any]:
    """A SetupIntent for the browser (no ``payment_method``), or the new card's brand and last4."""
    payload: dict[str, Any] = {"plan_id": plan_id}
    if payment_method:
        payload["payment_method"] = payment_method
    return _post(f"/internal/plans/{plan_id}/card", payload, ok=(200,))


def _post(path: str, payload: dict[str, Any], *, ok: tuple[int, ...]) -> dict[str, Any]:
    try:
        response = internal_post("payment", path, payload, timeout=TIMEOUT)
    except requests.RequestException as error:
        raise PaymentsUnavailable(f"payment_service unreachable: {error}") from error
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        body = {}
    if response.status_code in ok and body:
        return body
    if response.status_code >= 500 or response.status_code in ok:
        raise PaymentsUnavailable(f"payment_service answered {response.status_code}")
    raise PaymentsRefused(response.status_code, body)
