"""The campaign projector: pledge and payment events into the read model (SPEC §3, §4).

The inbox calls these handlers (``CAREFORALL["EVENT_HANDLERS"]``) inside one transaction per
event, after recording its event id, so a redelivered event never reaches them twice. They are
order-independent on top of that:

- one ``PledgeProjection`` row per pledge, inserted first; an ``IntegrityError`` means the row
  exists, and it is then locked and compared;
- a pledge's amount moves between the campaign's buckets, with F-expressions, only when its
  status rank rises (``STATUS_RANK``), so a late or repeated event moves nothing;
- payment events drive ``total_payments`` and the audit trail only, never the buckets.

Every handler locks the campaign row first: one lock order for all of them and for
``reconcile --fix``, so concurrent events of a campaign queue up instead of deadlocking (an
insert of a child row takes a shared lock on the campaign row it refers to).
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from campaigns.models import (
    MAX_DONOR_NAME_LENGTH,
    MAX_GOAL_AMOUNT,
    STATUS_BUCKET,
    STATUS_RANK,
    Campaign,
    PaymentEvent,
    PaymentEventType,
    PledgeProjection,
    PledgeStatus,
)
from careforall_common.inbox.handlers import RejectEvent

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PledgeFacts:
    pledge_id: int
    campaign_id: int
    amount: int
    currency: str
    status: PledgeStatus


def pledge_created(event: dict[str, Any]) -> None:
    """Apply ``PLEDGE_CREATED``: count a new pledge, or fill in the donor of a known one."""
    payload = event["payload"]
    facts = pledge_facts(payload, status_key="status")
    donor = donor_facts(payload, fallback_time=_envelope_time(event))
    _lock_campaign(facts)
    row = _insert_or_lock(facts, **donor)
    if row is None:
        return
    # A status change came first and counted the pledge: complete the row, leave the buckets.
    PledgeProjection.objects.filter(pk=row.pk).update(**donor, updated_at=timezone.now())
    _advance(row, facts.status)


def pledge_status_changed(event: dict[str, Any]) -> None:
    """Apply ``PLEDGE_STATUS_CHANGED``: move the pledge up, or count it if it is new here."""
    facts = pledge_facts(event["payload"], status_key="new_status")
    _lock_campaign(facts)
    # Before its creation event, a pledge is anonymous: its donor's choice is not known yet.
    row = _insert_or_lock(facts, anonymous=True, occurred_at=_envelope_time(event))
    if row is not None:
        _advance(row, facts.status)


def payment_event(event: dict[str, Any]) -> None:
    """Apply ``PAYMENT_AUTHORIZED``, ``PAYMENT_CAPTURED`` or ``PAYMENT_FAILED``.

    One audit row per payment and event type; a capture counts in ``total_payments`` once.
    """
    event_type = PaymentEventType(event["event_type"])
    payload = event["payload"]
    campaign_id = _integer(payload, "campaign_id")
    record = PaymentEvent(
        payment_id=_integer(payload, "payment_id"),
        event_type=event_type,
        pledge_id=_integer(payload, "pledge_id"),
        campaign_id=campaign_id,
        amount=_integer(payload, "amount", maximum=MAX_GOAL_AMOUNT),
        currency=_currency(payload),
        error=_error_text(payload.get("error")),
        occurred_at=_envelope_time(event),
        event_id=event["event_id"],
    )
    _lock_campaign_id(campaign_id)
    try:
        with transaction.atomic():
            record.save(force_insert=True)
    except IntegrityError:
        return  # on record already: a repeat of this payment's event under another event id
    if event_type == PaymentEventType.CAPTURED:
        Campaign.objects.filter(pk=campaign_id).update(total_payments=F("total_payments") + 1)


def _insert_or_lock(facts: PledgeFacts, **fields: Any) -> PledgeProjection | None:
    """Insert the pledge's row and count it in its bucket; or return the existing row, locked."""
    try:
        with transaction.atomic():
            PledgeProjection.objects.create(
                pledge_id=facts.pledge_id,
                campaign_id=facts.campaign_id,
                amount=facts.amount,
                currency=facts.currency,
                status=facts.status,
                **fields,
            )
    except IntegrityError:
        row = PledgeProjection.objects.select_for_update().filter(pk=facts.pledge_id).first()
        if row is None:
            raise
        if row.campaign_id != facts.campaign_id:
            raise RejectEvent(
                f"pledge {facts.pledge_id} belongs to campaign {row.campaign_id}, "
                f"not {facts.campaign_id}"
            ) from None
        return row
    bucket = STATUS_BUCKET[facts.status]
    Campaign.objects.filter(pk=facts.campaign_id).update(
        **{bucket: F(bucket) + facts.amount}, total_pledges=F("total_pledges") + 1
    )
    return None


