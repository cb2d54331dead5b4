"""The defence's services (SPEC §3 "Card-testing defence", docs/card-testing.md).

- ``payment_attempt_admit``: the gate of ``POST /api/payments``, before any provider call and
  before anything is recorded under the request's ``Idempotency-Key``: 429 over a limit, then 403
  without a valid challenge for a guest while challenge mode is active.
- ``authorization_suspicious``: whether an authorization's card had a run of declines (it is
  then canceled, not captured: ``payments.capture``).
- ``challenge_switch``: staff set challenge mode (the API and the admin).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from careforall_common.contracts.internal import PledgeFactsRead
from careforall_common.defence.attempts import Attempt, attempt_admit, card_suspicious
from careforall_common.defence.challenge import challenge_mode_set
from careforall_common.defence.limits import limits_on
from defence.provider import payment_card_fingerprint
from payments.models import Payment

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Requester:
    """Where a payment request comes from: the client's address (``defence.addresses``) and
    its answer to the challenge, if it sent one."""

    address: str
    challenge_token: str | None = None


def payment_attempt_admit(
    *, requester: Requester, user_id: int | None, pledge: PledgeFactsRead, payment_method: str
) -> None:
    """Let the attempt to pay ``pledge`` reach the provider, or raise 429, 403 (or 503 when the
    challenge cannot be checked). Calls Redis and, with a token, the challenge's verifier.

    The guest's email is the pledge's (its facts carry it). The shared gate leaves guests'
    attempts out of the campaign's guest limit while the challenge is on (guarantee 12).
    """
    attempt_admit(
        Attempt(
            address=requester.address,
            user_id=user_id,
            email=pledge.donor_email,
            campaign_id=pledge.campaign_id,
            challenge_token=requester.challenge_token,
            payment_method=payment_method,
        )
    )


def authorization_suspicious(payment: Payment) -> bool:
    """Whether ``payment``'s card had a run of declines: then its authorization is canceled.

    Asks the provider for the card (one retrieve) only while the limits are on. Raises
    ``ProviderUnavailable`` / ``ProviderRefused`` as the capture would.
    """
    if not limits_on():
        return False
    fingerprint = payment_card_fingerprint(payment)
    suspicious = card_suspicious(fingerprint)
    if suspicious:
        logger.warning("payment %s: card %s had a run of declines", payment.pk, fingerprint)
    return suspicious


def challenge_switch(*, mode: str, staff_user_id: int | None) -> None:
    """Set challenge mode for every replica (``ValueError`` for an unknown mode)."""
    challenge_mode_set(mode)
    logger.warning("challenge: staff %s set challenge mode to %s", staff_user_id, mode)
