"""A receipt email gives the gift's transparency log entry and salt when the capture is logged
by then, and otherwise says that the receipt page shows the proof (SPEC §3)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives

from careforall_common.testing.peers import FakePeer
from notices.models import Notice
from notices.rendering import notice_message
from notices.tests.conftest import PaymentLogStandIn
from pledges.models import Pledge
from pledges.tests.factories import SIGNED_IN_BODY, payment_event, pledge_post

pytestmark = pytest.mark.django_db

SALT = "ab" * 32


@pytest.fixture
def pledge(donor_client: Any, active_campaign: int, settings: Any) -> Pledge:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    pledge_post(donor_client, SIGNED_IN_BODY)
    return Pledge.objects.get()


def sent_parts(client: Any, pledge: Pledge) -> tuple[str, str]:
    payment_event(client, "PAYMENT_CAPTURED", pledge)
    notice_message(Notice.objects.select_related("pledge").get()).send()
    (sent,) = mail.outbox
    assert isinstance(sent, EmailMultiAlternatives)
    return str(sent.body), str(sent.alternatives[0][0])


def test_a_logged_gift_s_receipt_gives_its_index_and_salt(
    client: Any, pledge: Pledge, campaigns: FakePeer, payments: PaymentLogStandIn
) -> None:
    payments.items[1] = {
        "payment_id": 1,
        "campaign_id": pledge.campaign_id,
        "commitment": "cd" * 32,
        "salt": SALT,
        "index": 12,
    }
    text, markup = sent_parts(client, pledge)
    assert "entry 12 of the campaign's public transparency log" in text
    assert SALT in text
    assert SALT in markup
    assert payments.asked == ["/internal/payments/1/transparency"]


@pytest.mark.parametrize("answer", ["not logged", "unknown", "down"])
def test_otherwise_the_receipt_points_at_the_receipt_page(
    client: Any, pledge: Pledge, campaigns: FakePeer, payments: PaymentLogStandIn, answer: str
) -> None:
    if answer == "not logged":
        payments.items[1] = {"payment_id": 1, "campaign_id": 7, "salt": SALT, "index": None}
    elif answer == "down":
        payments.failing = 503
    text, markup = sent_parts(client, pledge)
    assert "the receipt page" in text
    assert "transparency log" in markup
    assert SALT not in text
