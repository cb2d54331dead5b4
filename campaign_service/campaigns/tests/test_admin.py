"""The campaigns admin (SPEC §3): list, search, filter, edit under the API's rules."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model

from campaigns.models import Campaign, PledgeProjection
from campaigns.tests.factories import campaign_make, campaign_row, payment_event, pledge_created

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pledge_holds")]

CHANGELIST = "/admin/campaigns/campaign/"


@pytest.fixture
def admin_client(client: Any) -> Any:
    # A local superuser stands in for the shadow user a platform sign-in makes.
    user = get_user_model().objects.create_superuser("staff@example.org", "staff@example.org")
    client.force_login(user)
    return client


def form(campaign: Campaign, **changes: Any) -> dict[str, Any]:
    return {
        "title": campaign.title,
        "description": campaign.description,
        "goal_amount": campaign.goal_amount,
        "currency": campaign.currency,
        "status": campaign.status,
        **changes,
    }


def test_changelist_loads_searches_and_filters(admin_client: Any) -> None:
    campaign_make(title="Clean water", status="active")
    campaign_make(title="School books", status="draft")

    listing = admin_client.get(CHANGELIST)
    searched = admin_client.get(CHANGELIST, {"q": "water"})
    filtered = admin_client.get(CHANGELIST, {"status__exact": "draft", "currency": "usd"})

    assert listing.status_code == 200
    assert [c.title for c in listing.context["cl"].result_list] == ["School books", "Clean water"]
    assert [c.title for c in searched.context["cl"].result_list] == ["Clean water"]
    assert [c.title for c in filtered.context["cl"].result_list] == ["School books"]


def test_anonymous_is_sent_to_the_login_page(client: Any) -> None:
    response = client.get(CHANGELIST)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_read_model_fields_are_read_only(admin_client: Any) -> None:
    campaign = campaign_make(captured_amount=700, total_pledges=3)

    response = admin_client.get(f"{CHANGELIST}{campaign.pk}/change/")

    assert response.status_code == 200
    fields = response.context["adminform"].form.fields
    assert sorted(fields) == ["currency", "description", "goal_amount", "status", "title"]
    content = response.content.decode()
    for name in ["pending_amount", "captured_amount", "total_pledges", "total_payments"]:
        assert f'name="{name}"' not in content


def test_edit_saves_the_form_and_leaves_the_read_model_alone(admin_client: Any) -> None:
    campaign = campaign_make(status="draft", captured_amount=700)
    # The projector moves a bucket after the page was loaded.
    Campaign.objects.filter(pk=campaign.pk).update(captured_amount=900)

    response = admin_client.post(
        f"{CHANGELIST}{campaign.pk}/change/", form(campaign, title="Renamed", status="active")
    )

    assert response.status_code == 302
    stored = Campaign.objects.get(pk=campaign.pk)
    assert (stored.title, stored.status, stored.captured_amount) == ("Renamed", "active", 900)


@pytest.mark.parametrize(
    ("before", "after"), [("closed", "active"), ("closed", "draft"), ("active", "draft")]
)
def test_illegal_transition_is_refused(admin_client: Any, before: str, after: str) -> None:
    campaign = campaign_make(status=before)
    row = campaign_row(campaign)

    response = admin_client.post(f"{CHANGELIST}{campaign.pk}/change/", form(campaign, status=after))

    assert response.status_code == 200  # the form again, with the error
    assert response.context["adminform"].form.non_field_errors() == [
        f"A campaign cannot move from {before} to {after}."
    ]
    assert campaign_row(campaign) == row


def test_currency_change_with_pledges_is_refused(admin_client: Any) -> None:
    campaign = campaign_make(total_pledges=1)
    row = campaign_row(campaign)

    response = admin_client.post(
        f"{CHANGELIST}{campaign.pk}/change/", form(campaign, currency="eur")
    )

    assert response.status_code == 200
    assert campaign_row(campaign) == row


def test_admin_changes_and_deletes_are_decided_on_pledge_service_pledges(
    admin_client: Any, pledge_holds: Any
) -> None:
    campaign = campaign_make()  # total_pledges 0: the pledge's event is still on its way
    pledge_holds.with_pledges.add(campaign.pk)
    row = campaign_row(campaign)

    currency = admin_client.post(
        f"{CHANGELIST}{campaign.pk}/change/", form(campaign, currency="eur")
    )
    deletion = admin_client.post(f"{CHANGELIST}{campaign.pk}/delete/", {"post": "yes"})

    assert currency.status_code == 200
    assert currency.context["adminform"].form.non_field_errors() == [
        "The currency cannot change once the campaign has pledges."
    ]
    assert deletion.status_code == 403
    assert campaign_row(campaign) == row


def test_add_refuses_a_closed_campaign(admin_client: Any) -> None:
    body = {"title": "New", "description": "", "goal_amount": 1_000, "currency": "usd"}

    refused = admin_client.post(f"{CHANGELIST}add/", {**body, "status": "closed"})
    added = admin_client.post(f"{CHANGELIST}add/", {**body, "status": "draft"})

    assert refused.status_code == 200
    assert added.status_code == 302
    assert list(Campaign.objects.values_list("title", "status")) == [("New", "draft")]


def test_delete_without_pledges(admin_client: Any) -> None:
    campaign = campaign_make()

    response = admin_client.post(f"{CHANGELIST}{campaign.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not Campaign.objects.filter(pk=campaign.pk).exists()


def test_delete_with_pledges_is_refused(admin_client: Any) -> None:
    campaign = campaign_make(total_pledges=1)

    response = admin_client.post(f"{CHANGELIST}{campaign.pk}/delete/", {"post": "yes"})

    assert response.status_code == 403
    assert Campaign.objects.filter(pk=campaign.pk).exists()


def test_bulk_delete_with_pledges_is_refused(admin_client: Any) -> None:
    with_pledges = campaign_make(total_pledges=1)
    without = campaign_make()
    selection = {"action": "delete_selected", "_selected_action": [with_pledges.pk, without.pk]}

    confirmation = admin_client.post(CHANGELIST, selection)
    confirmed = admin_client.post(CHANGELIST, {**selection, "post": "yes"})

    assert confirmation.status_code == 200
    assert confirmation.context["perms_lacking"] == {"campaign"}
    assert confirmed.status_code == 403
    assert Campaign.objects.count() == 2


def test_bulk_delete_without_pledges(admin_client: Any) -> None:
    first, second = campaign_make(), campaign_make()
    kept = campaign_make(total_pledges=2)
    selection = {"action": "delete_selected", "_selected_action": [first.pk, second.pk]}

    response = admin_client.post(CHANGELIST, {**selection, "post": "yes"})

    assert response.status_code == 302
    assert list(Campaign.objects.values_list("pk", flat=True)) == [kept.pk]


DONATIONS = "/admin/campaigns/pledgeprojection/"


def test_the_campaign_page_shows_its_donations(admin_client: Any, deliver: Any) -> None:
    campaign = campaign_make()
    other = campaign_make()
    deliver(
        pledge_created(campaign, pledge_id=31, amount=1_500, donor_name="Grace"),
        pledge_created(other, pledge_id=32, amount=900, donor_name="Someone else"),
    )

    response = admin_client.get(f"{CHANGELIST}{campaign.pk}/change/")

    content = response.content.decode()
    assert "#31 1500 usd PENDING (Grace)" in content
    assert "Someone else" not in content
    assert f'href="{DONATIONS}?campaign__id__exact={campaign.pk}"' in content


def test_donations_are_listed_per_campaign_and_read_only(admin_client: Any, deliver: Any) -> None:
    campaign = campaign_make()
    other = campaign_make()
    deliver(
        pledge_created(campaign, pledge_id=41),
        pledge_created(campaign, pledge_id=42),
        pledge_created(other, pledge_id=43),
    )

    listing = admin_client.get(DONATIONS, {"campaign__id__exact": campaign.pk})
    searched = admin_client.get(DONATIONS, {"q": "42"})
    by_name = admin_client.get(DONATIONS, {"q": "Ada"})
    detail = admin_client.get(f"{DONATIONS}41/change/")
    edit = admin_client.post(f"{DONATIONS}41/change/", {"status": "CAPTURED"})

    assert [p.pledge_id for p in listing.context["cl"].result_list] == [42, 41]
    assert [p.pledge_id for p in searched.context["cl"].result_list] == [42]
    assert [p.pledge_id for p in by_name.context["cl"].result_list] == [43, 42, 41]
    assert detail.status_code == 200
    assert 'name="status"' not in detail.content.decode()
    assert edit.status_code == 403
    assert admin_client.get(f"{DONATIONS}add/").status_code == 403
    assert admin_client.post(f"{DONATIONS}41/delete/", {"post": "yes"}).status_code == 403
    assert PledgeProjection.objects.get(pk=41).status == "PENDING"


def test_payment_events_are_listed_read_only(admin_client: Any, deliver: Any) -> None:
    campaign = campaign_make()
    deliver(payment_event("PAYMENT_CAPTURED", campaign, payment_id=5, pledge_id=1))

    listing = admin_client.get(
        "/admin/campaigns/paymentevent/", {"campaign__id__exact": campaign.pk}
    )

    assert [e.payment_id for e in listing.context["cl"].result_list] == [5]
    assert admin_client.get("/admin/campaigns/paymentevent/add/").status_code == 403


def test_outbox_and_inbox_admins_are_there(admin_client: Any) -> None:
    assert admin_client.get("/admin/outbox/outboxevent/").status_code == 200
    assert admin_client.get("/admin/inbox/processedevent/").status_code == 200
