from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models

from careforall_common.contracts.events import (
    MAX_DONOR_NAME_LENGTH,
    PLAN_INTERVALS,
    PLAN_STATUSES,
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
# The recurring plans' figures (SPEC §3 "Recurring gifts"): from ``PLAN_CHANGED`` only.
PLAN_FIELDS = ["active_plans", "monthly_recurring_amount"]
# A plan counts while it is charged: active, or past_due while its installment is retried.
COUNTED_PLAN_STATUSES = ("active", "past_due")


def plan_monthly_amount(*, status: str, amount: int, interval: str) -> int:
    """What a plan adds to ``monthly_recurring_amount``: a yearly one 1/12, rounded down."""
    if status not in COUNTED_PLAN_STATUSES:
        return 0
    return amount if interval == "month" else amount // 12


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
    active_plans = models.BigIntegerField(default=0)  # recurring plans active or past_due
    monthly_recurring_amount = models.BigIntegerField(default=0)  # what they give a month

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
                for field in [*READ_MODEL_FIELDS, *PLAN_FIELDS]
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
    needs no pledge row, so it applies in any order with the pledge's events. A refund that
    failed after it was reported (``PAYMENT_REFUND_FAILED``) keeps its row with ``failed_at``
    set: the money stayed with the charity. The campaign's ``refunded_amount`` is the sum of
    its rows not failed (``reconcile`` proves it).
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
    failed_at = models.DateTimeField(null=True, blank=True)  # when the provider reported it failed

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

    @property
    def failed(self) -> bool:
        return self.failed_at is not None


class PlanProjection(models.Model):
    """One recurring plan as the read model knows it (SPEC §3): written only by the projector.

    Each ``PLAN_CHANGED`` sets the row to the plan as it is now and moves the campaign's
    ``active_plans`` and ``monthly_recurring_amount`` by the difference between the row's old
    and new contribution (``monthly_amount``), so a repeat moves nothing. ``changed_at`` is the
    newest event's time: an older one is stale and ignored; ``canceled`` is final.
    """

    plan_id = models.BigIntegerField(primary_key=True)
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="plans")
    status = models.CharField(max_length=16, choices=[(s, s) for s in PLAN_STATUSES])
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    interval = models.CharField(max_length=8, choices=[(i, i) for i in PLAN_INTERVALS])
    monthly_amount = models.BigIntegerField()  # its part of monthly_recurring_amount
    changed_at = models.DateTimeField()  # occurred_at of the event the row shows
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "recurring plan"
        constraints = [
            models.CheckConstraint(condition=amount_range_q(), name="plan_projection_amount_range"),
            models.CheckConstraint(
                condition=models.Q(status__in=PLAN_STATUSES), name="plan_projection_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(interval__in=PLAN_INTERVALS),
                name="plan_projection_interval_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(monthly_amount__gte=0),
                name="plan_projection_monthly_amount_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"Plan {self.plan_id}"

    @property
    def counted(self) -> bool:
        return self.status in COUNTED_PLAN_STATUSES
