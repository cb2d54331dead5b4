"""Staff refunds (SPEC §3): three steps, like a payment, refunding at most what was captured.

1. **Transaction 1** locks the payment and reserves the refund: the pending and succeeded
   refunds of a payment never sum above its amount, so twenty concurrent requests queue on the
   lock and refund at most what was captured. The idempotency record is inserted with it.
2. **The provider call**, outside any transaction, with the refund's deterministic key and its
   id in the metadata; a crash before, during or after it changes nothing the repeat (same
   ``Idempotency-Key``), the webhook or the sweep cannot finish: each of them sends the same
   request or reads the provider's refund, and ``refund_observe`` counts it once. Once the
   provider's refund id is known the refund is only read there, and past
   ``REFUND_CREATE_RETRY_HOURS`` it is never created again (``refund_send``).
3. **Transaction 2** counts the reply and answers the record.
"""

from __future__ import annotations

from datetime import timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from careforall_common.contracts.statuses import PaymentStatus
from careforall_common.idempotency import (
    HEADER,
    IN_PROGRESS,
    IdempotencyRequest,
    Outcome,
    idempotent_create,
    record_find,
    record_insert,
)
from careforall_common.problems import Problem, problem_body
from payments.models import Payment
from payments.stripe_client import ProviderBusy, ProviderRefused, ProviderUnavailable
from refunds.counting import refund_observe, refund_refuse
from refunds.models import Refund, RefundRequest, RefundSource, RefundStatus
from refunds.outputs import refund_output
from refunds.provider import RefundReport, refund_create, refund_find, refund_retrieve
from refunds.selectors import refund_reserved_total

REFUNDABLE = PaymentStatus.CAPTURED
UNREACHABLE = (
    "The payment provider cannot be reached right now; send the same request again with the "
    "same Idempotency-Key."
)


def refund_request(
    *,
    payment_id: int,
    idempotency: IdempotencyRequest,
    amount: int | None,
    reason: str,
    staff_user_id: int | None,
) -> Outcome[RefundRequest]:
    """Refund ``amount`` (default: what is left) of the payment once for this key (SPEC §3).

    404 for an unknown payment, 409 for one that is not captured, or when the amount is more
    than is left to refund (``refundable_amount`` says how much is); 503 while the provider
    cannot be reached (the repeat with the same key resumes). Calls the provider: never in a
    transaction.
    """
    record, replayed = idempotent_create(
        insert=partial(
            refund_reserve,
            payment_id=payment_id,
            idempotency=idempotency,
            amount=amount,
            reason=reason,
            staff_user_id=staff_user_id,
        ),
        # The reserve locks the payment's row: a repeat is answered before it queues there.
        find=partial(record_find, RefundRequest, idempotency=idempotency, related="refund"),
        look_first=True,
    )
    if record.refund.payment_id != payment_id:
        raise Problem(422, f"This {HEADER} was already used with a different request.")
    return Outcome.of(_answer(record), replayed=replayed)


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
    left = payment.amount - refund_reserved_total(payment=payment)
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
    return record_insert(
        RefundRequest,
        idempotency=idempotency,
        body=refund_output(refund, with_reason=True),  # staff's own answer
        refund=refund,
    )


def _answer(record: RefundRequest) -> RefundRequest:
    """The record's answer; asks the provider first while the refund is pending."""
    if record.answered:
        return record
    refund = Refund.objects.select_related("payment").get(pk=record.refund_id)
    report: RefundReport | None = None
    refusal = ""
    if refund.status == RefundStatus.PENDING:
        try:
            report = refund_send(refund)
        except ProviderBusy:
            raise Problem(409, IN_PROGRESS) from None
        except ProviderRefused as error:
            refusal = str(error) or "refused by the provider"
        except ProviderUnavailable:
            raise Problem(503, UNREACHABLE, refund_id=refund.pk) from None
    return refund_settle(record=record, report=report, refusal=refusal)


def refund_send(refund: Refund) -> RefundReport:
    """Ask the provider about the pending staff refund, never making a second one.

    Its provider id known: the refund is read. Younger than ``REFUND_CREATE_RETRY_HOURS``: the
    create is sent, with the deterministic key, the same request each try (the provider
    replays the first answer). Older, the provider may have forgotten the key and would refund
    again: the refund is looked for among the intent's refunds by its metadata, and when the
    provider has none it never got the create (``ProviderRefused("provider_unconfirmed")``).
    """
    if refund.provider_refund_id is not None:
        return refund_retrieve(refund.provider_refund_id)
    intent_id = refund.payment.provider_payment_id
    if intent_id is None:  # a CAPTURED payment always has one (a CHECK constraint)
        raise ProviderRefused(f"payment {refund.payment_id} has no intent")
    too_old = timezone.now() - timedelta(hours=settings.REFUND_CREATE_RETRY_HOURS)
    if refund.created_at <= too_old:
        found = refund_find(intent_id=intent_id, refund_id=refund.pk)
        if found is None:
            raise ProviderRefused("provider_unconfirmed")
        return found
    return refund_create(
        refund_id=refund.pk, intent_id=intent_id, amount=refund.amount, reason=refund.reason
    )


@transaction.atomic(durable=True)
def refund_settle(
    *, record: RefundRequest, report: RefundReport | None, refusal: str
) -> RefundRequest:
    """Transaction 2: count the provider's reply, then answer the record (the first answer
    sticks). A refusal fails the refund (unless the provider has it) and answers 409 with the
    provider's reason."""
    refund = record.refund
    if report is not None:
        refund_observe(payment_id=refund.payment_id, report=report)
    elif refusal:
        refund_refuse(refund, refusal)
    refund = Refund.objects.get(pk=record.refund_id)
    if refund.status == RefundStatus.FAILED:
        reason = refusal or refund.failure_reason or "failed"
        status, body = (
            409,
            problem_body(409, f"The provider refused the refund: {reason}", refund_id=refund.pk),
        )
    else:
        status, body = 201, refund_output(refund, with_reason=True)
    answered = RefundRequest.objects.filter(pk=record.pk, answered=False).update(
        response_status=status, response_body=body, answered=True
    )
    return record if not answered else RefundRequest.objects.get(pk=record.pk)
