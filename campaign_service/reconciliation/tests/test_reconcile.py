"""``manage.py reconcile`` (SPEC §5.2) against a real HTTP stand-in for pledge_service.

The stand-in (``reconciliation/tests/conftest.py``) serves the ``GET /internal/pledges``
contract from a list and refuses any request not signed with the internal secret, as
pledge_service does.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from campaigns.models import Campaign, PledgeProjection
from campaigns.tests.factories import (
    campaign_make,
    campaign_row,
    payment_event,
    payment_refunded,
    pledge_events,
    pledge_payload,
    status_changed,
)
from reconciliation.clients import pledges as pledges_client
from reconciliation.tests.conftest import PledgeServiceStandIn

pytestmark = pytest.mark.django_db

Deliver = Callable[..., list[str]]


def run(*args: str) -> tuple[int, list[str]]:
    """Run the command; return its exit code and output lines."""
    out = StringIO()
    try:
        call_command("reconcile", *args, stdout=out)
    except CommandError as error:
        return error.returncode, out.getvalue().splitlines()
    return 0, out.getvalue().splitlines()


def pledges_of(campaign: Campaign, first_id: int) -> list[dict[str, Any]]:
    """One pledge in each status, with distinct amounts."""
    return [
        pledge_payload(campaign, pledge_id=first_id, amount=500, status="CAPTURED"),
        pledge_payload(campaign, pledge_id=first_id + 1, amount=300, status="PENDING"),
        pledge_payload(
            campaign, pledge_id=first_id + 2, amount=200, status="AUTHORIZED", anonymous=True
        ),
        pledge_payload(campaign, pledge_id=first_id + 3, amount=100, status="FAILED"),
    ]


def project(deliver: Deliver, pledges: list[dict[str, Any]]) -> None:
    """Feed the pledges' events through the real ingestion path."""
    assert set(deliver(*[event for p in pledges for event in pledge_events(p)])) == {"processed"}


def read_model(campaign: Campaign) -> tuple[dict[str, Any], list[tuple[Any, ...]]]:
    rows = PledgeProjection.objects.filter(campaign=campaign).order_by("pledge_id")
    return campaign_row(campaign), list(
        rows.values_list(
            "pledge_id", "amount", "currency", "status", "donor_name", "anonymous", "occurred_at"
        )
    )


