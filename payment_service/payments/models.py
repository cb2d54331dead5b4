from __future__ import annotations

from django.db import models

from careforall_common.contracts.money import amount_range_q, currency_q
from careforall_common.contracts.statuses import PaymentStatus
from careforall_common.idempotency import IdempotencyRecordBase

# Provider ids are case-sensitive ("pi_3aB…" ≠ "pi_3Ab…"), the database's default collation is
# not: compare them byte for byte.
EXACT = "utf8mb4_bin"


class PlanCharge(models.TextChoices):
    """What a recurring plan's payment asks of its card (docs/recurring.md); "" for a one-off gift.

    ``first``: the plan's first payment, which saves the card on the plan's Customer
    (``setup_future_usage: off_session``); ``off_session``: an installment charged without the
    donor; ``authenticated``: an installment's retry the donor confirms with 3-D Secure.
    """

    NONE = "", "one-off"
    FIRST = "first"
    OFF_SESSION = "off_session"
    AUTHENTICATED = "authenticated"


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
    # A recurring plan's payment (``saved_cards``): the plan, the period of an installment, the
    # provider's Customer the intent is made on, and what is asked of the card. Part of the
    # provider request, so fixed when the payment is made (``payments.provider``).
    plan_id = models.BigIntegerField(null=True, blank=True)
    plan_period = models.PositiveIntegerField(null=True, blank=True)
    plan_charge = models.CharField(
        max_length=16, choices=PlanCharge.choices, blank=True, default=PlanCharge.NONE
    )
    provider_customer = models.CharField(max_length=255, blank=True, default="", db_collation=EXACT)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["status", "reconcile_after"], name="payment_reconcile_idx"),
        ]
        constraints = [
            # A plan's payment names its plan and Customer; a one-off gift neither.
            models.CheckConstraint(
                condition=models.Q(plan_charge="", plan_id__isnull=True, provider_customer="")
                | (
                    models.Q(plan_charge__in=PlanCharge.values, plan_id__gte=1)
                    & ~models.Q(plan_charge="")
                    & ~models.Q(provider_customer="")
                ),
                name="payment_plan_charge_complete",
            ),
            # Off-session and authenticated charges use the plan's saved card.
            models.CheckConstraint(
                condition=~models.Q(
                    plan_charge__in=[PlanCharge.OFF_SESSION, PlanCharge.AUTHENTICATED]
                )
                | ~models.Q(payment_method=""),
                name="payment_saved_card_charge_has_method",
            ),
            models.CheckConstraint(condition=amount_range_q("amount"), name="payment_amount_range"),
            models.CheckConstraint(condition=currency_q("currency"), name="payment_currency_valid"),
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

    @property
    def answers_client_secret(self) -> bool:
        """Whether the answer to the request that made it carries the intent's client secret:
        the donor's browser confirms it, or authenticates a saved card's charge (3-D Secure)."""
        return self.confirmed_in_browser or self.plan_charge == PlanCharge.AUTHENTICATED


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
