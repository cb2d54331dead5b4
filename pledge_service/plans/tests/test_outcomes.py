"""Payment outcomes move the plan (docs/recurring.md "The flow", "Dunning"): once each, with
one email per step."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from notices.models import Notice
from notices.rendering import notice_message
from notices.selectors import notice_get_for_send
from plans.models import Installment, RecurringPlan
from plans.periods import period_start
from plans.services.schedule import plans_charge_due
from plans.tests.conftest import FakePaymentService
from plans.tests.factories import (
    GUEST_PLAN_BODY,
    PLAN_BODY,
    active_plan,
    first_pledge,
    outbox,
    payment_outcome,
    plan_post,
)
from pledges.models import Pledge
from pledges.tests.factories import campaign_changed, envelope, post_events

pytestmark = pytest.mark.django_db

ANCHOR = datetime(2030, 1, 31, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _setup(active_campaign: int, payment_service: FakePaymentService) -> None:
    pass


def kinds() -> list[tuple[str, str]]:
    return list(Notice.objects.order_by("id").values_list("kind", "key"))


def charge_next(plan: RecurringPlan) -> Pledge:
    """Make the plan's next installment now; return its pledge."""
    RecurringPlan.objects.filter(pk=plan.pk).update(next_charge_at=timezone.now())
    plans_charge_due(drain_seconds=5)
    installment = plan.installments.exclude(pledge=None).latest("id")
    assert installment.pledge is not None
    return installment.pledge


def test_the_first_capture_starts_the_plan_once(client: Any, donor_client: Any) -> None:
    plan = active_plan(client, donor_client, anchor=ANCHOR)

    assert (plan.status, plan.anchor_at, plan.installments_charged) == ("active", ANCHOR, 1)
    assert plan.next_charge_at == datetime(2030, 2, 28, 10, 0, tzinfo=UTC)
    assert (plan.card_brand, plan.card_last4) == ("visa", "4242")
    assert [e.payload["status"] for e in outbox("PLAN_CHANGED")] == ["incomplete", "active"]
    pledge = first_pledge(plan)
    assert kinds() == [("receipt", str(1000 + pledge.pk)), ("plan_created", str(plan.pk))]
    # Another capture report of the same installment changes nothing.
    payment_outcome(client, "PAYMENT_CAPTURED", pledge)
    plan.refresh_from_db()
    assert plan.installments_charged == 1
    assert len(kinds()) == 2


def test_a_first_charge_that_fails_cancels_the_plan(client: Any, donor_client: Any) -> None:
    plan_post(donor_client, PLAN_BODY)
    plan = RecurringPlan.objects.get()

    payment_outcome(client, "PAYMENT_FAILED", first_pledge(plan))

    plan.refresh_from_db()
    assert (plan.status, plan.cancel_reason, plan.next_charge_at) == (
        "canceled",
        "payment_failed",
        None,
    )


def test_dunning_retries_then_a_capture_returns_the_plan_to_active(
    client: Any, donor_client: Any
) -> None:
    plan = active_plan(client, donor_client, anchor=ANCHOR)
    declined = charge_next(plan)
    declined_at = timezone.now()

    payment_outcome(client, "PAYMENT_FAILED", declined, occurred_at=declined_at)

    plan.refresh_from_db()
    assert (plan.status, plan.failed_attempts) == ("past_due", 1)
    assert (plan.next_period, plan.next_attempt) == (1, 2)
    assert plan.next_charge_at == declined_at + timedelta(days=1)
    assert kinds()[-1] == ("plan_past_due", str(declined.pk))
    retry = charge_next(plan)
    assert Installment.objects.get(pledge=retry).attempt == 2
    payment_outcome(client, "PAYMENT_CAPTURED", retry)
    plan.refresh_from_db()
    assert (plan.status, plan.failed_attempts, plan.installments_charged) == ("active", 0, 2)
    assert (plan.next_period, plan.next_attempt) == (2, 1)
    assert [e.payload["status"] for e in outbox("PLAN_CHANGED")][-2:] == ["past_due", "active"]


