from __future__ import annotations

from django.db import models

from careforall_common.idempotency import IdempotencyRecordBase

MAX_AMOUNT = 100_000_000  # minor units (SPEC §2)
# Provider ids are case-sensitive ("pi_3aB…" ≠ "pi_3Ab…"), the database's default collation is
# not: compare them byte for byte.
EXACT = "utf8mb4_bin"


class PaymentStatus(models.TextChoices):
    PROCESSING = "PROCESSING"
    AUTHORIZED = "AUTHORIZED"
    CAPTURED = "CAPTURED"
    REFUNDED = "REFUNDED"  # all of it came back: refunds, a lost dispute (SPEC §3)
    FAILED = "FAILED"


class Payment(models.Model):
    """The one payment of a pledge (SPEC §3), and how far the provider took it.

    ``pledge_id``, ``campaign_id`` and ``user_id`` name rows of other services: plain ids, no
    foreign keys (SPEC §7). Amount, currency, owner and the guest's ``receipt_token_hash`` are
    copied from the pledge when the payment is made, so that reads and events need no call to
    pledge_service. ``payment_method`` is the id the donor sent; with the amount, currency and ids
    it makes the provider request, which must be the same every time it is sent
    (``payments.provider``). ``reconcile_after`` is when the reconciliation task next asks the
    provider about a payment that has not reached CAPTURED or FAILED.
    """

    pledge_id = models.BigIntegerField(unique=True)  # one payment per pledge, ever
    campaign_id = models.BigIntegerField()
    user_id = models.BigIntegerField(null=True, blank=True)
    receipt_token_hash = models.CharField(max_length=64, null=True, blank=True)
    amount = models.IntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(
        max_length=10, choices=PaymentStatus.choices, default=PaymentStatus.PROCESSING
    )
    payment_method = models.CharField(max_length=255, blank=True)
    provider_payment_id = models.CharField(
        max_length=255, unique=True, null=True, blank=True, db_collation=EXACT
    )
    failure_reason = models.CharField(max_length=255, blank=True, default="")
    card_brand = models.CharField(max_length=32, blank=True, default="")
    card_last4 = models.CharField(max_length=4, blank=True, default="")
    # The sum of the payment's succeeded refunds; REFUNDED once it is the whole amount.
    refunded_amount = models.IntegerField(default=0)
    reconcile_after = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["status", "reconcile_after"], name="payment_reconcile_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gte=1, amount__lte=MAX_AMOUNT),
                name="payment_amount_range",
            ),
            models.CheckConstraint(
                condition=models.Q(currency__regex=r"^[a-z]{3}$"), name="payment_currency_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=PaymentStatus.values), name="payment_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(pledge_id__gte=1, campaign_id__gte=1),
                name="payment_ids_positive",
            ),
            # What the provider authorized or captured has an intent id.
            models.CheckConstraint(
                condition=~models.Q(
                    status__in=[
                        PaymentStatus.AUTHORIZED,
                        PaymentStatus.CAPTURED,
                        PaymentStatus.REFUNDED,
                    ]
                )
                | models.Q(provider_payment_id__isnull=False),
                name="payment_moved_has_provider_id",
            ),
            # A failure says why; nothing else has a failure reason.
            models.CheckConstraint(
                condition=models.Q(status=PaymentStatus.FAILED, failure_reason__gt="")
                | (~models.Q(status=PaymentStatus.FAILED) & models.Q(failure_reason="")),
                name="payment_failure_reason_iff_failed",
            ),
            # Four digits or nothing: never more of a card number (SPEC §5.9).
            models.CheckConstraint(
                condition=models.Q(card_last4__regex=r"^([0-9]{4})?$"),
                name="payment_card_last4_digits",
            ),
            # SPEC §5.3: refunds never exceed what was captured, and only what was captured
            # is refunded; REFUNDED means all of it.
            models.CheckConstraint(
                condition=models.Q(refunded_amount__gte=0, refunded_amount__lte=models.F("amount")),
                name="payment_refunded_amount_range",
            ),
            models.CheckConstraint(
                condition=models.Q(refunded_amount=0)
                | models.Q(status__in=[PaymentStatus.CAPTURED, PaymentStatus.REFUNDED]),
                name="payment_refunded_only_if_captured",
            ),
            models.CheckConstraint(
                condition=~models.Q(status=PaymentStatus.REFUNDED)
                | models.Q(refunded_amount=models.F("amount")),
                name="payment_refunded_in_full",
            ),
        ]

    def __str__(self) -> str:
        return f"Payment #{self.pk}"

    @property
    def confirmed_in_browser(self) -> bool:
        """Whether the donor's browser confirms the intent (no payment method sent here)."""
        return not self.payment_method


class IdempotencyRecord(IdempotencyRecordBase):
    """The answer to one ``Idempotency-Key`` of one caller, committed with its payment.

    ``scope`` is ``user:<id>`` or ``guest-pledge:<pledge id>``. The record is inserted with the
    payment (transaction 1, body PROCESSING) and ``answered`` once the provider's reply is
    recorded (transaction 2): from then on its body is the answer every repeat gets. A record
    still unanswered belongs to a request that is calling the provider or died doing so; a
    repeat then resumes that call (docs/payments.md).
    """

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="+")
    answered = models.BooleanField(default=False)


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
    ``dp_…`` id of a lost dispute.
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
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["status", "updated_at"], name="refund_status_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gte=1, amount__lte=MAX_AMOUNT),
                name="refund_amount_range",
            ),
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

    def __str__(self) -> str:
        return f"Dispute {self.provider_dispute_id} ({self.status})"

    @property
    def closed(self) -> bool:
        return self.status in self.CLOSED


class ProviderEventResult(models.TextChoices):
    RECEIVED = "received"  # stored, not acted on yet: a redelivery acts on it
    PROCESSED = "processed"  # the payment moved
    NO_CHANGE = "no_change"  # the payment was there or beyond already
    UNKNOWN_INTENT = "unknown_intent"  # no payment here has this intent
    IGNORED = "ignored"  # a type that is not acted on


class ProviderEvent(models.Model):
    """A webhook event as the provider signed it, kept once per event id (SPEC §3)."""

    event_id = models.CharField(max_length=255, unique=True, db_collation=EXACT)
    event_type = models.CharField(max_length=100)
    intent_id = models.CharField(
        max_length=255, null=True, blank=True, db_index=True, db_collation=EXACT
    )
    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="provider_events"
    )
    payload = models.JSONField()
    result = models.CharField(
        max_length=16, choices=ProviderEventResult.choices, default=ProviderEventResult.RECEIVED
    )
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id}"
