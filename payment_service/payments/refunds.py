"""Refunds and disputes (SPEC §3): money that goes back, counted once, never more than captured.

Every refund, whichever way it comes, is counted by ``refund_observe``: under the payment's row
lock it finds the refund (by the provider's id, or by ``metadata[refund_id]`` for one of ours
whose reply was lost) or inserts it, and when the provider says it succeeded it moves the refund
to ``succeeded`` once, adds its amount to the payment's ``refunded_amount`` (REFUNDED when that
is the whole amount) and publishes ``PAYMENT_REFUNDED``, all in one transaction.

A staff refund (``refund_request``) is three steps, like a payment:

1. **Transaction 1** locks the payment and reserves the refund: the pending and succeeded
   refunds of a payment never sum above its amount, so twenty concurrent requests queue on the
   lock and refund at most what was captured. The idempotency record is inserted with it.
2. **The provider call**, outside any transaction, with the refund's deterministic key and its
   id in the metadata; a crash before, during or after it changes nothing the repeat (same
   ``Idempotency-Key``), the webhook or the sweep cannot finish: each of them sends the same
   request or reads the provider's refund, and ``refund_observe`` counts it once.
3. **Transaction 2** counts the reply and answers the record.

Refunds made at the provider (its dashboard) arrive as webhooks (``payments.webhooks``) and are
read from the provider's list of the intent's refunds; ``refunds_reconcile`` finds the ones
whose webhook was lost. A dispute is recorded as the provider has it; one that closes ``lost``
is counted as a refund of its amount (capped at what is left), named by the dispute's id.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from careforall_common.events import PaymentRefunded
from careforall_common.idempotency import HEADER, IdempotencyRequest
from careforall_common.outbox.services import outbox_publish
from careforall_common.problems import Problem, problem_body
from careforall_common.timestamps import timestamp
from payments.models import (
    Dispute,
    Payment,
    PaymentStatus,
    Refund,
    RefundRequest,
    RefundSource,
    RefundStatus,
)
from payments.provider import (
    DisputeReport,
    ProviderBusy,
    ProviderRefused,
    ProviderUnavailable,
    RefundReport,
    disputes_since,
    intent_retrieve,
    refund_create,
    refunds_since,
)
from payments.transitions import payment_advance

logger = logging.getLogger(__name__)

REFUNDABLE = PaymentStatus.CAPTURED
UNREACHABLE = (
    "The payment provider cannot be reached right now; send the same request again with the "
    "same Idempotency-Key."
)
IN_PROGRESS = "A request with this Idempotency-Key is in progress; retry shortly."


class PaymentNotCaptured(Exception):
    """A refund or dispute of a payment the provider has not captured here (yet)."""


def refund_output(refund: Refund) -> dict[str, Any]:
    """Return the ``Refund`` of SPEC §3."""
    return {
        "id": refund.pk,
        "payment_id": refund.payment_id,
        "amount": refund.amount,
        "currency": refund.currency,
        "status": refund.status,
        "source": refund.source,
        "reason": refund.reason,
        "created_at": timestamp(refund.created_at),
    }


@dataclass(frozen=True)
class RefundOutcome:
    status: int
    body: dict[str, Any]
    replayed: bool

    @classmethod
    def of(cls, record: RefundRequest, *, replayed: bool) -> RefundOutcome:
        return cls(record.response_status, record.response_body, replayed)


# --- Staff refunds ---------------------------------------------------------------------------


def refund_request(
    *,
    payment_id: int,
    idempotency: IdempotencyRequest,
    amount: int | None,
    reason: str,
    staff_user_id: int | None,
) -> RefundOutcome:
    """Refund ``amount`` (default: what is left) of the payment once for this key (SPEC §3).

    404 for an unknown payment, 409 for one that is not captured, or when the amount is more
    than is left to refund (``refundable_amount`` says how much is); 503 while the provider
    cannot be reached (the repeat with the same key resumes). Calls the provider: never in a
    transaction.
    """
    record = _record_find(idempotency)
    replayed = record is not None
    if record is None:
        try:
            record = refund_reserve(
                payment_id=payment_id,
                idempotency=idempotency,
                amount=amount,
                reason=reason,
                staff_user_id=staff_user_id,
            )
        except IntegrityError:  # the same key, concurrently: its record is the answer
            record = _record_find(idempotency)
            if record is None:
                raise Problem(409, IN_PROGRESS) from None
            replayed = True
    if record.refund.payment_id != payment_id:
        raise Problem(422, f"This {HEADER} was already used with a different request.")
    return RefundOutcome.of(_answer(record), replayed=replayed)


def _record_find(idempotency: IdempotencyRequest) -> RefundRequest | None:
    record = (
        RefundRequest.objects.select_related("refund")
        .filter(scoped_key_hash=idempotency.scoped_key_hash)
        .first()
    )
    if record is not None and record.fingerprint != idempotency.fingerprint:
        raise Problem(422, f"This {HEADER} was already used with a different request body.")
    return record


@transaction.atomic(durable=True)
def refund_reserve(
    *,
    payment_id: int,
    idempotency: IdempotencyRequest,
    amount: int | None,
    reason: str,
    staff_user_id: int | None,
) -> RefundRequest:
    """Transaction 1: under the payment's lock, insert the pending refund and its record."""
    payment = Payment.objects.select_for_update().filter(pk=payment_id).first()
    if payment is None:
        raise Problem(404, "No payment with this id.")
    if payment.status == PaymentStatus.REFUNDED:
        raise Problem(409, "This payment is refunded in full already.", refundable_amount=0)
    if payment.status != REFUNDABLE:
        raise Problem(
            409, f"This payment is {payment.status}; only a captured payment can be refunded."
        )
    left = payment.amount - _reserved(payment)
    amount = left if amount is None else amount
    if left <= 0 or amount > left:
        raise Problem(
            409,
            "The refunds of a payment never sum above what was captured.",
            refundable_amount=max(left, 0),
        )
    refund = Refund.objects.create(
        payment=payment,
        amount=amount,
        currency=payment.currency,
        source=RefundSource.STAFF,
        reason=reason,
        requested_by=staff_user_id,
    )
    return RefundRequest.objects.create(
        scope=idempotency.scope,
        key=idempotency.key,
        scoped_key_hash=idempotency.scoped_key_hash,
        fingerprint=idempotency.fingerprint,
        refund=refund,
        response_status=201,
        response_body=refund_output(refund),
    )


