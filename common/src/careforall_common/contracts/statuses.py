"""Status values of pledges, payments and campaigns (SPEC §3), as Django choices.

The stored values are the SPEC's words; the enums are ``TextChoices`` so that models take their
``choices`` and ``CheckConstraint`` lists from here, and plain strings compare equal to members.
"""

from __future__ import annotations

from django.db import models


class PledgeStatus(models.TextChoices):
    PENDING = "PENDING"
    AUTHORIZED = "AUTHORIZED"
    CAPTURED = "CAPTURED"
    REFUNDED = "REFUNDED"  # all of it came back: refunds, a lost dispute
    FAILED = "FAILED"


class PaymentStatus(models.TextChoices):
    PROCESSING = "PROCESSING"
    AUTHORIZED = "AUTHORIZED"
    CAPTURED = "CAPTURED"
    REFUNDED = "REFUNDED"  # all of it came back: refunds, a lost dispute
    FAILED = "FAILED"


class CampaignStatus(models.TextChoices):
    DRAFT = "draft"
    ACTIVE = "active"
    CLOSED = "closed"


# The status of a deleted campaign's last event, and of its facts in another service's copy.
CAMPAIGN_DELETED = "deleted"
CAMPAIGN_FACT_STATUSES: tuple[str, ...] = (*CampaignStatus.values, CAMPAIGN_DELETED)
# A campaign in one of these never takes a pledge again (SPEC §3: closed is final).
CAMPAIGN_FINAL = frozenset({CampaignStatus.CLOSED.value, CAMPAIGN_DELETED})
