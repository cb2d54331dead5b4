"""The database refuses impossible campaigns (MariaDB enforces CHECK constraints)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.db.models import F

from campaigns.models import Campaign
from campaigns.tests.factories import campaign_make

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "change",
    [
        {"pending_amount": F("pending_amount") - 1},
        {"captured_amount": -1},
        {"total_pledges": -1},
        {"goal_amount": 0},
        {"goal_amount": 100_000_001},
        {"status": "archived"},
        {"currency": "USD"},
        {"currency": "u1d"},
    ],
)
def test_check_constraints(change: dict[str, Any]) -> None:
    campaign = campaign_make()

    with pytest.raises(IntegrityError), transaction.atomic():
        Campaign.objects.filter(pk=campaign.pk).update(**change)

    assert Campaign.objects.filter(pk=campaign.pk, status="active", currency="usd").exists()


def test_current_amount_is_the_captured_amount() -> None:
    campaign = campaign_make(captured_amount=1_234, authorized_amount=99)

    assert campaign.current_amount == 1_234
