"""Campaign holds: a deletion or currency change is decided on this service's pledges (SPEC §3).

campaign_service asks for a hold before it deletes a campaign or changes its currency:

1. the hold row is committed first, so every pledge transaction that checks after that moment
   sees it and refuses (``campaign_held``, inside ``pledge_create``, after the pledge's insert);
2. then a locking read looks for the campaign's pledges. A pledge whose transaction checked
   before the hold was committed has inserted its row already; the locking read waits for that
   transaction to end and sees the pledge. So either the pledge is refused or the hold is.

When the campaign has pledges the hold is lifted and campaign_service answers 409. Otherwise it
holds until campaign_service releases it with the campaign's facts as they are now: for good
after a deletion, or for the time each process may still remember the old facts after a
currency change. A hold that is never released (campaign_service died) ends by itself after
``CAMPAIGN_HOLD_SECONDS``; campaign_service commits its change well within that time or not at
all. Times are the database's, so the clocks of the hosts do not matter.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import DateTimeField, ExpressionWrapper
from django.db.models.functions import Now
from django.utils import timezone

from careforall_common.contracts.statuses import CAMPAIGN_DELETED
from careforall_common.rows import Statement, statements_run
from pledges.campaign_facts import campaign_facts_apply
from pledges.models import CampaignFacts, CampaignHold, Pledge


def _from_now(seconds: float) -> ExpressionWrapper:
    return ExpressionWrapper(Now() + timedelta(seconds=seconds), output_field=DateTimeField())


def campaign_hold(*, campaign_id: int) -> bool:
    """Hold the campaign; return whether it has pledges (then the hold is lifted at once)."""
    until = _from_now(settings.CAMPAIGN_HOLD_SECONDS)
    with transaction.atomic(durable=True):
        CampaignHold.objects.update_or_create(campaign_id=campaign_id, defaults={"until": until})
    with transaction.atomic(durable=True):
        has_pledges = Pledge.objects.select_for_update().filter(campaign_id=campaign_id).exists()
    if has_pledges:
        CampaignHold.objects.filter(campaign_id=campaign_id).update(until=Now())
    return has_pledges


@transaction.atomic(durable=True)
def campaign_release(*, campaign_id: int, status: str, currency: str) -> None:
    """End the hold, storing the facts campaign_service has now; a deletion holds for good."""
    campaign_facts_apply(
        campaign_id=campaign_id, status=status, currency=currency, refreshed_at=timezone.now()
    )
    until = None if status == CAMPAIGN_DELETED else _from_now(settings.CAMPAIGN_FACTS_CACHE_SECONDS)
    CampaignHold.objects.update_or_create(campaign_id=campaign_id, defaults={"until": until})


_HELD = "SELECT 1 FROM {table} WHERE campaign_id = %s AND (until IS NULL OR until > NOW(6)) LIMIT 1"


def campaign_held(*, campaign_id: int) -> bool:
    """Whether a hold stops pledges to this campaign now. Call inside the pledge's transaction.

    Plain SQL: it runs on every pledge, and building it through the ORM cost more than the
    query (docs/benchmarks.md).
    """
    (result,) = statements_run(campaign_held_statement(campaign_id=campaign_id))
    return result.row is not None


def campaign_held_statement(*, campaign_id: int) -> Statement:
    """``campaign_held``'s query, for a caller that runs it with other statements: a row when
    a hold stops pledges to the campaign now."""
    return Statement(_HELD.format(table=CampaignHold._meta.db_table), [campaign_id])


def campaign_gone(*, campaign_id: int) -> bool:
    """Whether the campaign is deleted, as its last ``CAMPAIGN_CHANGED`` or its release said."""
    return CampaignFacts.objects.filter(campaign_id=campaign_id, status=CAMPAIGN_DELETED).exists()
