"""Campaign facts for the pledge path: a local copy kept by events, asked for on a miss (SPEC §4).

Reading order, cheapest first (docs/pledges.md has the reasoning):

1. this process's memory, for ``CAMPAIGN_FACTS_CACHE_SECONDS`` (no query on the hot path): facts
   that were reliable, fresh from campaign_service, or the best available while it is down;
2. the ``CampaignFacts`` table, kept by ``CAMPAIGN_CHANGED`` events;
3. campaign_service itself (a signed GET with a short timeout, ``pledges.clients.campaigns``),
   when the copy is missing, says ``draft`` (it may have been activated a moment ago), or says
   ``active`` but is older than ``CAMPAIGN_FACTS_MAX_AGE``. The answer is stored for everyone.

``closed`` is final (SPEC §3), and so is ``deleted`` (the status of a deleted campaign's last
event, or what a 404 for a campaign known here means): a copy saying either is never asked about
again.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, OperationalError, connection, transaction
from django.utils import timezone

from careforall_common.contracts.statuses import CAMPAIGN_DELETED, CAMPAIGN_FINAL, CampaignStatus
from careforall_common.db_errors import error_code, is_contention
from careforall_common.problems import Problem
from pledges.clients.campaigns import CampaignServiceUnavailable, campaign_facts_read
from pledges.models import CampaignFacts

logger = logging.getLogger(__name__)

_CACHE_LIMIT = 10_000

# campaign id → (monotonic expiry, facts). Plain dict operations are atomic under the GIL, which
# is all the gthread workers need; the worst race re-reads the table once.
_cache: dict[int, tuple[float, CampaignFacts]] = {}


def campaign_facts_get(*, campaign_id: int) -> CampaignFacts | None:
    """Return the facts a pledge may rely on, or None when campaign_service knows no such campaign.

    The facts of a deleted campaign say ``deleted``.
    Raises a 503 ``Problem`` when nothing is known locally and campaign_service cannot answer.
    Called outside any transaction: it may make an HTTP call.
    """
    cached = _cache.get(campaign_id)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    facts = CampaignFacts.objects.filter(campaign_id=campaign_id).first()
    if facts is not None and _reliable(facts):
        _remember(facts)
        return facts
    asked_at = timezone.now()
    try:
        answer = campaign_facts_read(campaign_id=campaign_id)
    except CampaignServiceUnavailable:
        if facts is None:
            raise Problem(503, "Campaign details are unavailable; try again shortly.") from None
        # Degraded: a copy that may lag beats refusing every pledge; remembered briefly, so a
        # campaign_service that is down is asked once per process per cache period, not per
        # pledge.
        _remember(facts)
        return facts
    if answer is None:
        # Known here, unknown there: deleted since (ids are never reused).
        CampaignFacts.objects.filter(campaign_id=campaign_id, refreshed_at__lt=asked_at).update(
            status=CAMPAIGN_DELETED, refreshed_at=asked_at
        )
        _cache.pop(campaign_id, None)
        return None
    try:
        campaign_facts_apply(
            campaign_id=campaign_id,
            status=answer.status,
            currency=answer.currency,
            refreshed_at=asked_at,
        )
    except OperationalError as error:
        # A burst of first pledges to a new campaign: each stores the same answer, and
        # concurrent inserts of one unique key can deadlock. The copy is a cache and the answer
        # is in hand: use it; another request (or the next miss) stores it.
        if connection.in_atomic_block or not is_contention(error):
            raise
        logger.info("campaign %s: facts not stored this time (%s)", campaign_id, error_code(error))
    fresh = CampaignFacts(
        campaign_id=campaign_id,
        status=answer.status,
        currency=answer.currency,
        refreshed_at=asked_at,
    )
    _remember(fresh)
    return fresh


def campaign_facts_apply(
    *, campaign_id: int, status: str, currency: str, refreshed_at: datetime
) -> bool:
    """Store these facts unless newer ones are stored; return whether they were stored.

    A conditional update first, since the row usually exists; then an insert, whose unique
    ``campaign_id`` turns a concurrent insert or a newer row into an ``IntegrityError``, answered
    by the same conditional update. The newest report wins whatever the order of arrival.
    """
    values = {"status": status, "currency": currency, "refreshed_at": refreshed_at}
    older = CampaignFacts.objects.filter(campaign_id=campaign_id, refreshed_at__lt=refreshed_at)
    if older.update(**values):
        stored = True
    else:
        try:
            with transaction.atomic():
                CampaignFacts.objects.create(campaign_id=campaign_id, **values)
            stored = True
        except IntegrityError:
            stored = bool(older.update(**values))
    transaction.on_commit(lambda: _cache.pop(campaign_id, None))
    return stored


def campaign_facts_cache_clear() -> None:
    _cache.clear()


def _reliable(facts: CampaignFacts) -> bool:
    """Whether the copy may be used without asking campaign_service."""
    if facts.status in CAMPAIGN_FINAL:
        return True
    if facts.status != CampaignStatus.ACTIVE:
        return False
    max_age = timedelta(seconds=settings.CAMPAIGN_FACTS_MAX_AGE)
    return timezone.now() - facts.refreshed_at <= max_age


def _remember(facts: CampaignFacts) -> None:
    if len(_cache) >= _CACHE_LIMIT:
        _cache.clear()
    expiry = time.monotonic() + settings.CAMPAIGN_FACTS_CACHE_SECONDS
    _cache[facts.campaign_id] = (expiry, facts)
