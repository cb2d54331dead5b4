"""The pledges admin (SPEC §3): list, search and filter; nothing edited, added or deleted."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model

from careforall_common.money import money_format
from pledges.models import IdempotencyRecord, Pledge
from pledges.tests.factories import GUEST_BODY, SIGNED_IN_BODY, pledge_post

pytestmark = pytest.mark.django_db

PLEDGES = "/admin/pledges/pledges/pledge/"
RECORDS = "/admin/pledges/pledges/idempotencyrecord/"
FACTS = "/admin/pledges/pledges/campaignfacts/"


@pytest.fixture
def admin_client(client: Any) -> Any:
    # A local superuser stands in for the shadow user a platform sign-in makes.
    user = get_user_model().objects.create_superuser("staff@example.org", "staff@example.org")
    client.force_login(user)
    return client


@pytest.fixture
def two_pledges(donor_client: Any, guest_client: Any, active_campaign: int) -> list[Pledge]:
    pledge_post(donor_client, SIGNED_IN_BODY)
    pledge_post(guest_client, GUEST_BODY)
    return list(Pledge.objects.order_by("id"))


def test_changelist_loads_searches_and_filters(
    admin_client: Any, two_pledges: list[Pledge]
) -> None:
    donor, guest = two_pledges
    Pledge.objects.filter(pk=guest.pk).update(status="CAPTURED")

    listing = admin_client.get(PLEDGES)
    searched = admin_client.get(PLEDGES, {"q": "rahim@example.org"})
    filtered = admin_client.get(PLEDGES, {"status__exact": "PENDING"})

    assert listing.status_code == 200
    assert [p.pk for p in listing.context["cl"].result_list] == [guest.pk, donor.pk]
    assert [p.pk for p in searched.context["cl"].result_list] == [guest.pk]
    assert [p.pk for p in filtered.context["cl"].result_list] == [donor.pk]


def test_a_pledge_is_shown_read_only_without_its_receipt_nonce(
    admin_client: Any, two_pledges: list[Pledge]
) -> None:
    guest = two_pledges[1]

    page = admin_client.get(f"{PLEDGES}{guest.pk}/change/")
    edit = admin_client.post(f"{PLEDGES}{guest.pk}/change/", {"amount": 1, "status": "CAPTURED"})

    assert page.status_code == 200
    content = page.content.decode()
    assert 'name="amount"' not in content
    assert 'name="status"' not in content
    assert guest.receipt_nonce is not None
    assert guest.receipt_nonce not in content
    assert edit.status_code == 403
    guest.refresh_from_db()
    assert (guest.amount, guest.status) == (2_500, "PENDING")


def test_nothing_is_added_or_deleted(admin_client: Any, two_pledges: list[Pledge]) -> None:
    pledge = two_pledges[0]

    assert admin_client.get(f"{PLEDGES}add/").status_code == 403
    assert admin_client.post(f"{PLEDGES}{pledge.pk}/delete/", {"post": "yes"}).status_code == 403
    assert admin_client.get(f"{RECORDS}add/").status_code == 403
    assert Pledge.objects.count() == 2


def test_idempotency_records_and_campaign_facts_are_listed(
    admin_client: Any, two_pledges: list[Pledge]
) -> None:
    records = admin_client.get(RECORDS, {"q": "key-1"})
    record = IdempotencyRecord.objects.first()
    assert record is not None
    detail = admin_client.get(f"{RECORDS}{record.pk}/change/")
    facts = admin_client.get(FACTS)

    assert records.status_code == 200
    assert len(records.context["cl"].result_list) == 2
    assert detail.status_code == 200
    assert facts.status_code == 200
    assert [f.campaign_id for f in facts.context["cl"].result_list] == [7]


def test_the_outbox_and_inbox_admins_are_there(admin_client: Any) -> None:
    assert admin_client.get("/admin/pledges/outbox/outboxevent/").status_code == 200
    assert admin_client.get("/admin/pledges/inbox/processedevent/").status_code == 200


def test_anonymous_is_sent_to_the_login_page(client: Any) -> None:
    response = client.get(PLEDGES)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/pledges/login/")


def test_a_pledge_shows_its_money_and_links_to_the_other_admins(
    admin_client: Any, two_pledges: list[Pledge]
) -> None:
    donor, guest = two_pledges

    listing = admin_client.get(PLEDGES).content.decode()
    page = admin_client.get(f"{PLEDGES}{donor.pk}/change/").content.decode()
    by_email = admin_client.get(PLEDGES, {"q": donor.donor_email})
    by_id = admin_client.get(PLEDGES, {"q": str(guest.pk)})
    by_account = admin_client.get(PLEDGES, {"user_id": donor.user_id})  # the accounts admin's link

    assert f">{money_format(guest.amount, guest.currency)}<" in listing
    assert money_format(guest.amount, guest.currency) == "$25.00"
    campaign = f'<a href="/admin/campaigns/campaign/{donor.campaign_id}/change/">'
    assert campaign in page
    assert f'<a href="/admin/users/accounts/user/{donor.user_id}/change/">' in page
    assert f'<a href="/admin/payments/payments/payment/?pledge_id={donor.pk}">' in page
    assert "guest" in listing  # the guest's pledge has no account to link to
    assert [p.pk for p in by_email.context["cl"].result_list] == [donor.pk]
    assert [p.pk for p in by_id.context["cl"].result_list] == [guest.pk]
    assert [p.pk for p in by_account.context["cl"].result_list] == [donor.pk]


def test_a_pledge_shows_its_refunded_amount(admin_client: Any, two_pledges: list[Pledge]) -> None:
    donor, guest = two_pledges
    Pledge.objects.filter(pk=donor.pk).update(status="CAPTURED", refunded_amount=1_050)
    Pledge.objects.filter(pk=guest.pk).update(status="REFUNDED", refunded_amount=guest.amount)

    listing = admin_client.get(PLEDGES).content.decode()
    page = admin_client.get(f"{PLEDGES}{donor.pk}/change/").content.decode()
    refunded = admin_client.get(PLEDGES, {"status__exact": "REFUNDED"})

    assert ">$10.50<" in listing
    assert f">{money_format(guest.amount, guest.currency)}<" in listing
    assert "$10.50" in page
    assert 'name="refunded_amount"' not in page
    assert [p.pk for p in refunded.context["cl"].result_list] == [guest.pk]
