"""Event handlers, named in ``CAREFORALL["EVENT_HANDLERS"]`` (SPEC §4).

Each runs inside the inbox's transaction, which records the event id: a redelivery is dropped
before it gets here. ``RejectEvent``, ``KeyError``, ``TypeError`` and ``ValueError`` park an event
that can never apply (the relay does not retry it); anything else is retried.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from careforall_common.inbox.handlers import RejectEvent
from pledges.campaign_facts import CURRENCY, DELETED, STATUSES, campaign_facts_apply
from pledges.models import Pledge, PledgeStatus
from pledges.services import pledge_advance


def payment_authorized(event: dict[str, Any]) -> None:
    _payment_reported(event, PledgeStatus.AUTHORIZED)


def payment_captured(event: dict[str, Any]) -> None:
    _payment_reported(event, PledgeStatus.CAPTURED)


def payment_failed(event: dict[str, Any]) -> None:
    _payment_reported(event, PledgeStatus.FAILED)


def campaign_changed(event: dict[str, Any]) -> None:
    """Keep the local copy of a campaign's facts; the newest ``occurred_at`` wins.

    A deleted campaign's last event says ``deleted``; that is kept too, so that no older report
    can bring the campaign back.
    """
    payload = event["payload"]
    status, currency = payload["status"], payload["currency"]
    if (
        status not in {*STATUSES, DELETED}
        or not isinstance(currency, str)
        or not CURRENCY.fullmatch(currency)
    ):
        raise RejectEvent(f"not campaign facts: status {status!r}, currency {currency!r}")
    occurred_at = datetime.fromisoformat(str(event["occurred_at"]))
    if occurred_at.tzinfo is None:
        raise ValueError("occurred_at has no time zone")
    campaign_facts_apply(
        campaign_id=_positive_int(payload["campaign_id"]),
        status=status,
        currency=currency,
        refreshed_at=occurred_at,
    )


def _payment_reported(event: dict[str, Any], status: PledgeStatus) -> None:
    payload = event["payload"]
    pledge_id = _positive_int(payload["pledge_id"])
    try:
        pledge_advance(
            pledge_id=pledge_id,
            status=status,
            campaign_id=_positive_int(payload["campaign_id"]),
            amount=_positive_int(payload["amount"]),
            currency=str(payload["currency"]),
        )
    except Pledge.DoesNotExist as error:
        raise RejectEvent(f"no pledge {pledge_id}") from error


def _positive_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise TypeError(f"expected a positive integer, got {value!r}")
    return value
