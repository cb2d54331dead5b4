"""The payments admin (SPEC §3): payments, records, provider events; read-only; one action."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from careforall_common.contracts.statuses import PaymentStatus
from payments.models import IdempotencyRecord, Payment
from payments.tests.factories import (
    payment,
    payment_before_a_crash,
    payment_post,
    webhook_post,
)

pytestmark = pytest.mark.django_db

PAYMENTS = "/admin/payments/payments/payment/"
RECORDS = "/admin/payments/payments/idempotencyrecord/"
EVENTS = "/admin/payments/provider_events/providerevent/"


@pytest.fixture
def admin_client(client: Any) -> Any:
    # A local superuser stands in for the shadow user a platform sign-in makes.
    user = get_user_model().objects.create_superuser("staff@example.org", "staff@example.org")
    client.force_login(user)
    return client


@pytest.fixture
def authorized(donor_client: Any, donor_pledge: int, client: Any, sandbox: Any) -> Payment:
    payment_post(donor_client, {"pledge_id": 41, "payment_method": "pm_card_visa"})
    made = payment()
    webhook_post(
        client, sandbox.event(made.provider_payment_id, "payment_intent.amount_capturable_updated")
    )
    return made


def test_payments_records_and_provider_events_are_listed(
    admin_client: Any, authorized: Payment
) -> None:
    listing = admin_client.get(PAYMENTS, {"q": authorized.provider_payment_id})
    detail = admin_client.get(f"{PAYMENTS}{authorized.pk}/change/")
    records = admin_client.get(RECORDS)
    provider_events = admin_client.get(EVENTS, {"result__exact": "no_change"})

    assert [p.pk for p in listing.context["cl"].result_list] == [authorized.pk]
    assert detail.status_code == 200
    assert 'name="status"' not in detail.content.decode()
    assert len(records.context["cl"].result_list) == 1
    assert len(provider_events.context["cl"].result_list) == 1
    assert admin_client.get("/admin/payments/outbox/outboxevent/").status_code == 200


def test_nothing_is_added_changed_or_deleted(admin_client: Any, authorized: Payment) -> None:
    edit = admin_client.post(f"{PAYMENTS}{authorized.pk}/change/", {"status": "CAPTURED"})

    assert edit.status_code == 403
    assert admin_client.get(f"{PAYMENTS}add/").status_code == 403
    assert admin_client.get(f"{EVENTS}add/").status_code == 403
    delete = admin_client.post(f"{PAYMENTS}{authorized.pk}/delete/", {"post": "yes"})
    assert delete.status_code == 403
    assert payment().status == PaymentStatus.AUTHORIZED


def test_the_action_makes_unsettled_payments_due_now(admin_client: Any) -> None:
    made = payment_before_a_crash()
    before = timezone.now()

    response = admin_client.post(
        PAYMENTS, {"action": "reconcile_now", "_selected_action": [made.pk]}
    )

    assert response.status_code == 302
    assert payment().reconcile_after <= timezone.now()
    assert payment().reconcile_after >= before


def test_anonymous_is_sent_to_the_login_page(client: Any) -> None:
    response = client.get(PAYMENTS)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/payments/login/")


def test_a_record_s_client_secret_is_not_shown(
    admin_client: Any, donor_client: Any, donor_pledge: int
) -> None:
    body = payment_post(donor_client, {"pledge_id": 41}).json()
    record = IdempotencyRecord.objects.get()

    page = admin_client.get(f"{RECORDS}{record.pk}/change/")

    assert page.status_code == 200
    assert body["client_secret"] not in page.content.decode()
    assert "(hidden)" in page.content.decode()
    assert body["provider_payment_id"] in page.content.decode()


def _payment(pledge_id: int, **fields: Any) -> Payment:
    values: dict[str, Any] = {
        "pledge_id": pledge_id,
        "campaign_id": 3,
        "user_id": 8,
        "amount": 2_500,
        "currency": "usd",
        "status": PaymentStatus.CAPTURED,
        "provider_payment_id": f"pi_{pledge_id}",
        "reconcile_after": timezone.now(),
        **fields,
    }
    return Payment.objects.create(**values)


def test_a_payment_shows_its_money_and_links_to_the_other_admins(admin_client: Any) -> None:
    made = _payment(41, amount=5_000_000)
    guest = _payment(42, user_id=None, amount=5_000, currency="jpy")

    listing = admin_client.get(PAYMENTS).content.decode()
    page = admin_client.get(f"{PAYMENTS}{made.pk}/change/").content.decode()
    by_pledge = admin_client.get(PAYMENTS, {"pledge_id": 42})
    by_provider_id = admin_client.get(PAYMENTS, {"q": "pi_41"})

    assert ">$50,000.00<" in listing
    assert ">¥5,000<" in listing
    assert '<a href="/admin/pledges/pledges/pledge/41/change/">#41</a>' in page
    assert '<a href="/admin/campaigns/campaign/3/change/">#3</a>' in page
    assert '<a href="/admin/users/accounts/user/8/change/">#8</a>' in page
    assert [p.pk for p in by_pledge.context["cl"].result_list] == [guest.pk]
    assert [p.pk for p in by_provider_id.context["cl"].result_list] == [made.pk]


def _export(admin_client: Any, **filters: Any) -> list[list[str]]:
    response = admin_client.get(f"{PAYMENTS}export.csv", filters)
    assert response.status_code == 200
    assert response.streaming
    text = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(text)))


def test_payments_export_as_streamed_csv_with_the_list_filters(admin_client: Any) -> None:
    captured = [_payment(n) for n in range(1, 1_203)]  # more than two chunks
    failed = _payment(2_000, status=PaymentStatus.FAILED, failure_reason="card_declined")
    Payment.objects.filter(pk=failed.pk).update(provider_payment_id=None, amount=1_234)
    Payment.objects.filter(pk=captured[-1].pk).update(refunded_amount=1_000)

    everything = _export(admin_client)
    only_failed = _export(admin_client, status__exact="FAILED")

    assert everything[0] == [
        "payment_id",
        "created_at",
        "pledge_id",
        "campaign_id",
        "amount",
        "currency",
        "status",
        "provider_payment_id",
        "failure_reason",
        "refunded_amount",
    ]
    assert len(everything) == 1 + len(captured) + 1
    assert [int(row[0]) for row in everything[1:]] == sorted(
        [p.pk for p in [*captured, failed]], reverse=True
    )
    assert only_failed[1:] == [
        [
            str(failed.pk),
            everything[1][1],
            "2000",
            "3",
            "12.34",
            "usd",
            "FAILED",
            "",
            "card_declined",
            "0.00",
        ]
    ]
    assert everything[2][4:8] == ["25.00", "usd", "CAPTURED", "pi_1202"]
    assert everything[2][9] == "10.00"
    assert "export.csv" in admin_client.get(PAYMENTS).content.decode()


def test_the_payments_export_needs_staff(client: Any) -> None:
    response = client.get(f"{PAYMENTS}export.csv")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/payments/login/")


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("/admin/payments/payments/refund/", "/admin/payments/refunds/refund/"),
        ("/admin/payments/payments/dispute/7/change/", "/admin/payments/refunds/dispute/7/change/"),
        (
            "/admin/payments/payments/providerevent/?result__exact=ignored",
            "/admin/payments/provider_events/providerevent/?result__exact=ignored",
        ),
    ],
)
def test_the_old_admin_addresses_of_moved_models_still_lead_to_them(
    admin_client: Any, old: str, new: str
) -> None:
    response = admin_client.get(old)

    assert (response.status_code, response["Location"]) == (301, new)
