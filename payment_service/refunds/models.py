"""Refunds and disputes: money that went back to the donor (SPEC §3).

The tables were made by the ``payments`` app and keep its names (``db_table``); the models moved
here with ``SeparateDatabaseAndState`` (``refunds/migrations/0001_initial.py``).
"""

from __future__ import annotations

from django.db import models

from careforall_common.contracts.money import amount_range_q
from careforall_common.idempotency import IdempotencyRecordBase
from payments.models import EXACT, Payment


class RefundStatus(models.TextChoices):
    PENDING = "pending"  # reserved here; the provider has not confirmed it (yet)
    SUCCEEDED = "succeeded"  # counted in the payment's refunded_amount, with its event
    FAILED = "failed"  # refused or failed at the provider: nothing came back


class RefundSource(models.TextChoices):
    STAFF = "staff"  # asked for here (the API, the admin)
    PROVIDER = "provider"  # made at the provider (its dashboard), learnt from it
    DISPUTE = "dispute"  # a dispute the charity lost: the bank took the money back


class Refund(models.Model):
    """Money that went back to the donor, in full or in part (SPEC §3).

    A staff refund is inserted ``pending`` under the payment's row lock, so that the pending
    and succeeded refunds of a payment never sum above its amount whatever the concurrency,
    then sent to the provider with a deterministic idempotency key (``…-refund-<id>``) and
    its ``metadata[refund_id]``. A refund the provider reports that is not one of ours (its
    dashboard) is inserted as the provider has it. Each one is counted once, when it moves to
    ``succeeded``: the payment's ``refunded_amount`` grows and ``PAYMENT_REFUNDED`` is published
    in the same transaction. ``provider_refund_id`` is the provider's ``re_…`` id, or the
    ``dp_…`` id of a lost dispute. A staff refund failed here (refused, or never confirmed by
    the provider) still counts if the provider later says it succeeded; one that the provider
    failed after it succeeded is un-counted once (``failed_after_success_at``).
    """

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount = models.IntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(
        max_length=10, choices=RefundStatus.choices, default=RefundStatus.PENDING
    )
    source = models.CharField(max_length=10, choices=RefundSource.choices)
    reason = models.CharField(max_length=500, blank=True, default="")
    failure_reason = models.CharField(max_length=255, blank=True, default="")
    provider_refund_id = models.CharField(
        max_length=255, unique=True, null=True, blank=True, db_collation=EXACT
    )
    requested_by = models.BigIntegerField(null=True, blank=True)  # the staff account
    # When the provider failed the refund after it had succeeded here (the card was closed
    # meanwhile): un-counted if the payment was still CAPTURED (status failed), left counted
    # on a payment REFUNDED in full (status succeeded; SPEC §5.3), for staff to settle.
    failed_after_success_at = models.DateTimeField(
        "failed at the provider after it succeeded", null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "payments_refund"  # made by the payments app, before refunds had their own
        indexes = [models.Index(fields=["status", "updated_at"], name="refund_status_idx")]
        constraints = [
            models.CheckConstraint(condition=amount_range_q("amount"), name="refund_amount_range"),
            models.CheckConstraint(
                condition=models.Q(status__in=RefundStatus.values), name="refund_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(source__in=RefundSource.values), name="refund_source_valid"
            ),
            # What the provider reports, or a lost dispute, is always named by it.
            models.CheckConstraint(
                condition=models.Q(source=RefundSource.STAFF)
                | models.Q(provider_refund_id__isnull=False),
                name="refund_reported_has_provider_id",
            ),
        ]

    def __str__(self) -> str:
        return f"Refund #{self.pk} of payment #{self.payment_id}"


class RefundRequest(IdempotencyRecordBase):
    """The answer to one ``Idempotency-Key`` of ``POST /api/payments/{id}/refunds``.

    Inserted with the pending refund, ``answered`` once the provider's reply is recorded; a
    repeat of an unanswered one resumes the provider call with the refund's key.
    """

    refund = models.ForeignKey(Refund, on_delete=models.PROTECT, related_name="+")
    answered = models.BooleanField(default=False)

    class Meta:
        db_table = "payments_refundrequest"


class Dispute(models.Model):
    """A chargeback opened by the donor's bank (``charge.dispute.*``), as the provider has it.

    Shown to staff; a dispute that closes ``lost`` counts as a refund of its amount (a
    ``Refund`` of source ``dispute``), once.
    """

    CLOSED = ("won", "lost", "warning_closed", "prevented")

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="disputes")
    provider_dispute_id = models.CharField(max_length=255, unique=True, db_collation=EXACT)
    amount = models.IntegerField()
    currency = models.CharField(max_length=3)
    reason = models.CharField(max_length=64, blank=True, default="")
    status = models.CharField(max_length=32)
    opened_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "payments_dispute"

    def __str__(self) -> str:
        return f"Dispute {self.provider_dispute_id} ({self.status})"

    @property
    def closed(self) -> bool:
        return self.status in self.CLOSED
