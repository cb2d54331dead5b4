"""What the log lacks is appended, never rewritten: ``transparency_backfill`` and
``reconcile``'s log checks (SPEC §5.13)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from campaigns.tests.factories import campaign_make
from careforall_common.testing.peers import FakePeer, peer_served
from reconciliation.log_checks import log_differences
from transparency import tree
from transparency.models import LogEntry
from transparency.tests.gifts import capture, refund, refund_failure, salt

pytestmark = pytest.mark.django_db

Deliver = Callable[..., list[str]]


class PaymentServiceStandIn(FakePeer):
    """``GET /internal/payments/{id}/transparency``: the commitment of the payments it knows."""

    def __init__(self, *, secret: str) -> None:
        super().__init__(secret=secret)
        self.known: set[int] = set()

    def respond(self, path: str) -> tuple[int, Any]:
        match = re.fullmatch(r"/internal/payments/([0-9]+)/transparency", path)
        if not match or int(match[1]) not in self.known:
            return 404, {"status": 404}
        payment_id = int(match[1])
        return 200, {
            "payment_id": payment_id,
            "campaign_id": 1,
            "commitment": tree.commitment(salt(payment_id), payment_id),
            "salt": salt(payment_id),
            "index": None,
        }


@pytest.fixture
def payment_service(settings: Any) -> Iterator[PaymentServiceStandIn]:
    stand_in = PaymentServiceStandIn(secret=settings.CAREFORALL["INTERNAL_EVENT_SECRET"])
    with peer_served(settings, "payment", stand_in):
        yield stand_in


def kinds(campaign_id: int) -> list[tuple[str, int, int | None]]:
    rows = LogEntry.objects.filter(campaign_id=campaign_id).order_by("index")
    return [(row.kind, row.amount, row.refers_to) for row in rows]


def test_captures_of_an_earlier_release_are_reported_then_appended_in_capture_order(
    deliver: Deliver, payment_service: PaymentServiceStandIn
) -> None:
    campaign = campaign_make()
    deliver(capture(campaign, 1, 500, commitment=False))
    deliver(capture(campaign, 2, 700))
    deliver(refund(campaign, 1, refund_id=3, amount=100))
    deliver(capture(campaign, 4, 900, commitment=False), refund_failure(campaign, 1, 9, 1))
    fields = sorted(d.field for d in log_differences(campaign.pk))
    assert fields == [
        "log: capture of payment 1",
        "log: capture of payment 4",
        "log: refund 3",
        "log: total",
    ]

    payment_service.known = {1}
    with pytest.raises(CommandError):  # payment 4 has no commitment there
        call_command("transparency_backfill", "--campaign", str(campaign.pk))
    assert kinds(campaign.pk) == [
        ("capture", 700, None),
        ("capture", 500, None),
        ("refund", -100, 1),
    ]

    payment_service.known = {1, 4}
    call_command("transparency_backfill")
    assert kinds(campaign.pk)[3:] == [("capture", 900, None)]
    assert log_differences(campaign.pk) == []
    call_command("transparency_backfill")  # nothing left: nothing appended
    assert len(kinds(campaign.pk)) == 4


def test_an_unreachable_payment_service_appends_nothing(
    deliver: Deliver, payment_service: PaymentServiceStandIn
) -> None:
    campaign = campaign_make()
    deliver(capture(campaign, 1, commitment=False))
    payment_service.failing = 503
    with pytest.raises(CommandError) as failure:
        call_command("transparency_backfill")
    assert failure.value.returncode == 2
    assert kinds(campaign.pk) == []


def test_a_complete_log_has_no_differences(deliver: Deliver) -> None:
    campaign = campaign_make()
    deliver(capture(campaign, 1), refund(campaign, 1, refund_id=2, amount=300))
    deliver(refund(campaign, 1, refund_id=3, amount=200), refund_failure(campaign, 1, 3, 200))
    assert log_differences(campaign.pk) == []
