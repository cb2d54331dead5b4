"""Receipt and refund emails: one per captured payment and per refund, over real SMTP."""

from __future__ import annotations

import html
import re
import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.utils import timezone

from careforall_common.testing.concurrency import race
from careforall_common.testing.peers import FakePeer
from notices.models import Notice, NoticeStatus
from notices.rendering import notice_message
from notices.services import notices_send_due
from notices.tests.conftest import Sink
from pledges.models import Pledge
from pledges.tests.factories import (
    GUEST_BODY,
    SIGNED_IN_BODY,
    envelope,
    payment_event,
    pledge_post,
    post_events,
)

pytestmark = pytest.mark.django_db

CAPTURED, FAILED = "PAYMENT_CAPTURED", "PAYMENT_FAILED"
CARD = {"card_brand": "visa", "card_last4": "4242"}


@pytest.fixture
def pledge(donor_client: Any, active_campaign: int) -> Pledge:
    pledge_post(donor_client, SIGNED_IN_BODY)
    return Pledge.objects.get()


@pytest.fixture
def guest_pledge(guest_client: Any, active_campaign: int) -> tuple[Pledge, str]:
    response = pledge_post(guest_client, GUEST_BODY)
    assert response.status_code == 201, response.content
    return Pledge.objects.get(), response.json()["receipt_token"]


def refunded(client: Any, pledge: Pledge, *, refund_id: int, amount: int, total: int) -> str:
    payload = {
        "payment_id": 1,
        "pledge_id": pledge.pk,
        "campaign_id": pledge.campaign_id,
        "refund_id": refund_id,
        "amount": amount,
        "refunded_total": total,
        "currency": pledge.currency,
    }
    event = envelope("PAYMENT_REFUNDED", payload, aggregate_id=1, source="payment")
    return post_events(client, [event])[event["event_id"]]


def parts(message: Any) -> tuple[str, str]:
    text = message.get_body(preferencelist=("plain",)).get_content()
    markup = message.get_body(preferencelist=("html",)).get_content()
    return text, markup


def test_a_capture_delivered_twice_sends_one_receipt(
    client: Any, pledge: Pledge, smtp_sink: Sink, campaigns: FakePeer
) -> None:
    event_id = str(uuid.uuid4())
    payment_event(client, CAPTURED, pledge, event_id=event_id, **CARD)
    payment_event(client, CAPTURED, pledge, event_id=event_id, **CARD)  # the same event again
    payment_event(client, CAPTURED, pledge, **CARD)  # another event about the same payment

    assert notices_send_due() == 1
    assert notices_send_due() == 0

    assert len(smtp_sink.messages) == 1
    message = smtp_sink.messages[0]
    assert smtp_sink.recipients == [["user2@example.org"]]
    assert message["Message-ID"] == "<receipt-1@careforall.local>"
    text, markup = parts(message)
    for body in (text, markup):
        assert "Flood relief in Sylhet" in body
        assert "$25.00" in body
        assert "Visa ending in 4242" in body
        assert "CareForAll" in body
        assert f"/#/receipt/{pledge.pk}?payment=1" in body
        assert "token=" not in body  # a signed-in donor's page opens with the account
    assert "<img" not in markup
    assert Notice.objects.get().status == NoticeStatus.SENT


def test_a_declined_payment_sends_nothing(
    client: Any, pledge: Pledge, smtp_sink: Sink, campaigns: FakePeer
) -> None:
    payment_event(client, FAILED, pledge)

    assert notices_send_due() == 0
    assert Notice.objects.count() == 0
    assert smtp_sink.messages == []