def _advance(row: PledgeProjection, status: PledgeStatus) -> None:
    """Move ``row`` (locked) to ``status`` if that ranks higher, with its amount; else nothing.

    The stored amount moves, whatever a later event says, so a bucket only ever loses what it
    was given; a CHECK constraint turns any attempt to go below zero into an error.
    """
    current = PledgeStatus(row.status)
    if STATUS_RANK[status] <= STATUS_RANK[current]:
        return  # late, repeated, or the other terminal status: nothing moves (SPEC §5.3)
    old, new = STATUS_BUCKET[current], STATUS_BUCKET[status]
    Campaign.objects.filter(pk=row.campaign_id).update(
        **{old: F(old) - row.amount, new: F(new) + row.amount}
    )
    PledgeProjection.objects.filter(pk=row.pk).update(status=status, updated_at=timezone.now())


def _lock_campaign(facts: PledgeFacts) -> None:
    currency = _lock_campaign_id(facts.campaign_id)
    if currency != facts.currency:
        # pledge_service checks the currency against its copy, which can lag a currency change
        # by a moment; the pledge exists, so it counts (SPEC §5.2), and reconcile shows it.
        logger.warning(
            "pledge %s is in %s, campaign %s in %s",
            facts.pledge_id,
            facts.currency,
            facts.campaign_id,
            currency,
        )


def _lock_campaign_id(campaign_id: int) -> str:
    """Lock the campaign row, return its currency; an unknown campaign rejects the event."""
    currency = (
        Campaign.objects.select_for_update()
        .filter(pk=campaign_id)
        .values_list("currency", flat=True)
        .first()
    )
    if currency is None:
        # Never dropped in silence: the publisher parks it as a dead letter, visible and
        # replayable.
        raise RejectEvent(f"campaign {campaign_id} is unknown")
    return currency


def pledge_facts(payload: dict[str, Any], *, status_key: str) -> PledgeFacts:
    """Return the pledge facts of an event payload; ``RejectEvent`` when they are not valid."""
    status = payload.get(status_key)
    if status not in PledgeStatus.values:
        raise RejectEvent(f"{status_key} must be one of {', '.join(PledgeStatus.values)}")
    return PledgeFacts(
        pledge_id=_integer(payload, "pledge_id"),
        campaign_id=_integer(payload, "campaign_id"),
        amount=_integer(payload, "amount", maximum=MAX_GOAL_AMOUNT),
        currency=_currency(payload),
        status=PledgeStatus(status),
    )


def donor_facts(payload: dict[str, Any], *, fallback_time: datetime | None) -> dict[str, Any]:
    """Return the donor fields of a pledge: ``donor_name``, ``anonymous``, ``occurred_at``.

    ``occurred_at`` is the pledge's ``created_at``, else ``fallback_time``.
    """
    occurred_at = _timestamp(payload.get("created_at")) or fallback_time
    if occurred_at is None:
        raise RejectEvent("created_at must be an ISO-8601 timestamp")
    return {
        "donor_name": _string(payload, "donor_name", max_length=MAX_DONOR_NAME_LENGTH),
        "anonymous": _boolean(payload, "anonymous"),
        "occurred_at": occurred_at,
    }


def _integer(payload: dict[str, Any], key: str, *, maximum: int | None = None) -> int:
    value = payload.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise RejectEvent(f"{key} must be a positive integer")
    if maximum is not None and value > maximum:
        raise RejectEvent(f"{key} must be at most {maximum}")
    return value


def _string(payload: dict[str, Any], key: str, *, max_length: int) -> str:
    value = payload.get(key)
    if not isinstance(value, str) or len(value) > max_length:
        raise RejectEvent(f"{key} must be a string of at most {max_length} characters")
    return value


def _currency(payload: dict[str, Any]) -> str:
    value = payload.get("currency")
    if not isinstance(value, str) or not re.fullmatch(r"[a-z]{3}", value):
        raise RejectEvent("currency must be a lowercase ISO-4217 code")
    return value


def _boolean(payload: dict[str, Any], key: str) -> bool:
    value = payload.get(key)
    if not isinstance(value, bool):
        raise RejectEvent(f"{key} must be true or false")
    return value


def _error_text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def _timestamp(value: Any) -> datetime | None:
    """Return ``value`` as an aware datetime, or None when it is not an ISO-8601 timestamp."""
    try:
        parsed = parse_datetime(value) if isinstance(value, str) else None
    except ValueError:  # well formed, but not a date (a 13th month)
        return None
    if parsed is not None and timezone.is_naive(parsed):
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def _envelope_time(event: dict[str, Any]) -> datetime:
    return _timestamp(event.get("occurred_at")) or timezone.now()