def truth_rows(pledges: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [
        (
            p["pledge_id"],
            p["amount"],
            p["currency"],
            p["status"],
            p["donor_name"],
            p["anonymous"],
            datetime.fromisoformat(p["created_at"]).astimezone(UTC),
        )
        for p in pledges
    ]


def totals(campaign: Campaign) -> tuple[int, ...]:
    stored = Campaign.objects.get(pk=campaign.pk)
    return (
        stored.pending_amount,
        stored.authorized_amount,
        stored.captured_amount,
        stored.failed_amount,
        stored.total_pledges,
        stored.total_payments,
    )


def test_a_read_model_built_by_the_events_matches(
    pledge_service: PledgeServiceStandIn, deliver: Deliver, monkeypatch: Any
) -> None:
    monkeypatch.setattr(pledges_client, "PAGE_SIZE", 3)
    first, second = campaign_make(), campaign_make()
    pledge_service.pledges = pledges_of(first, 1) + pledges_of(second, 11)
    project(deliver, pledge_service.pledges)
    deliver(payment_event("PAYMENT_CAPTURED", first, payment_id=1, pledge_id=1, amount=500))

    code, lines = run()

    assert code == 0
    assert lines == ["2 campaign(s) checked, 0 difference(s) in 0 campaign(s)"]
    assert pledge_service.paths == [
        "/internal/pledges/campaigns",
        f"/internal/pledges?campaign_id={first.pk}&limit=3",
        f"/internal/pledges?campaign_id={first.pk}&limit=3&after=3",
        f"/internal/plans?campaign_id={first.pk}",
        f"/internal/pledges?campaign_id={second.pk}&limit=3",
        f"/internal/pledges?campaign_id={second.pk}&limit=3&after=13",
        f"/internal/plans?campaign_id={second.pk}",
    ]


def test_differences_are_reported_with_exit_1_and_fix_repairs_them(
    pledge_service: PledgeServiceStandIn, deliver: Deliver
) -> None:
    campaign = campaign_make()
    pledge_service.pledges = pledges_of(campaign, 1)
    project(deliver, [p for p in pledge_service.pledges if p["pledge_id"] != 3])  # 3 is lost
    Campaign.objects.filter(pk=campaign.pk).update(captured_amount=550)  # a planted error
    before = read_model(campaign)
    c = campaign.pk
    expected = [
        f"campaign {c}: authorized_amount: read model 0, truth 200",
        f"campaign {c}: captured_amount: read model 550, truth 500",
        f"campaign {c}: total_pledges: read model 3, truth 4",
        f"campaign {c}: pledge 3: read model missing, truth AUTHORIZED 200 usd",
    ]

    code, lines = run()

    assert code == 1
    assert lines == [*expected, "1 campaign(s) checked, 4 difference(s) in 1 campaign(s)"]
    assert read_model(campaign) == before  # a check changes nothing

    code, lines = run("--fix")

    assert code == 0
    assert lines == [
        *expected,
        "1 campaign(s) checked, 4 difference(s) in 1 campaign(s), repaired, 0 left for another run",
    ]
    assert totals(campaign) == (300, 200, 500, 100, 4, 0)
    assert read_model(campaign)[1] == truth_rows(pledge_service.pledges)
    assert run() == (0, ["1 campaign(s) checked, 0 difference(s) in 0 campaign(s)"])


def test_a_campaign_without_any_projection_is_rebuilt(
    pledge_service: PledgeServiceStandIn,
) -> None:
    campaign = campaign_make()
    pledge_service.pledges = pledges_of(campaign, 21)

    code, lines = run("--fix", "--campaign", str(campaign.pk))

    assert code == 0
    assert len(lines) == 10  # 5 counters, 4 pledges and the summary
    assert lines[-1] == (
        "1 campaign(s) checked, 9 difference(s) in 1 campaign(s), repaired, 0 left for another run"
    )
    assert totals(campaign) == (300, 200, 500, 100, 4, 0)
    assert read_model(campaign)[1] == truth_rows(pledge_service.pledges)


def test_a_lost_status_change_and_a_lost_creation_are_repaired_forward(
    pledge_service: PledgeServiceStandIn, deliver: Deliver
) -> None:
    campaign = campaign_make()
    captured, late_donor = pledges_of(campaign, 1)[:2]
    pledge_service.pledges = [captured, late_donor]
    deliver(pledge_events(captured)[0])  # created; the status changes were lost
    deliver(status_changed(campaign, pledge_id=2, amount=300, new_status="PENDING"))  # no creation
    c = campaign.pk

    code, lines = run("--fix")

    assert code == 0
    assert lines[:6] == [
        f"campaign {c}: pending_amount: read model 800, truth 300",
        f"campaign {c}: captured_amount: read model 0, truth 500",
        f"campaign {c}: pledge 1 status: read model PENDING, truth CAPTURED",
        f'campaign {c}: pledge 2 donor_name: read model "", truth Ada Lovelace',
        f"campaign {c}: pledge 2 anonymous: read model True, truth False",
        f"campaign {c}: pledge 2 occurred_at: read model 2025-03-01T12:05:00Z, "
        "truth 2025-03-01T12:00:00Z",
    ]
    assert totals(campaign) == (300, 0, 500, 0, 2, 0)
    assert read_model(campaign)[1] == truth_rows(pledge_service.pledges)


@pytest.mark.django_db(transaction=True)  # the projector writes from the stand-in's thread
@pytest.mark.parametrize("writer_clock", [timedelta(0), timedelta(hours=-2)])
def test_rows_ahead_of_the_snapshot_are_kept_when_touched_and_repaired_when_not(
    pledge_service: PledgeServiceStandIn, deliver: Deliver, writer_clock: timedelta
) -> None:
    """Rows the projector wrote while the snapshot was read are kept, whatever its clock says."""
    campaign = campaign_make()
    pledges = pledges_of(campaign, 1)
    later = [
        pledge_payload(campaign, pledge_id=5, amount=50, status="PENDING"),
        pledge_payload(campaign, pledge_id=6, amount=60, status="PENDING"),
    ]
    project(deliver, pledges + later)
    # pledge_service says 3 and 4 are PENDING and knows neither 5 nor 6. The rows of 3 and 5
    # were last touched long ago: corrupt. Those of 4 and 6 are written while the snapshot is
    # read: events it missed, stamped by a writer whose clock may be far behind.
    pledge_service.pledges = [*pledges[:2], *({**p, "status": "PENDING"} for p in pledges[2:])]
    an_hour_ago = timezone.now() - timedelta(hours=1)
    PledgeProjection.objects.filter(pk__in=[3, 5]).update(updated_at=an_hour_ago)
    written = timezone.now() + writer_clock
    pledge_service.during_fetch = lambda: PledgeProjection.objects.filter(pk__in=[4, 6]).update(
        updated_at=written
    )
    c = campaign.pk

    code, lines = run("--fix")

    assert code == 1
    assert lines == [
        f"campaign {c}: pending_amount: read model 410, truth 600",
        f"campaign {c}: authorized_amount: read model 200, truth 0",
        f"campaign {c}: failed_amount: read model 100, truth 0",
        f"campaign {c}: total_pledges: read model 6, truth 4",
        f"campaign {c}: pledge 3 status: read model AUTHORIZED, truth PENDING",
        f"campaign {c}: pledge 4 status: read model FAILED, truth PENDING",
        f"campaign {c}: pledge 5: read model PENDING 50 usd, truth missing",
        f"campaign {c}: pledge 6: read model PENDING 60 usd, truth missing",
        f"not repaired: campaign {c}: pledge 4: read model FAILED 100 usd, truth PENDING 100 usd",
        f"not repaired: campaign {c}: pledge 6: read model PENDING 60 usd, truth missing",
        "1 campaign(s) checked, 8 difference(s) in 1 campaign(s), repaired, 2 left for another run",
    ]
    stored = dict(PledgeProjection.objects.filter(campaign=campaign).values_list("pk", "status"))
    assert stored == {1: "CAPTURED", 2: "PENDING", 3: "PENDING", 4: "FAILED", 6: "PENDING"}
    # The counters follow the rows, the kept ones included.
    assert totals(campaign) == (560, 0, 500, 100, 5, 0)


def test_total_payments_is_checked_against_the_audit_trail(
    pledge_service: PledgeServiceStandIn, deliver: Deliver
) -> None:
    campaign = campaign_make()
    deliver(payment_event("PAYMENT_CAPTURED", campaign, payment_id=1, pledge_id=1))
    Campaign.objects.filter(pk=campaign.pk).update(total_payments=5)

    code, lines = run("--fix")

    assert code == 0
    assert lines[0] == f"campaign {campaign.pk}: total_payments: read model 5, truth 1"
    assert totals(campaign) == (0, 0, 0, 0, 0, 1)


def test_one_campaign_only(pledge_service: PledgeServiceStandIn) -> None:
    campaign, other = campaign_make(), campaign_make()
    pledge_service.pledges = pledges_of(other, 1)

    code, lines = run("--campaign", str(campaign.pk))

    assert (code, lines) == (0, ["1 campaign(s) checked, 0 difference(s) in 0 campaign(s)"])
    assert pledge_service.paths == [
        f"/internal/pledges?campaign_id={campaign.pk}&limit=500",
        f"/internal/plans?campaign_id={campaign.pk}",
    ]


def test_pledges_of_a_campaign_this_service_lacks_cannot_be_repaired(
    pledge_service: PledgeServiceStandIn,
) -> None:
    pledge_service.pledges = [pledge_payload(999_999, pledge_id=1)]

    code, lines = run("--fix", "--campaign", "999999")

    assert code == 1
    assert lines == [
        "campaign 999999: campaign: read model missing, truth 1 pledges",
        "not repaired: campaign 999999: campaign: read model missing, truth 1 pledges",
        "1 campaign(s) checked, 1 difference(s) in 1 campaign(s), repaired, 1 left for another run",
    ]
    assert PledgeProjection.objects.count() == 0


def test_a_full_run_reports_pledges_of_a_campaign_that_is_gone(
    pledge_service: PledgeServiceStandIn,
) -> None:
    campaign = campaign_make()
    pledge_service.pledges = [pledge_payload(999_999, pledge_id=1)]

    code, lines = run()

    assert code == 1
    assert lines == [
        "campaign 999999: campaign: read model missing, truth 1 pledges",
        "2 campaign(s) checked, 1 difference(s) in 1 campaign(s)",
    ]
    assert f"/internal/pledges?campaign_id={campaign.pk}&limit=500" in pledge_service.paths


def test_a_wrong_secret_is_refused_and_nothing_changes(
    pledge_service: PledgeServiceStandIn, settings: Any
) -> None:
    campaign = campaign_make(captured_amount=10)
    before = campaign_row(campaign)
    settings.CAREFORALL = {**settings.CAREFORALL, "INTERNAL_EVENT_SECRET": "not-it"}

    code, lines = run("--fix")

    assert (code, lines) == (2, [])
    assert len(pledge_service.paths) == 1  # it was asked, and refused the signature
    assert campaign_row(campaign) == before


def test_pledge_service_unreachable_is_exit_2(settings: Any) -> None:
    campaign_make()
    urls = {**settings.CAREFORALL["SERVICE_URLS"], "pledge": "http://127.0.0.1:9"}
    settings.CAREFORALL = {**settings.CAREFORALL, "SERVICE_URLS": urls}

    assert run() == (2, [])


def test_refunded_amount_is_proved_against_the_pledges_and_repaired_from_the_refund_rows(
    pledge_service: PledgeServiceStandIn, deliver: Deliver
) -> None:
    campaign = campaign_make()
    pledge_service.pledges = [
        {
            **pledge_payload(campaign, pledge_id=1, amount=500, status="CAPTURED"),
            "refunded_amount": 200,
        },
        {
            **pledge_payload(campaign, pledge_id=2, amount=300, status="REFUNDED"),
            "refunded_amount": 300,
        },
    ]
    project(deliver, pledge_service.pledges)
    deliver(
        payment_refunded(campaign, refund_id=1, pledge_id=1, amount=200),
        payment_refunded(campaign, refund_id=2, pledge_id=2, amount=300),
    )
    assert run() == (0, ["1 campaign(s) checked, 0 difference(s) in 0 campaign(s)"])
    Campaign.objects.filter(pk=campaign.pk).update(refunded_amount=900)  # a planted error

    code, lines = run("--fix")

    assert code == 0
    assert lines[0] == f"campaign {campaign.pk}: refunded_amount: read model 900, truth 500"
    stored = Campaign.objects.get(pk=campaign.pk)
    assert (stored.captured_amount, stored.refunded_amount, stored.current_amount) == (
        800,
        500,
        300,
    )


def test_a_refund_whose_event_has_not_come_yet_is_reported_and_never_made_up(
    pledge_service: PledgeServiceStandIn, deliver: Deliver
) -> None:
    campaign = campaign_make()
    pledge_service.pledges = [
        {
            **pledge_payload(campaign, pledge_id=1, amount=500, status="CAPTURED"),
            "refunded_amount": 200,
        },
    ]
    project(deliver, pledge_service.pledges)

    code, lines = run("--fix")

    c = campaign.pk
    assert code == 1  # left for another run: the pipeline brings the refund
    assert f"campaign {c}: pledge 1 refunded_amount: read model 0, truth 200" in lines
    assert Campaign.objects.get(pk=c).refunded_amount == 0
    deliver(payment_refunded(campaign, refund_id=1, pledge_id=1, amount=200))
    assert run() == (0, ["1 campaign(s) checked, 0 difference(s) in 0 campaign(s)"])