def test_one_notice_per_refund(
    client: Any, pledge: Pledge, smtp_sink: Sink, campaigns: FakePeer
) -> None:
    payment_event(client, CAPTURED, pledge, **CARD)
    refunded(client, pledge, refund_id=11, amount=1_000, total=1_000)
    refunded(client, pledge, refund_id=11, amount=1_000, total=1_000)  # redelivered, new id
    refunded(client, pledge, refund_id=12, amount=1_500, total=2_500)

    assert notices_send_due() == 3

    subjects = sorted(str(m["Subject"]) for m in smtp_sink.messages)
    assert subjects == [
        "Your receipt from CareForAll",
        "Your refund from CareForAll",
        "Your refund from CareForAll",
    ]
    refunds = [m for m in smtp_sink.messages if "refund" in str(m["Subject"])]
    texts = sorted(parts(m)[0] for m in refunds)
    assert "Refunded now:        $10.00" in texts[0]
    assert "Refunded in total:   $10.00 of $25.00" in texts[0]
    assert "Refunded now:        $15.00" in texts[1]
    assert "Refunded in total:   $25.00 of $25.00" in texts[1]
    assert sorted(str(m["Message-ID"]) for m in refunds) == [
        "<refund-11@careforall.local>",
        "<refund-12@careforall.local>",
    ]


@pytest.mark.django_db(transaction=True)
def test_senders_racing_send_each_email_once(
    client: Any, active_campaign: int, donor_client: Any, smtp_sink: Sink, campaigns: FakePeer
) -> None:
    for number in range(1, 6):
        pledge_post(donor_client, SIGNED_IN_BODY, key=f"key-{number}")
    for number, pledge in enumerate(Pledge.objects.order_by("id"), start=1):
        payment_event(client, CAPTURED, pledge, payment_id=number, **CARD)

    results = race([notices_send_due] * 4)

    assert sum(results) == 5
    assert len(smtp_sink.messages) == 5
    assert len({str(m["Message-ID"]) for m in smtp_sink.messages}) == 5
    assert set(Notice.objects.values_list("status", flat=True)) == {NoticeStatus.SENT}


def test_smtp_down_keeps_the_receipt_until_it_is_back(
    client: Any, pledge: Pledge, smtp_sink: Sink, campaigns: FakePeer
) -> None:
    payment_event(client, CAPTURED, pledge, **CARD)
    smtp_sink.stop()

    assert notices_send_due() == 0
    notice = Notice.objects.get()
    assert (notice.status, notice.attempts, notice.lease_token) == ("pending", 1, None)
    assert notice.next_attempt_at > timezone.now()
    assert "Connection refused" in notice.last_error or "Errno" in notice.last_error

    assert notices_send_due() == 0  # not due yet: backoff
    Notice.objects.update(next_attempt_at=timezone.now())
    assert notices_send_due() == 0  # still down
    assert Notice.objects.get().attempts == 2

    smtp_sink.start()  # back, on the same port
    Notice.objects.update(next_attempt_at=timezone.now())
    assert notices_send_due() == 1
    assert len(smtp_sink.messages) == 1
    assert Notice.objects.get().status == NoticeStatus.SENT


def test_campaign_service_down_sends_the_receipt_later(
    client: Any, pledge: Pledge, smtp_sink: Sink, campaigns: FakePeer
) -> None:
    payment_event(client, CAPTURED, pledge, **CARD)
    campaigns.failing = 503

    assert notices_send_due() == 0
    assert "campaign_service answered 503" in Notice.objects.get().last_error
    assert smtp_sink.messages == []

    campaigns.failing = None
    Notice.objects.update(next_attempt_at=timezone.now())
    assert notices_send_due() == 1
    assert "Flood relief in Sylhet" in parts(smtp_sink.messages[0])[0]


def test_a_leased_receipt_is_not_sent_again_until_its_lease_ends(
    client: Any, pledge: Pledge, smtp_sink: Sink, campaigns: FakePeer
) -> None:
    """A sender that died holding the row: nobody else sends it while the lease holds."""
    payment_event(client, CAPTURED, pledge, **CARD)
    Notice.objects.update(
        lease_token=uuid.uuid4(), lease_until=timezone.now() + timedelta(seconds=60)
    )

    assert notices_send_due() == 0

    Notice.objects.update(lease_until=timezone.now() - timedelta(seconds=1))
    assert notices_send_due() == 1
    assert len(smtp_sink.messages) == 1