def test_the_retries_follow_the_first_decline_and_the_last_failure_cancels(
    client: Any, donor_client: Any
) -> None:
    plan = active_plan(client, donor_client, anchor=ANCHOR)
    first_decline = timezone.now()
    retries = []
    for _attempt in range(1, 5):
        pledge = charge_next(plan)
        payment_outcome(client, "PAYMENT_FAILED", pledge, occurred_at=first_decline)
        plan.refresh_from_db()
        retries.append(plan.next_charge_at)

    assert retries[:3] == [first_decline + timedelta(days=d) for d in (1, 3, 7)]
    assert (plan.status, plan.cancel_reason, plan.failed_attempts) == (
        "canceled",
        "payment_failed",
        4,
    )
    assert [kind for kind, _ in kinds()].count("plan_past_due") == 3
    assert kinds()[-1] == ("plan_canceled", str(plan.pk))
    assert list(plan.installments.values_list("period", "attempt", "status")) == [
        (0, 1, "captured"), (1, 1, "failed"), (1, 2, "failed"), (1, 3, "failed"),
        (1, 4, "failed"),
    ]  # fmt: skip


def test_a_repeated_decline_report_sends_one_email(client: Any, donor_client: Any) -> None:
    plan = active_plan(client, donor_client, anchor=ANCHOR)
    declined = charge_next(plan)

    payment_outcome(client, "PAYMENT_FAILED", declined)
    payment_outcome(client, "PAYMENT_FAILED", declined)

    plan.refresh_from_db()
    assert plan.failed_attempts == 1
    assert [kind for kind, _ in kinds()].count("plan_past_due") == 1


def test_authentication_required_emails_the_3ds_link_of_that_installment(
    client: Any, guest_client: Any, campaigns: Any
) -> None:
    plan = active_plan(client, guest_client, anchor=ANCHOR, body=GUEST_PLAN_BODY)
    declined = charge_next(plan)

    payment_outcome(client, "PAYMENT_FAILED", declined, error="authentication_required")

    notice = Notice.objects.get(kind="plan_authentication_required")
    message = notice_message(notice_get_for_send(notice_id=notice.pk))
    text = str(message.body)
    link = f"http://localhost:8080/#/recurring/{plan.pk}/installments/{declined.pk}/authenticate"
    assert f"{link}?manage_token=" in text
    assert "&receipt_token=" in text
    assert message.to == ["Nusrat@Example.org"]


def test_a_capture_of_the_old_card_after_a_card_change_leaves_the_new_card(
    client: Any, donor_client: Any
) -> None:
    plan = active_plan(client, donor_client, anchor=ANCHOR)
    pledge = charge_next(plan)  # charged with the visa 4242 ...
    changed = envelope(  # ... the donor changes the card before the capture's event arrives
        "PLAN_CARD_CHANGED",
        {"plan_id": plan.pk, "card_brand": "amex", "card_last4": "0005"},
        aggregate_id=plan.pk,
        source="payment",
    )
    post_events(client, [changed])

    payment_outcome(client, "PAYMENT_CAPTURED", pledge)

    plan.refresh_from_db()
    assert plan.installments_charged == 2
    assert (plan.card_brand, plan.card_last4) == ("amex", "0005")


def test_a_card_changed_event_sets_the_card_and_retries_a_past_due_plan_now(
    client: Any, donor_client: Any
) -> None:
    plan = active_plan(client, donor_client, anchor=ANCHOR)
    payment_outcome(client, "PAYMENT_FAILED", charge_next(plan))
    event = envelope(
        "PLAN_CARD_CHANGED",
        {"plan_id": plan.pk, "card_brand": "amex", "card_last4": "0005"},
        aggregate_id=plan.pk,
        source="payment",
    )

    assert post_events(client, [event])[event["event_id"]] == "processed"

    plan.refresh_from_db()
    assert (plan.card_brand, plan.card_last4) == ("amex", "0005")
    assert plan.next_charge_at is not None
    assert plan.next_charge_at <= timezone.now()


def test_a_closed_campaign_cancels_its_plans_and_tells_each_donor_once(
    client: Any, donor_client: Any, other_donor_client: Any
) -> None:
    plans = [active_plan(client, donor_client), active_plan(client, other_donor_client)]

    campaign_changed(client, campaign_id=7, status="closed")
    campaign_changed(client, campaign_id=7, status="closed")

    for plan in plans:
        plan.refresh_from_db()
        assert (plan.status, plan.cancel_reason) == ("canceled", "campaign_closed")
    assert [key for kind, key in kinds() if kind == "plan_canceled"] == [
        str(plan.pk) for plan in plans
    ]


def test_the_first_charge_anchors_calendar_months(client: Any, donor_client: Any) -> None:
    plan = active_plan(client, donor_client, anchor=ANCHOR)

    assert plan.next_charge_at == period_start(anchor=ANCHOR, interval="month", period=1)
