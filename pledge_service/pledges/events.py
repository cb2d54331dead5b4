"""What pledges publish (SPEC §4): the one place ``PLEDGE_CREATED`` and ``PLEDGE_STATUS_CHANGED``
are built. Both go to campaign_service, aggregate ``pledge`` (in order per pledge); the donor's
email is never in them.
"""

from __future__ import annotations

from typing import Any

from careforall_common.contracts.events import PledgeCreated, PledgeStatusChanged
from pledges.models import Pledge


def pledge_created_event(pledge: Pledge) -> PledgeCreated:
    """``PLEDGE_CREATED`` of ``pledge`` as it is now; also what reconciliation reads."""
    return PledgeCreated(
        pledge_id=pledge.pk,
        campaign_id=pledge.campaign_id,
        user_id=pledge.user_id,
        donor_name=pledge.donor_name,
        anonymous=pledge.anonymous,
        amount=pledge.amount,
        currency=pledge.currency,
        status=pledge.status,
        created_at=pledge.created_at,
    )


def pledge_created_payload(pledge: Pledge) -> dict[str, Any]:
    return pledge_created_event(pledge).to_payload()


def pledge_status_changed_event(pledge: Pledge, *, previous_status: str) -> PledgeStatusChanged:
    """``PLEDGE_STATUS_CHANGED`` of ``pledge``, just moved from ``previous_status``."""
    return PledgeStatusChanged(
        pledge_id=pledge.pk,
        campaign_id=pledge.campaign_id,
        previous_status=previous_status,
        new_status=str(pledge.status),
        amount=pledge.amount,
        currency=pledge.currency,
    )
