"""Each run of ``manage.py reconcile`` is recorded, and its last result is a metric."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from campaigns.tests.factories import campaign_make, pledge_payload
from reconciliation.models import ReconciliationRun
from reconciliation.tasks import reconciliation_check
from reconciliation.tests.conftest import PledgeServiceStandIn as Pledges

pytestmark = pytest.mark.django_db


def run(*args: str) -> int:
    try:
        call_command("reconcile", *args, stdout=StringIO())
    except CommandError as error:
        return error.returncode
    return 0


def scrape(client: Any) -> dict[str, float]:
    """The reconciliation series of a scrape, by name."""
    text = client.get("/internal/metrics").content.decode()
    samples = (line.rsplit(" ", 1) for line in text.splitlines() if not line.startswith("#"))
    return {
        name: float(value)
        for name, value in samples
        if name.startswith("careforall_reconciliation_")
    }


def test_no_run_yet_exports_no_figure(client: Any) -> None:
    assert scrape(client) == {}


def test_a_clean_run_is_recorded(client: Any, pledge_service: Pledges) -> None:
    campaign_make()

    assert run() == 0

    recorded = ReconciliationRun.objects.get()
    assert (recorded.trigger, recorded.fix, recorded.error) == ("command", False, "")
    assert (recorded.campaigns_checked, recorded.differences, recorded.unrepaired) == (1, 0, 0)
    assert recorded.summary == "1 campaign(s) checked, 0 difference(s) in 0 campaign(s)"
    assert recorded.started_at <= recorded.finished_at
    figures = scrape(client)
    assert figures["careforall_reconciliation_differences"] == 0
    assert figures["careforall_reconciliation_last_run_failed"] == 0
    assert figures["careforall_reconciliation_last_run_timestamp_seconds"] == pytest.approx(
        recorded.finished_at.timestamp()
    )


def test_differences_are_recorded_then_a_repair_leaves_none(
    client: Any, pledge_service: Pledges
) -> None:
    campaign = campaign_make()
    pledge_service.pledges = [
        pledge_payload(campaign, pledge_id=1, amount=500, status="CAPTURED"),
        pledge_payload(campaign, pledge_id=2, amount=300, status="PENDING"),
    ]

    assert run() == 1
    found = scrape(client)["careforall_reconciliation_differences"]
    assert run("--fix") == 0
    repaired = scrape(client)["careforall_reconciliation_differences"]
    assert run() == 0

    first, fix, after = ReconciliationRun.objects.order_by("pk")
    assert first.differences == first.differences_left == found > 0
    assert not first.repaired
    assert (fix.fix, fix.repaired, fix.differences, fix.unrepaired) == (
        True,
        True,
        first.differences,
        0,
    )
    assert fix.summary.endswith(", repaired, 0 left for another run")
    assert repaired == 0
    assert after.differences == 0


def test_an_unreachable_pledge_service_is_recorded_as_a_failed_run(
    client: Any, settings: Any
) -> None:
    campaign_make()
    urls = {**settings.CAREFORALL["SERVICE_URLS"], "pledge": "http://127.0.0.1:9"}
    settings.CAREFORALL = {**settings.CAREFORALL, "SERVICE_URLS": urls}

    assert run("--campaign", "1") == 2

    recorded = ReconciliationRun.objects.get()
    assert recorded.error.startswith("pledge_service unreachable")
    assert recorded.summary.startswith("not compared: pledge_service unreachable")
    assert (recorded.differences, recorded.differences_left, recorded.repaired) == (0, 0, False)
    assert scrape(client)["careforall_reconciliation_last_run_failed"] == 1


def test_the_periodic_task_compares_and_records_without_repairing(
    pledge_service: Pledges,
) -> None:
    campaign = campaign_make()
    pledge_service.pledges = [pledge_payload(campaign, pledge_id=1, amount=500)]

    reconciliation_check()

    recorded = ReconciliationRun.objects.get()
    assert (recorded.trigger, recorded.fix, recorded.differences_left) == (
        "task",
        False,
        recorded.differences,
    )
    assert recorded.differences > 0
    assert campaign.pledges.count() == 0  # nothing repaired
