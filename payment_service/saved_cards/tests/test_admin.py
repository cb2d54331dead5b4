"""Plans' saved cards in the admin: read-only, linked to the plan in pledge_service's admin."""

from __future__ import annotations

from typing import Any

import pytest

from saved_cards.models import PlanCard

pytestmark = pytest.mark.django_db


def test_staff_see_plan_cards_read_only_with_a_link_to_the_plan(admin_client: Any) -> None:
    card = PlanCard.objects.create(
        plan_id=4, customer="cus_A1", payment_method="pm_B2", card_brand="visa", card_last4="4242"
    )

    listing = admin_client.get("/admin/payments/saved_cards/plancard/")
    page = admin_client.get(f"/admin/payments/saved_cards/plancard/{card.pk}/change/")
    add = admin_client.get("/admin/payments/saved_cards/plancard/add/")

    assert listing.status_code == 200
    html = listing.content.decode()
    assert '<a href="/admin/pledges/plans/recurringplan/4/change/">#4</a>' in html
    assert "cus_A1" in html
    assert "pm_B2" in html
    assert page.status_code == 200
    assert b'name="customer"' not in page.content  # shown, never editable
    assert add.status_code == 403
