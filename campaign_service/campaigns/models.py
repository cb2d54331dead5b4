from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models

MAX_GOAL_AMOUNT = 100_000_000  # minor units (SPEC §2)
MAX_DESCRIPTION_LENGTH = 10_000  # characters; a bound for the API and the admin form

# The read model (SPEC §3): changed only by the event projector, never by an edit.
READ_MODEL_FIELDS = [
    "pending_amount",
    "authorized_amount",
    "captured_amount",
    "failed_amount",
    "total_pledges",
    "total_payments",
]


class CampaignStatus(models.TextChoices):
    DRAFT = "draft"
    ACTIVE = "active"
    CLOSED = "closed"


class Campaign(models.Model):
    """A fundraising campaign and its public totals (SPEC §3)."""

    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, max_length=MAX_DESCRIPTION_LENGTH)
    goal_amount = models.BigIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(MAX_GOAL_AMOUNT)]
    )
    currency = models.CharField(
        max_length=3,
        default="usd",
        validators=[RegexValidator(r"^[a-z]{3}\Z", "A lowercase ISO-4217 code, such as usd.")],
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
    total_pledges = models.BigIntegerField(default=0)
    total_payments = models.BigIntegerField(default=0)  # captured payments

    class Meta:
        indexes = [models.Index(fields=["status"], name="campaign_status_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(goal_amount__gte=1, goal_amount__lte=MAX_GOAL_AMOUNT),
                name="campaign_goal_amount_range",
            ),
            models.CheckConstraint(
                condition=models.Q(currency__regex=r"^[a-z]{3}$"), name="campaign_currency_valid"
            ),
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
        """What the campaign has raised: its captured pledges (SPEC §3)."""
        return self.captured_amount
