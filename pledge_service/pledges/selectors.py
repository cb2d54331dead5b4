from __future__ import annotations

from django.db.models import QuerySet

from careforall_common.contracts.receipts import receipt_token_matches
from pledges.models import Pledge, RefundFailure


def pledge_list(*, user_id: int | None, campaign_id: int | None = None) -> QuerySet[Pledge]:
    """Return the pledges of ``user_id`` (every pledge when None), optionally of one campaign.

    Unordered: the cursor paginator orders by ``-id``, which the ``(user_id, id)`` and
    ``(campaign_id, id)`` indexes serve.
    """
    pledges = Pledge.objects.all()
    if user_id is not None:
        pledges = pledges.filter(user_id=user_id)
    if campaign_id is not None:
        pledges = pledges.filter(campaign_id=campaign_id)
    return pledges


def pledge_get_for_reader(
    *, pledge_id: int, user_id: int | None, is_staff: bool, receipt_token: str | None
) -> Pledge | None:
    """Return the pledge if the caller may read it (SPEC §3), in one query; else None.

    Staff read every pledge, a donor their own, anyone holding its guest's receipt token that
    one. A refusal looks exactly like a missing pledge.
    """
    pledge = Pledge.objects.filter(pk=pledge_id).first()
    if pledge is None:
        return None
    if is_staff or (user_id is not None and pledge.user_id == user_id):
        return pledge
    if receipt_token and receipt_token_matches(
        token=receipt_token, token_hash=pledge.receipt_token_hash
    ):
        return pledge
    return None


def pledge_get(*, pledge_id: int) -> Pledge | None:
    return Pledge.objects.filter(pk=pledge_id).first()


def pledge_list_after(*, after: int, limit: int, campaign_id: int | None = None) -> list[Pledge]:
    """Return up to ``limit`` pledges with an id above ``after``, in id order."""
    pledges = Pledge.objects.filter(pk__gt=after)
    if campaign_id is not None:
        pledges = pledges.filter(campaign_id=campaign_id)
    return list(pledges.order_by("id")[:limit])


def pledge_campaign_ids() -> list[int]:
    """Every campaign id that has a pledge, ascending (an index-only scan)."""
    return list(
        Pledge.objects.order_by("campaign_id").values_list("campaign_id", flat=True).distinct()
    )


def pledge_donor_emails(*, pledge_ids: list[int]) -> dict[int, str]:
    """The donor email of each pledge of ``pledge_ids`` that exists (one primary-key query)."""
    return dict(Pledge.objects.filter(pk__in=pledge_ids).values_list("pk", "donor_email"))


def refund_failed(*, refund_id: int) -> bool:
    """Whether the provider failed the refund ``refund_id`` after it succeeded."""
    return RefundFailure.objects.filter(refund_id=refund_id).exists()
