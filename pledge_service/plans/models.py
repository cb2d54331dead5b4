from __future__ import annotations

from django.db import models

from careforall_common.contracts.money import amount_range_q, currency_q
from careforall_common.contracts.plans import PLAN_INTERVALS, PLAN_STATUSES
from careforall_common.idempotency import IdempotencyRecordBase


class PlanStatus(models.TextChoices):
    """SPEC §3 ``RecurringPlan.status``: names for the values of ``contracts.plans.PLAN_STATUSES``
    (the constraints and the inputs take the contract's; a test keeps the two equal)."""

    INCOMPLETE = "incomplete"  # until the first installment is captured
    ACTIVE = "active"
    PAUSED = "paused"
    PAST_DUE = "past_due"  # an installment was declined: dunning
    CANCELED = "canceled"  # final


class PlanInterval(models.TextChoices):
    """Names for the values of ``contracts.plans.PLAN_INTERVALS``."""

    MONTH = "month"
    YEAR = "year"


class CancelReason(models.TextChoices):
    PAYMENT_FAILED = "payment_failed"
    CAMPAIGN_CLOSED = "campaign_closed"
    DONOR = "donor"
    STAFF = "staff"


class InstallmentStatus(models.TextChoices):
    PENDING = "pending"  # its pledge waits for the off-session charge
    CAPTURED = "captured"
    FAILED = "failed"
    SKIPPED = "skipped"  # fell due too long ago (an outage): never charged, no pledge


# The decline code of a charge that needs the donor's 3-D Secure (``Installment.error``).
AUTHENTICATION_REQUIRED = "authentication_required"


class RecurringPlan(models.Model):
    """A donor's monthly or yearly gift to a campaign (docs/recurring.md).

    The schedule is one pointer: the scheduler makes installment ``(next_period, next_attempt)``
    at ``next_charge_at``. Period *k* falls due at ``anchor_at`` plus *k* intervals
    (``plans.periods``); a retry of a declined period is the same period with the next attempt.
    Guests get a manage token (``plans.tokens``): the plan keeps its nonce and its SHA-256 only.
    """

    campaign_id = models.BigIntegerField()
    user_id = models.BigIntegerField(null=True, blank=True)
    donor_name = models.CharField(max_length=150)
    donor_email = models.CharField(max_length=254)  # never public
    anonymous = models.BooleanField(default=False)
    amount = models.IntegerField()  # of the next installment on
    currency = models.CharField(max_length=3)
    interval = models.CharField(max_length=5, choices=PlanInterval.choices)
    status = models.CharField(
        max_length=10, choices=PlanStatus.choices, default=PlanStatus.INCOMPLETE
    )
    cancel_reason = models.CharField(
        max_length=16, choices=CancelReason.choices, null=True, blank=True
    )
    anchor_at = models.DateTimeField(null=True, blank=True)  # the first charge's time
    next_period = models.IntegerField(default=1)
    next_attempt = models.IntegerField(default=1)
    next_charge_at = models.DateTimeField(null=True, blank=True)
    paused_until = models.DateTimeField(null=True, blank=True)
    declined_at = models.DateTimeField(null=True, blank=True)  # first decline of the period
    card_brand = models.CharField(max_length=32, blank=True, default="")
    card_last4 = models.CharField(max_length=4, blank=True, default="")
    installments_charged = models.IntegerField(default=0)
    failed_attempts = models.IntegerField(default=0)  # consecutive declines
    manage_nonce = models.CharField(max_length=32, null=True, blank=True)
    manage_token_hash = models.CharField(max_length=64, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["user_id", "id"], name="plan_user_id_idx"),
            models.Index(fields=["campaign_id", "id"], name="plan_campaign_id_idx"),
            models.Index(fields=["status", "next_charge_at"], name="plan_due_idx"),
            models.Index(fields=["status", "paused_until"], name="plan_pause_ends_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=amount_range_q(), name="plan_amount_range"),
            models.CheckConstraint(condition=currency_q(), name="plan_currency_valid"),
            models.CheckConstraint(
                condition=models.Q(status__in=list(PLAN_STATUSES)), name="plan_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(interval__in=list(PLAN_INTERVALS)),
                name="plan_interval_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(status=PlanStatus.CANCELED, cancel_reason__isnull=False)
                | (~models.Q(status=PlanStatus.CANCELED) & models.Q(cancel_reason__isnull=True)),
                name="plan_cancel_reason_iff_canceled",
            ),
            models.CheckConstraint(
                condition=models.Q(next_period__gte=1, next_attempt__gte=1),
                name="plan_next_installment_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"Plan #{self.pk}"


class Installment(models.Model):
    """One attempt to charge one period of a plan, and the pledge it is paid as.

    Unique ``(plan, period, attempt)``: the row, its pledge and its ``INSTALLMENT_DUE`` commit
    together, so a period is charged at most once per attempt, whoever runs the scheduler
    (guarantee 11). A skipped period has a row and no pledge.
    """

    plan = models.ForeignKey(RecurringPlan, on_delete=models.PROTECT, related_name="installments")
    period = models.IntegerField()
    attempt = models.IntegerField(default=1)
    pledge = models.OneToOneField(
        "pledges.Pledge", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status = models.CharField(
        max_length=8, choices=InstallmentStatus.choices, default=InstallmentStatus.PENDING
    )
    due_at = models.DateTimeField()
    amount = models.IntegerField(null=True, blank=True)  # None when skipped
    error = models.CharField(max_length=2000, blank=True, default="")  # the decline
    # Made by the donor completing 3-D Secure for the previous attempt (not by the schedule).
    by_donor = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "period", "attempt"], name="installment_period_attempt_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=InstallmentStatus.values),
                name="installment_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(period__gte=0, attempt__gte=1),
                name="installment_period_attempt_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"Plan #{self.plan_id} period {self.period} attempt {self.attempt}"


class PlanIdempotencyRecord(IdempotencyRecordBase):
    """The answer to one ``Idempotency-Key`` of ``POST /api/recurring``.

    Inserted with the plan (unanswered: its body is the plan alone), answered once
    payment_service made the first payment: ``response_body`` is then the 201 body with
    ``first_installment``, and every repeat gets it. The guest's manage token and receipt token
    are never stored; each answer recomputes them.
    """

    plan = models.ForeignKey(RecurringPlan, on_delete=models.PROTECT, related_name="+")
    answered = models.BooleanField(default=False)
