"""What payment outcomes teach the defence (SPEC §3 "Card-testing defence").

- A guest's payment declined: one declined guest attempt towards challenge mode's ``auto`` rule,
  counted once, by whichever path moves the payment to FAILED (the request that confirmed it, a
  webhook or reconciliation: ``payments.transitions.payment_advance`` calls ``payment_moved``).
- A card declined (``payment_intent.payment_failed``, which carries the card's fingerprint):
  one more decline of that card, and which card the payment method sent is, so that the next
  attempt naming it is refused before any provider call once the card is over its limit.
- An intent canceled as fraudulent is a suspected card tester's authorization
  (``defence.provider``): its payment fails as ``suspected_card_testing``, whoever reports it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from django.db import transaction

from careforall_common.contracts.statuses import PaymentStatus
from careforall_common.defence.attempts import (
    card_decline_record,
    card_remember,
    guest_decline_record,
)
from defence.cards import failure_decline_code, intent_card_fingerprint, intent_decline_code
from payments.models import Payment, PlanCharge
from payments.provider import IntentReport

logger = logging.getLogger(__name__)

FRAUDULENT = "fraudulent"  # the provider's cancellation reason of a suspected card tester
SUSPECTED_CARD_TESTING = "suspected_card_testing"  # the payment's failure reason (SPEC §3)


def reported(report: IntentReport) -> IntentReport:
    """``report`` as the payment records it: an intent canceled as fraudulent failed as
    ``suspected_card_testing`` (the same reason whichever path reports the cancel first)."""
    if report.status == PaymentStatus.FAILED and report.failure_reason == f"canceled: {FRAUDULENT}":
        return replace(report, failure_reason=SUSPECTED_CARD_TESTING)
    return report


def payment_moved(*, payment: Payment, report: IntentReport) -> None:
    """The payment just moved to ``report.status`` (in the caller's transaction): a guest's
    decline counts towards challenge mode once the move commits.

    An installment charged without its donor (off-session) is nobody's attempt: not counted.
    """
    if report.status != PaymentStatus.FAILED or payment.user_id is not None:
        return
    if payment.plan_charge == PlanCharge.OFF_SESSION:
        return
    if failure_decline_code(report.failure_reason) is not None:
        transaction.on_commit(guest_decline_record)


def intent_declined(*, payment: Payment, intent: Mapping[str, Any]) -> None:
    """A ``payment_intent.payment_failed`` of ``payment``: count the decline against its card,
    and remember which card the payment method the donor sent is (called once per event)."""
    fingerprint = intent_card_fingerprint(intent)
    code = intent_decline_code(intent)
    if not fingerprint or code is None:
        return
    declines = card_decline_record(fingerprint, code=code)
    card_remember(payment.payment_method, fingerprint)
    logger.info("payment %s: card declined (%s), %d in the window", payment.pk, code, declines)
