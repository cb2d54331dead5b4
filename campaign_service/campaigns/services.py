"""Campaign writes (SPEC §3): one code path for the API and the admin.

Each write changes the row, writes its ``CAMPAIGN_CHANGED`` (SPEC §4) and refreshes the
gateway's cached reads (``campaigns.cache``) in one transaction, while it holds the row lock.
The admin calls these from Django's own transaction (``save_model``), so they open a nested
block there; calls to pledge_service happen before the block, and the release of a hold after
the outermost commit.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.db import connection, transaction
from django.db.models import ProtectedError
from rest_framework import serializers

from campaigns import cache
from campaigns.clients.pledges import campaign_has_pledges, campaign_hold, campaign_release
from campaigns.events import PUBLISHED_FIELDS, campaign_changed
from campaigns.models import Campaign
from careforall_common.contracts.money import DEFAULT_CURRENCY
from careforall_common.contracts.statuses import CAMPAIGN_DELETED, CampaignStatus
from careforall_common.problems import Problem

# SPEC §3: draft → active, active → closed, draft → closed; closed is final.
ALLOWED_TRANSITIONS = {
    CampaignStatus.DRAFT: {CampaignStatus.ACTIVE, CampaignStatus.CLOSED},
    CampaignStatus.ACTIVE: {CampaignStatus.CLOSED},
    CampaignStatus.CLOSED: set(),
}
STARTING_STATUSES = (CampaignStatus.DRAFT, CampaignStatus.ACTIVE)
_TOTALS_MOVE = "UPDATE {table} SET {sets} WHERE id IN ({ids})"

EDITABLE_FIELDS = ["title", "description", "goal_amount", "currency", "status"]

CURRENCY_REFUSAL = "The currency cannot change once the campaign has pledges."
DELETE_REFUSAL = "A campaign with pledges cannot be deleted."
# pledge_service lifts a hold by itself after 30 s (CAMPAIGN_HOLD_SECONDS); a change not
# committed well within that is abandoned, so that it never lands after the hold is gone.
HOLD_BUDGET_SECONDS = 10.0


def campaign_start_refusal(*, status: str) -> str | None:
    """Return why a new campaign may not start in ``status``, or None when it may."""
    return None if status in STARTING_STATUSES else f"A campaign cannot start {status}."


def campaign_change_refusal(
    *, campaign: Campaign, status: str | None = None, currency: str | None = None
) -> str | None:
    """Return why ``campaign`` may not take this status or currency, or None when it may.

    The same status or currency is always allowed (a no-op). Decided on this service's rows.
    """
    allowed = ALLOWED_TRANSITIONS[CampaignStatus(campaign.status)]
    if status is not None and status != campaign.status and status not in allowed:
        return f"A campaign cannot move from {campaign.status} to {status}."
    if currency is not None and currency != campaign.currency and campaign.total_pledges:
        return CURRENCY_REFUSAL
    return None


def campaign_change_check(
    *, campaign: Campaign, status: str | None = None, currency: str | None = None
) -> None:
    """Raise the 409 (or 503) ``campaign_update`` would answer, without writing anything.

    For a form to show before it saves: a currency change also asks pledge_service whether the
    campaign has pledges (the read model may lag). The write decides again, under a hold.
    """
    refusal = campaign_change_refusal(campaign=campaign, status=status, currency=currency)
    changes_currency = currency is not None and currency != campaign.currency
    if refusal is None and changes_currency and campaign_has_pledges(campaign_id=campaign.pk):
        refusal = CURRENCY_REFUSAL
    if refusal is not None:
        raise Problem(409, refusal, campaign_id=campaign.pk)


@dataclass
class Hold:
    """A campaign held in pledge_service while a change commits here."""

    campaign_id: int
    deadline: float

    def release_after_commit(self, *, status: str, currency: str) -> None:
        """Inside the change's transaction: release with these facts once it commits.

        When the transaction rolls back, nothing is released: pledge_service lifts the hold
        by itself and keeps the facts it had, which are still true.
        """
        if time.monotonic() > self.deadline:
            raise Problem(503, "Pledges were held too long; try again.")
        release = partial(
            campaign_release, campaign_id=self.campaign_id, status=status, currency=currency
        )
        transaction.on_commit(release, robust=True)


@contextmanager
def campaign_held(*, campaign_id: int, refusal: str) -> Iterator[Hold]:
    """Hold the campaign in pledge_service for the block: 409 ``refusal`` when it has pledges.

    The block commits its change with ``Hold.release_after_commit``; when it raises, nothing
    was committed and the hold is released at once with the facts as they are.
    """
    campaign_hold(campaign_id=campaign_id, refusal=refusal)
    try:
        yield Hold(campaign_id=campaign_id, deadline=time.monotonic() + HOLD_BUDGET_SECONDS)
    except BaseException:
        facts = Campaign.objects.filter(pk=campaign_id).values_list("status", "currency").first()
        if facts is not None:
            campaign_release(campaign_id=campaign_id, status=facts[0], currency=facts[1])
        raise


def _locked(campaign_id: int) -> Campaign:
    campaign = Campaign.objects.select_for_update().filter(pk=campaign_id).first()
    if campaign is None:
        raise Problem(404, "No campaign with this id.")
    return campaign


@transaction.atomic
def campaign_create(
    *,
    title: str,
    description: str,
    goal_amount: int,
    currency: str = DEFAULT_CURRENCY,
    status: str = CampaignStatus.DRAFT,
) -> Campaign:
    """Create a campaign, a draft unless told ``active`` (SPEC §3)."""
    refusal = campaign_start_refusal(status=status)
    if refusal is not None:
        raise serializers.ValidationError({"status": [refusal]})
    campaign = Campaign.objects.create(
        title=title,
        description=description,
        goal_amount=goal_amount,
        currency=currency,
        status=status,
    )
    campaign_changed(campaign=campaign)
    cache.campaigns_changed([campaign.pk])
    return campaign


def campaign_update(
    *,
    campaign_id: int,
    title: str | None = None,
    description: str | None = None,
    goal_amount: int | None = None,
    currency: str | None = None,
    status: str | None = None,
) -> Campaign:
    """Change the given fields; 404 if none, 409 on a refused status move or currency change.

    A currency change is decided on pledge_service's pledges (SPEC §3): the campaign is held
    there (no pledge is made meanwhile) while the change commits.
    """
    changes = {
        "title": title,
        "description": description,
        "goal_amount": goal_amount,
        "currency": currency,
        "status": status,
    }
    current = Campaign.objects.filter(pk=campaign_id).values_list("currency", flat=True).first()
    if currency is None or current is None or currency == current:
        return _campaign_update(campaign_id=campaign_id, changes=changes, hold=None)
    with campaign_held(campaign_id=campaign_id, refusal=CURRENCY_REFUSAL) as hold:
        return _campaign_update(campaign_id=campaign_id, changes=changes, hold=hold)


@transaction.atomic
def _campaign_update(*, campaign_id: int, changes: dict[str, Any], hold: Hold | None) -> Campaign:
    """The row lock orders this against concurrent edits, deletes and the projector; the
    read-model fields are never written here (the projector moves them with F-expressions).
    """
    campaign = _locked(campaign_id)
    refusal = campaign_change_refusal(
        campaign=campaign, status=changes["status"], currency=changes["currency"]
    )
    if refusal is not None:
        raise Problem(409, refusal, campaign_id=campaign.pk)
    changed = [
        field
        for field, value in changes.items()
        if value is not None and value != getattr(campaign, field)
    ]
    if changed:
        for field in changed:
            setattr(campaign, field, changes[field])
        campaign.save(update_fields=[*changed, "updated_at"])
        cache.campaigns_changed([campaign.pk])
    if any(field in PUBLISHED_FIELDS for field in changed):
        campaign_changed(campaign=campaign)
    if hold is not None:
        hold.release_after_commit(status=campaign.status, currency=campaign.currency)
    return campaign


def campaign_delete(*, campaign_id: int) -> None:
    """Delete a campaign that never took a pledge; 404 if none, 409 otherwise (SPEC §3).

    Decided on pledge_service's pledges, never on the read model, which may lag: the campaign
    is held there (refused when it has pledges; no pledge is made meanwhile) while the deletion
    commits, and stays held for good.
    """
    campaign = Campaign.objects.filter(pk=campaign_id).first()
    if campaign is None:
        raise Problem(404, "No campaign with this id.")
    if campaign.total_pledges:  # the read model never counts a pledge that does not exist
        raise Problem(409, DELETE_REFUSAL, campaign_id=campaign_id)
    with campaign_held(campaign_id=campaign_id, refusal=DELETE_REFUSAL) as hold:
        _campaign_delete(campaign_id=campaign_id, hold=hold)


@transaction.atomic
def _campaign_delete(*, campaign_id: int, hold: Hold) -> None:
    """Delete the held campaign.

    Its projected pledges and payment events protect it too: a payment event can arrive before
    the pledge it pays for.
    """
    campaign = _locked(campaign_id)
    refusal = Problem(409, DELETE_REFUSAL, campaign_id=campaign.pk)
    if campaign.total_pledges:
        raise refusal
    campaign_changed(campaign=campaign, deleted=True)
    try:
        campaign.delete()
    except ProtectedError:
        raise refusal from None
    cache.campaign_deleted(campaign_id)
    hold.release_after_commit(status=CAMPAIGN_DELETED, currency=campaign.currency)


def campaign_totals_move(*, deltas: dict[int, dict[str, int]]) -> None:
    """Add ``deltas`` (campaign id → read-model field → amount) to the campaigns' totals.

    The projector's write, inside its transaction and holding the campaigns' row locks: one
    statement for every campaign, each column moved by its amount in the database
    (``column = column + …``, never a value read here). Plain SQL: the ORM's ``Case``/``When``
    expressions cost more CPU to build than the rest of a batch (docs/benchmarks.md).
    """
    moves = {
        campaign_id: {column: amount for column, amount in totals.items() if amount}
        for campaign_id, totals in deltas.items()
    }
    touched = sorted(campaign_id for campaign_id, totals in moves.items() if totals)
    if not touched:
        return
    names = sorted({column for totals in moves.values() for column in totals})
    unknown = set(names) - {field.column for field in Campaign._meta.concrete_fields}
    if unknown:  # column names go into the statement's text: only the campaign's own
        raise ValueError(f"not a campaign column: {sorted(unknown)}")
    sets, params = [], []
    for column in names:
        moved = [pk for pk in touched if column in moves[pk]]
        if len(touched) == 1:
            sets.append(f"{column} = {column} + %s")
            params.append(moves[moved[0]][column])
            continue
        whens = " ".join("WHEN %s THEN %s" for _ in moved)
        sets.append(f"{column} = {column} + CASE id {whens} ELSE 0 END")
        params += [value for pk in moved for value in (pk, moves[pk][column])]
    marks = ",".join(["%s"] * len(touched))
    with connection.cursor() as cursor:
        table = Campaign._meta.db_table
        cursor.execute(
            _TOTALS_MOVE.format(table=table, sets=", ".join(sets), ids=marks), params + touched
        )
    cache.campaigns_changed(touched)


def campaign_totals_set(*, campaign_id: int, totals: dict[str, int]) -> None:
    """Set the campaign's read-model fields (a reconciliation repair, holding its row lock)."""
    Campaign.objects.filter(pk=campaign_id).update(**totals)
    cache.campaigns_changed([campaign_id])
