from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models

from careforall_common.contracts.events import (
    MAX_DONOR_NAME_LENGTH,
    PaymentAuthorized,
    PaymentCaptured,
    PaymentFailed,
)
from careforall_common.contracts.money import (
    CURRENCY_PATTERN,
    DEFAULT_CURRENCY,
    MAX_AMOUNT,
    MIN_AMOUNT,
    amount_range_q,
    currency_q,
)
from careforall_common.contracts.statuses import CampaignStatus, PledgeStatus

MAX_DESCRIPTION_LENGTH = 10_000  # characters; a bound for the API and the admin form

# The read model (SPEC §3): changed only by the event projector, never by an edit.
READ_MODEL_FIELDS = [
    "pending_amount",
    "authorized_amount",
    "captured_amount",
    "failed_amount",
    "refunded_amount",
    "total_pledges",
    "total_payments",
]


class Campaign(models.Model):
    """A fundraising campaign and its public totals (SPEC §3)."""

    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, max_length=MAX_DESCRIPTION_LENGTH)
    goal_amount = models.BigIntegerField(
        validators=[MinValueValidator(MIN_AMOUNT), MaxValueValidator(MAX_AMOUNT)]
    )
    currency = models.CharField(
        max_length=3,
        default=DEFAULT_CURRENCY,
        validators=[
            RegexValidator(rf"^{CURRENCY_PATTERN}\Z", "A lowercase ISO-4217 code, such as usd.")
        ],
    )
    status = models.CharField(
        max_length=16, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Each bucket is the sum of the campaign's pledges now in that status.
    pending_amount = models.BigIntegerField(default=0)
    authorized_amount = models.BigIntegerField(default=0)
    captured_amount = models.BigIntegerField(default=0)
    failed_amount = models.BigIntegerField(default=0)
    # What came back of the captured pledges (refunds, lost disputes): they stay CAPTURED or
    # REFUNDED, in ``captured_amount``; ``refunded_amount`` is the sum of their refunds.
    refunded_amount = models.BigIntegerField(default=0)
    total_pledges = models.BigIntegerField(default=0)
    total_payments = models.BigIntegerField(default=0)  # captured payments

    class Meta:
        indexes = [models.Index(fields=["status"], name="campaign_status_idx")]
        constraints = [
            models.CheckConstraint(
                condition=amount_range_q("goal_amount"),
                name="campaign_goal_amount_range",
            ),
            models.CheckConstraint(condition=currency_q(), name="campaign_currency_valid"),
            models.CheckConstraint(
                condition=models.Q(status__in=CampaignStatus.values),
                name="campaign_status_valid",
            ),
            *(
                models.CheckConstraint(
                    condition=models.Q(**{f"{field}__gte": 0}),
                    name=f"campaign_{field}_not_negative",
                )
                for field in READ_MODEL_FIELDS
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def current_amount(self) -> int:
        """What the campaign has raised and kept: captured less refunded (SPEC §3).

        Never below zero: a refund can be projected a moment before its capture (two
        publishers), and no donor should see a campaign owe money meanwhile.
        """
        return max(0, self.captured_amount - self.refunded_amount)


class PledgeProjection(models.Model):
    """One pledge as the read model knows it: written only by the projector (SPEC §4).

    A row made by a status change that arrived before the pledge's creation is anonymous, with
    no name, until ``PLEDGE_CREATED`` fills in the donor: no name is shown before the donor's
    choice is known.
    """

    pledge_id = models.BigIntegerField(primary_key=True)
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="pledges")
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=16, choices=PledgeStatus.choices)
    donor_name = models.CharField(max_length=MAX_DONOR_NAME_LENGTH, blank=True)
    anonymous = models.BooleanField(default=True)
    occurred_at = models.DateTimeField()  # when the pledge was made
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "donation"
        indexes = [
            # The donor wall: a campaign's pledges, newest first (SPEC §3).
            models.Index(fields=["campaign", "-pledge_id"], name="pledge_projection_wall"),
            models.Index(
                fields=["campaign", "-occurred_at", "-pledge_id"],
                name="pledge_projection_wall_time",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=amount_range_q(),
                name="pledge_projection_amount_range",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=PledgeStatus.values),
                name="pledge_projection_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"Pledge {self.pledge_id}"


class PaymentEventType(models.TextChoices):
    AUTHORIZED = PaymentAuthorized.EVENT_TYPE
    CAPTURED = PaymentCaptured.EVENT_TYPE
    FAILED = PaymentFailed.EVENT_TYPE


class PaymentEvent(models.Model):
    """The audit trail of payments: one row per payment and event type (SPEC §4).

    The unique pair makes ``total_payments`` count a captured payment once, whatever event ids
    its repeats carry.
    """

    payment_id = models.BigIntegerField()
    event_type = models.CharField(max_length=32, choices=PaymentEventType.choices)
    pledge_id = models.BigIntegerField()
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="payment_events")
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    error = models.TextField(blank=True)
    occurred_at = models.DateTimeField()
    event_id = models.UUIDField()
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["payment_id", "event_type"], name="payment_event_once_per_type"
            ),
            models.CheckConstraint(
                condition=models.Q(event_type__in=PaymentEventType.values),
                name="payment_event_type_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} payment {self.payment_id}"


class RefundProjection(models.Model):
    """One refund of a payment as the read model knows it: written only by the projector.

    Keyed by payment_service's refund id, so a repeated ``PAYMENT_REFUNDED`` counts once; it
    needs no pledge row, so it applies in any order with the pledge's events. The campaign's
    ``refunded_amount`` is the sum of its rows (``reconcile`` proves it).
    """

    refund_id = models.BigIntegerField(primary_key=True)
    payment_id = models.BigIntegerField()
    pledge_id = models.BigIntegerField(db_index=True)
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="refunds")
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    occurred_at = models.DateTimeField()
    event_id = models.UUIDField()
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "refund"
        constraints = [
            models.CheckConstraint(
                condition=amount_range_q(),
                name="refund_projection_amount_range",
            ),
        ]

    def __str__(self) -> str:
        return f"Refund {self.refund_id} of payment {self.payment_id}"