def _reserved(payment: Payment) -> int:
    """What the payment's refunds take, counted or still waiting for the provider."""
    total = (
        Refund.objects.filter(payment=payment)
        .exclude(status=RefundStatus.FAILED)
        .aggregate(total=Sum("amount"))["total"]
    )
    return int(total or 0)


def _answer(record: RefundRequest) -> RefundRequest:
    """The record's answer; asks the provider first while the refund is pending."""
    if record.answered:
        return record
    refund = Refund.objects.select_related("payment").get(pk=record.refund_id)
    report: RefundReport | None = None
    refusal = ""
    if refund.status == RefundStatus.PENDING:
        try:
            report = _send(refund)
        except ProviderBusy:
            raise Problem(409, IN_PROGRESS) from None
        except ProviderRefused as error:
            refusal = str(error) or "refused by the provider"
        except ProviderUnavailable:
            raise Problem(503, UNREACHABLE, refund_id=refund.pk) from None
    return refund_settle(record=record, report=report, refusal=refusal)


def _send(refund: Refund) -> RefundReport:
    intent_id = refund.payment.provider_payment_id
    if intent_id is None:  # a CAPTURED payment always has one (a CHECK constraint)
        raise ProviderRefused(f"payment {refund.payment_id} has no intent")
    return refund_create(
        refund_id=refund.pk, intent_id=intent_id, amount=refund.amount, reason=refund.reason
    )


