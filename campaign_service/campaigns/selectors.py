from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet, Sum

from campaigns.models import (
    Campaign,
    PaymentEvent,
    PledgeProjection,
    RefundProjection,
)
from careforall_common.contracts.statuses import CampaignStatus

# Drafts are staff's work in progress: the public never sees them (SPEC §3).
PUBLIC_STATUSES = [CampaignStatus.ACTIVE, CampaignStatus.CLOSED]


def campaign_list(*, include_drafts: bool, status: str | None = None) -> QuerySet[Campaign]:
    """Return the campaigns a caller may list, optionally of one ``status``; unordered."""
    campaigns = Campaign.objects.all()
    if not include_drafts:
        if status == CampaignStatus.DRAFT:
            return campaigns.none()
        campaigns = campaigns.filter(status__in=PUBLIC_STATUSES)
    if status is not None:
        campaigns = campaigns.filter(status=status)
    return campaigns


def campaign_get(*, campaign_id: int, include_drafts: bool) -> Campaign | None:
    """Return the campaign with this id if the caller may see it, in one query."""
    return campaign_list(include_drafts=include_drafts).filter(pk=campaign_id).first()


def donation_list(*, campaign_id: int, include_drafts: bool) -> QuerySet[PledgeProjection]:
    """Return the campaign's pledges if the caller may see the campaign; unordered.

    The campaign's visibility is a join in the same query, so a page costs one query; an empty
    result leaves the caller to tell an unknown campaign from one with no pledges yet.
    """
    donations = PledgeProjection.objects.filter(campaign_id=campaign_id)
    if not include_drafts:
        donations = donations.filter(campaign__status__in=PUBLIC_STATUSES)
    return donations.only(
        "pledge_id", "amount", "currency", "status", "donor_name", "anonymous", "occurred_at"
    )


def payment_ids_by_pledge(pledge_ids: list[int]) -> dict[int, int]:
    """The newest payment campaign_service heard of for each pledge (its audit trail)."""
    found: dict[int, int] = {}
    rows = PaymentEvent.objects.filter(pledge_id__in=pledge_ids).values_list(
        "pledge_id", "payment_id"
    )
    for pledge_id, payment_id in rows:
        found[pledge_id] = max(payment_id, found.get(pledge_id, 0))
    return found


def refunded_by_pledge(pledge_ids: list[int]) -> dict[int, int]:
    """What came back of each pledge, from this service's refund rows."""
    rows = (
        RefundProjection.objects.filter(pledge_id__in=pledge_ids, failed_at__isnull=True)
        .values("pledge_id")
        .annotate(total=Sum("amount"))
        .order_by()
        .values_list("pledge_id", "total")
    )
    return dict(rows)


def donation_history(*, campaign_id: int) -> QuerySet[PledgeProjection]:
    """A campaign's donations for staff, newest first (the admin pages through them)."""
    return PledgeProjection.objects.filter(campaign_id=campaign_id).order_by(
        "-occurred_at", "-pledge_id"
    )


def donation_rows_chunk(
    *, campaign_id: int, before: int | None, size: int
) -> list[tuple[int, datetime, str, bool, int, str, str]]:
    """Up to ``size`` of a campaign's donations below pledge id ``before``, newest first."""
    chunk = PledgeProjection.objects.filter(campaign_id=campaign_id)
    if before is not None:
        chunk = chunk.filter(pledge_id__lt=before)
    return list(
        chunk.order_by("-pledge_id").values_list(
            "pledge_id", "occurred_at", "donor_name", "anonymous", "amount", "currency", "status"
        )[:size]
    )