def test_a_guests_receipt_goes_to_the_guest_and_its_link_opens_the_pledge(
    client: Any,
    guest_client: Any,
    guest_pledge: tuple[Pledge, str],
    smtp_sink: Sink,
    campaigns: FakePeer,
) -> None:
    pledge, token = guest_pledge
    payment_event(client, CAPTURED, pledge, **CARD)

    assert notices_send_due() == 1

    assert smtp_sink.recipients == [[pledge.donor_email]]
    assert pledge.donor_email.lower() == "rahim@example.org"
    text, markup = parts(smtp_sink.messages[0])
    assert "Dear Rahim Uddin" in text
    link = re.search(r"http://localhost:8080/#/receipt/(\d+)\?token=([\w-]+)&payment=1", text)
    assert link is not None
    assert html.escape(link[0]) in markup
    assert (int(link[1]), link[2]) == (pledge.pk, token)
    response = guest_client.get(f"/api/pledges/{link[1]}", {"receipt_token": link[2]})
    assert response.status_code == 200
    assert response.json()["id"] == pledge.pk
    assert guest_client.get(f"/api/pledges/{link[1]}").status_code != 200


def test_the_html_part_escapes_a_hostile_name_and_title(
    client: Any, guest_client: Any, active_campaign: int, smtp_sink: Sink, campaigns: FakePeer
) -> None:
    hostile = '<img src="https://tracker.example/p.gif" onerror="alert(1)">'
    campaigns.items[7]["title"] = f"Relief </strong><script>alert('x')</script>{hostile}"
    pledge_post(guest_client, {**GUEST_BODY, "donor_name": "Eve <b onmouseover=alert(1)>"})
    pledge = Pledge.objects.get()
    payment_event(client, CAPTURED, pledge, **CARD)

    assert notices_send_due() == 1

    text, markup = parts(smtp_sink.messages[0])
    assert "<script" not in markup
    assert "<img" not in markup
    assert "<b " not in markup
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in markup
    assert "Eve &lt;b onmouseover=alert(1)&gt;" in markup
    assert "Dear Eve <b onmouseover=alert(1)>," in text  # plain text shows what was typed, inert


def test_a_name_that_could_act_as_a_link_is_not_repeated(
    client: Any, guest_client: Any, active_campaign: int, smtp_sink: Sink, campaigns: FakePeer
) -> None:
    """Issue 20, finding 11: the charity's email never carries a guest's link to anyone."""
    name = "Claim your refund at evil.example/r"
    pledge_post(guest_client, {**GUEST_BODY, "donor_name": name})
    payment_event(client, CAPTURED, Pledge.objects.get(), **CARD)

    assert notices_send_due() == 1

    text, markup = parts(smtp_sink.messages[0])
    assert "evil.example" not in text
    assert "evil.example" not in markup
    assert "Dear donor," in text


def test_rendering_without_smtp(
    client: Any, pledge: Pledge, campaigns: FakePeer, settings: Any
) -> None:
    """The message as Django builds it: both parts, the fixed Message-ID, the sender."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.DEFAULT_FROM_EMAIL = "Receipts <receipts@charity.example>"
    settings.CHARITY_NAME = "Friends of Sylhet"
    payment_event(client, CAPTURED, pledge, amount=pledge.amount, **CARD)

    notice_message(Notice.objects.select_related("pledge").get()).send()

    (sent,) = mail.outbox
    assert isinstance(sent, EmailMultiAlternatives)
    assert sent.from_email == "Receipts <receipts@charity.example>"
    assert sent.subject == "Your receipt from Friends of Sylhet"
    assert sent.extra_headers["Message-ID"] == "<receipt-1@careforall.local>"
    assert [kind for _, kind in sent.alternatives] == ["text/html"]