@transaction.atomic(durable=True)
def refund_settle(
    *, record: RefundRequest, report: RefundReport | None, refusal: str
) -> RefundRequest:
    """Transaction 2: count the provider's reply, then answer the record (the first answer
    sticks). A refusal fails the refund and answers 409 with the provider's reason."""
    refund = record.refund
    if report is not None:
        refund_observe(payment_id=refund.payment_id, report=report)
    elif refusal:
        _fail(refund, refusal)
    refund = Refund.objects.get(pk=record.refund_id)
    if refund.status == RefundStatus.FAILED:
        reason = refusal or refund.failure_reason or "failed"
        status, body = (
            409,
            problem_body(409, f"The provider refused the refund: {reason}", refund_id=refund.pk),
        )
    else:
        status, body = 201, refund_output(refund)
    answered = RefundRequest.objects.filter(pk=record.pk, answered=False).update(
        response_status=status, response_body=body, answered=True
    )
    return record if not answered else RefundRequest.objects.get(pk=record.pk)


def _fail(refund: Refund, reason: str) -> None:
    Refund.objects.filter(pk=refund.pk, status=RefundStatus.PENDING).update(
        status=RefundStatus.FAILED, failure_reason=reason[:255], updated_at=timezone.now()
    )


# --- Counting a refund, whichever way it came --------------------------------------------------


def refund_observe(*, payment_id: int, report: RefundReport) -> bool:
    """Apply what the provider says of one refund of the payment; return whether it counted now.

    The caller holds the transaction. Raises ``PaymentNotCaptured`` for a succeeded refund of a
    payment that is not captured here yet (its capture is still on the way): the caller brings
    the payment forward first, or tries again later.
    """
    payment = Payment.objects.select_for_update().get(pk=payment_id)
    refund = _refund_of(payment, report)
    if refund is None:
        return False
    if report.failed:
        _fail(refund, report.failure_reason or report.status)
        return False
    if not report.succeeded:
        return False  # pending at the provider: refund.updated says when it is done
    return _count(payment, refund)


def _refund_of(payment: Payment, report: RefundReport) -> Refund | None:
    """Our row of the provider's refund: by its id, by our metadata, or a new one (dashboard)."""
    refund = Refund.objects.filter(provider_refund_id=report.provider_refund_id).first()
    if refund is not None:
        if refund.payment_id != payment.pk:
            logger.error("refund %s is not payment %s's", report.provider_refund_id, payment.pk)
            return None
        return refund
    ours = report.refund_id or ""
    if ours.isascii() and ours.isdigit() and len(ours) <= 18:
        refund = Refund.objects.filter(
            pk=int(ours), payment=payment, provider_refund_id__isnull=True
        ).first()
        if refund is not None:
            Refund.objects.filter(pk=refund.pk).update(
                provider_refund_id=report.provider_refund_id, updated_at=timezone.now()
            )
            refund.provider_refund_id = report.provider_refund_id
            return refund
    if (report.currency, report.intent_id) != (payment.currency, payment.provider_payment_id):
        logger.error(
            "refund %s (%s, intent %s) cannot be payment %s's",
            report.provider_refund_id,
            report.currency,
            report.intent_id,
            payment.pk,
        )
        return None
    if report.failed:
        return None  # a refund that never moved money: nothing to keep
    return Refund.objects.create(
        payment=payment,
        amount=report.amount,
        currency=payment.currency,
        source=RefundSource.PROVIDER,
        reason=report.reason,
        provider_refund_id=report.provider_refund_id,
    )


