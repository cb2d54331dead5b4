"""GET /internal/plans (signed): campaign_service's reconciliation reads the plans of a campaign,
each as PLAN_CHANGED states it, a page at a time (``contracts.internal.PlansPageRead``)."""

from __future__ import annotations

from typing import Any

import pytest

from careforall_common.contracts.internal import PlansPageRead
from plans.apis import internal
from plans.models import PlanStatus, RecurringPlan
from plans.tests.conftest import FakePaymentService
from plans.tests.factories import PLAN_BODY, active_plan, plan_post
from pledges.tests.factories import campaign_changed, signed_get

pytestmark = pytest.mark.django_db


@pytest.fixture
def plans(
    client: Any, donor_client: Any, active_campaign: int, payment_service: FakePaymentService
) -> list[RecurringPlan]:
    campaign_changed(client, campaign_id=8)
    made = [
        active_plan(client, donor_client),
        RecurringPlan.objects.get(
            pk=plan_post(donor_client, {**PLAN_BODY, "campaign_id": 8}, key="c8").json()["id"]
        ),
        RecurringPlan.objects.get(
            pk=plan_post(donor_client, {**PLAN_BODY, "interval": "year"}, key="y").json()["id"]
        ),
    ]
    return made


def test_the_plans_of_a_campaign_in_id_order_as_plan_changed_says(
    client: Any, plans: list[RecurringPlan]
) -> None:
    response = signed_get(client, "/internal/plans?campaign_id=7")

    assert response.status_code == 200
    page = PlansPageRead.parse(response.json())
    assert page.next_after is None
    assert [(p.plan_id, p.status, p.interval, p.amount) for p in page.results] == [
        (plans[0].pk, PlanStatus.ACTIVE, "month", 1_500),
        (plans[2].pk, PlanStatus.INCOMPLETE, "year", 1_500),
    ]
    assert response.json()["results"][0] == {
        "plan_id": plans[0].pk,
        "campaign_id": 7,
        "status": "active",
        "amount": 1_500,
        "currency": "usd",
        "interval": "month",
    }


def test_pages_follow_next_after(
    client: Any, plans: list[RecurringPlan], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(internal, "PAGE_SIZE", 1)

    first = signed_get(client, "/internal/plans?campaign_id=7").json()
    second = signed_get(client, f"/internal/plans?campaign_id=7&after={first['next_after']}").json()
    everything = signed_get(client, "/internal/plans").json()

    assert [p["plan_id"] for p in first["results"]] == [plans[0].pk]
    assert first["next_after"] == plans[0].pk
    assert ([p["plan_id"] for p in second["results"]], second["next_after"]) == (
        [plans[2].pk],
        None,
    )
    assert everything["next_after"] == plans[0].pk  # every campaign, without campaign_id


def test_it_is_signed_and_checks_its_query(client: Any, plans: list[RecurringPlan]) -> None:
    assert client.get("/internal/plans?campaign_id=7").status_code == 403
    assert signed_get(client, "/internal/plans?campaign_id=0").status_code == 400
    assert signed_get(client, "/internal/plans?after=x").status_code == 400