def _count(payment: Payment, refund: Refund) -> bool:
    """Move the pending ``refund`` to succeeded with its effect and event, once."""
    if refund.status != RefundStatus.PENDING:
        return False
    if payment.status not in (PaymentStatus.CAPTURED, PaymentStatus.REFUNDED):
        raise PaymentNotCaptured(f"payment {payment.pk} is {payment.status}")
    total = payment.refunded_amount + refund.amount
    if total > payment.amount:
        # The provider never refunds more than it captured; this is a bug or a lost dispute
        # counted beside refunds. For an operator, never applied.
        logger.error(
            "refund %s of payment %s would refund %s of %s; not counted",
            refund.pk,
            payment.pk,
            total,
            payment.amount,
        )
        return False
    now = timezone.now()
    Refund.objects.filter(pk=refund.pk, status=RefundStatus.PENDING).update(
        status=RefundStatus.SUCCEEDED, updated_at=now
    )
    status = PaymentStatus.REFUNDED if total == payment.amount else payment.status
    Payment.objects.filter(pk=payment.pk).update(
        refunded_amount=total, status=status, updated_at=now
    )
    payment.refunded_amount, payment.status = total, status
    logger.info(
        "payment %s: refund %s of %s counted (%s)", payment.pk, refund.pk, refund.amount, status
    )
    outbox_publish(
        PaymentRefunded(
            payment_id=payment.pk,
            pledge_id=payment.pledge_id,
            campaign_id=payment.campaign_id,
            refund_id=refund.pk,
            amount=refund.amount,
            refunded_total=total,
            currency=payment.currency,
        )
    )
    return True


def payment_bring_forward(payment: Payment) -> Payment:
    """A payment the provider refunded or disputed was captured there: if it is not CAPTURED
    here yet (the capture's webhook comes later), apply the intent's state now.

    Raises ``ProviderUnavailable`` when the provider cannot be asked.
    """
    if payment.status not in (PaymentStatus.PROCESSING, PaymentStatus.AUTHORIZED):
        return payment
    if payment.provider_payment_id is None:
        return payment
    report = intent_retrieve(payment.provider_payment_id)
    with transaction.atomic(durable=True):
        payment_advance(payment=payment, report=report)
    return Payment.objects.get(pk=payment.pk)


def refunds_observe(payment: Payment, reports: Iterable[RefundReport]) -> int:
    """Apply each report in its own transaction; return how many counted now."""
    counted = 0
    for report in reports:
        with transaction.atomic(durable=True):
            counted += refund_observe(payment_id=payment.pk, report=report)
    return counted


# --- Disputes --------------------------------------------------------------------------------


def dispute_observe(*, payment_id: int, report: DisputeReport) -> bool:
    """Record the dispute as the provider has it; count a lost one as a refund, once.

    The caller holds the transaction. A closed dispute stays closed whatever older report
    comes later. Returns whether anything changed.
    """
    payment = Payment.objects.select_for_update().get(pk=payment_id)
    now = timezone.now()
    dispute = Dispute.objects.filter(provider_dispute_id=report.provider_dispute_id).first()
    if dispute is None:
        dispute = Dispute.objects.create(
            payment=payment,
            provider_dispute_id=report.provider_dispute_id,
            amount=report.amount,
            currency=report.currency,
            reason=report.reason,
            status=report.status,
            opened_at=_from_unix(report.created) or now,
            closed_at=now if report.status in Dispute.CLOSED else None,
        )
        changed = True
    elif dispute.payment_id != payment.pk:
        logger.error("dispute %s is not payment %s's", report.provider_dispute_id, payment.pk)
        return False
    elif dispute.closed or dispute.status == report.status:
        changed = False
    else:
        closed_at = now if report.status in Dispute.CLOSED else None
        Dispute.objects.filter(pk=dispute.pk).update(
            status=report.status, amount=report.amount, closed_at=closed_at, updated_at=now
        )
        dispute.status = report.status
        changed = True
    if dispute.status == "lost":
        changed |= _dispute_lost(payment, dispute)
    return changed


def _dispute_lost(payment: Payment, dispute: Dispute) -> bool:
    """Count the lost dispute as a refund of its amount, at most what is left; once."""
    refund = Refund.objects.filter(provider_refund_id=dispute.provider_dispute_id).first()
    if refund is None:
        amount = min(dispute.amount, payment.amount - payment.refunded_amount)
        if amount <= 0:
            return False
        refund = Refund.objects.create(
            payment=payment,
            amount=amount,
            currency=payment.currency,
            source=RefundSource.DISPUTE,
            reason=f"dispute lost: {dispute.reason}"[:500],
            provider_refund_id=dispute.provider_dispute_id,
        )
    return _count(payment, refund)


def _from_unix(seconds: int) -> datetime | None:
    return datetime.fromtimestamp(seconds, tz=timezone.get_current_timezone()) if seconds else None


# --- The sweep: what no request, reply or webhook finished ------------------------------------


def refunds_reconcile(*, budget_seconds: float = 40.0) -> int:
    """Finish refunds that nothing else did; return how many counted.

    - our pending refunds older than ``REFUND_RETRY_AFTER_SECONDS`` (the request died, its
      repeat never came): the same create is sent again with the same key;
    - the provider's refunds and disputes of the last ``PROVIDER_SWEEP_HOURS`` that are not
      counted here (a webhook was lost): read and applied.

    Stops when the provider is unreachable (the next run tries again) or the budget is spent.
    """
    deadline = time.monotonic() + budget_seconds
    counted = 0
    try:
        counted += _retry_pending(deadline)
        since = int((timezone.now() - timedelta(hours=settings.PROVIDER_SWEEP_HOURS)).timestamp())
        counted += _sweep_refunds(since, deadline)
        counted += _sweep_disputes(since, deadline)
    except ProviderUnavailable:
        logger.warning("refund reconciliation: the provider is unavailable; stopping this run")
    return counted


def _retry_pending(deadline: float) -> int:
    cutoff = timezone.now() - timedelta(seconds=settings.REFUND_RETRY_AFTER_SECONDS)
    counted = 0
    pending = Refund.objects.select_related("payment").filter(
        status=RefundStatus.PENDING, source=RefundSource.STAFF, updated_at__lte=cutoff
    )
    for refund in pending.order_by("pk")[:100]:
        if time.monotonic() > deadline:
            break
        try:
            report = _send(refund)
        except ProviderRefused as error:
            with transaction.atomic(durable=True):
                _fail(refund, str(error) or "refused by the provider")
            continue
        except ProviderBusy:
            continue
        with transaction.atomic(durable=True):
            counted += refund_observe(payment_id=refund.payment_id, report=report)
    return counted


def _sweep_refunds(since: int, deadline: float) -> int:
    counted = 0
    for report in refunds_since(since):
        if time.monotonic() > deadline:
            break
        if not report.succeeded and not report.failed:
            continue
        known = Refund.objects.filter(provider_refund_id=report.provider_refund_id).first()
        if known is not None and known.status != RefundStatus.PENDING:
            continue
        payment = _payment_of(report.intent_id)
        if payment is None:
            continue
        try:
            counted += refunds_observe(payment_bring_forward(payment), [report])
        except ProviderRefused:
            continue  # logged by the provider module
        except PaymentNotCaptured:
            logger.warning(
                "refund %s: its payment is not captured here yet", report.provider_refund_id
            )
    return counted


def _sweep_disputes(since: int, deadline: float) -> int:
    changed = 0
    for report in disputes_since(since):
        if time.monotonic() > deadline:
            break
        known = Dispute.objects.filter(provider_dispute_id=report.provider_dispute_id).first()
        if known is not None and (known.closed or known.status == report.status):
            continue
        payment = _payment_of(report.intent_id)
        if payment is None:
            continue
        try:
            payment = payment_bring_forward(payment)
            with transaction.atomic(durable=True):
                changed += dispute_observe(payment_id=payment.pk, report=report)
        except ProviderRefused:
            continue  # logged by the provider module
        except PaymentNotCaptured:
            logger.warning(
                "dispute %s: its payment is not captured here yet", report.provider_dispute_id
            )
    return changed


def _payment_of(intent_id: str | None) -> Payment | None:
    if not intent_id:
        return None
    return Payment.objects.filter(provider_payment_id=intent_id).first()
