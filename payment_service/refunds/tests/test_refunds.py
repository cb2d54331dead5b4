"""Refunds (SPEC §3): staff refunds, refunds and disputes at the provider, the sweep, the crash.

Against the real sandbox through the SDK. Webhooks are posted here with the payloads the sandbox
made for them, so that each test decides the order and the repeats.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
import requests
from django.db import connection
from rest_framework.test import APIClient

from careforall_common.contracts.statuses import PaymentStatus
from careforall_common.idempotency import idempotency_request
from careforall_common.outbox.models import OutboxEvent
from payments.models import Payment
from payments.tasks import payment_capture_task
from payments.tests.factories import Sandbox, payment, payment_post, webhook_post
from payments.tests.fakes import FakePledgeService
from provider_events.sweeps import refunds_reconcile
from refunds.models import Dispute, Refund, RefundSource, RefundStatus
from refunds.provider import refund_create
from refunds.services import refund_reserve

pytestmark = pytest.mark.django_db

VISA = {"pledge_id": 41, "payment_method": "pm_card_visa"}
REFUNDS = "POST /v1/refunds"


def captured(donor_client: Any, amount: int = 2_500, pledge_id: int = 41) -> Payment:
    response = payment_post(donor_client, {**VISA, "pledge_id": pledge_id}, key=f"pay-{pledge_id}")
    assert response.status_code == 201, response.content
    made = Payment.objects.get(pk=response.json()["id"])
    assert payment_capture_task(payment_id=made.pk) is True
    made.refresh_from_db()
    assert made.status == PaymentStatus.CAPTURED
    return made


def refund_post(client: Any, payment_id: int, body: dict[str, Any], key: str = "refund-1") -> Any:
    return client.post(
        f"/api/payments/{payment_id}/refunds",
        body,
        format="json",
        headers={"Idempotency-Key": key},
    )


def refunded_events() -> list[dict[str, Any]]:
    rows = OutboxEvent.objects.filter(event_type="PAYMENT_REFUNDED", destination="campaign")
    return [row.payload for row in rows.order_by("id")]


def provider_refunded(sandbox: Sandbox, made: Payment) -> int:
    intent = sandbox.client().v1.payment_intents.retrieve(
        made.provider_payment_id or "", {"expand": ["latest_charge"]}
    )
    return int(intent.latest_charge.amount_refunded)  # type: ignore[union-attr]


@pytest.fixture
def paid(donor_client: Any, donor_pledge: int) -> Payment:
    return captured(donor_client)


def test_a_full_refund_moves_the_payment_to_refunded_with_its_event(
    staff_client: Any, paid: Payment, sandbox: Sandbox
) -> None:
    response = refund_post(staff_client, paid.pk, {"reason": "requested_by_customer"})

    assert response.status_code == 201, response.content
    body = response.json()
    refund = Refund.objects.get()
    assert body == {
        "id": refund.pk,
        "payment_id": paid.pk,
        "amount": 2_500,
        "currency": "usd",
        "status": "succeeded",
        "source": "staff",
        "reason": "requested_by_customer",
        "created_at": body["created_at"],
    }
    made = payment(paid.pk)
    assert (made.status, made.refunded_amount) == (PaymentStatus.REFUNDED, 2_500)
    assert (refund.provider_refund_id or "").startswith("re_")
    assert provider_refunded(sandbox, made) == 2_500
    assert refunded_events() == [
        {
            "payment_id": paid.pk,
            "pledge_id": 41,
            "campaign_id": 7,
            "refund_id": refund.pk,
            "amount": 2_500,
            "refunded_total": 2_500,
            "currency": "usd",
        }
    ]
    assert OutboxEvent.objects.filter(event_type="PAYMENT_REFUNDED").count() == 2  # both consumers


def test_partial_refunds_keep_it_captured_until_the_whole_amount_is_back(
    staff_client: Any, paid: Payment, sandbox: Sandbox
) -> None:
    first = refund_post(staff_client, paid.pk, {"amount": 1_000}, key="a")
    assert first.status_code == 201
    assert (payment(paid.pk).status, payment(paid.pk).refunded_amount) == ("CAPTURED", 1_000)

    too_much = refund_post(staff_client, paid.pk, {"amount": 1_501}, key="b")
    assert too_much.status_code == 409
    assert too_much.json()["refundable_amount"] == 1_500

    rest = refund_post(staff_client, paid.pk, {}, key="c")  # what is left
    assert rest.status_code == 201
    assert rest.json()["amount"] == 1_500
    made = payment(paid.pk)
    assert (made.status, made.refunded_amount) == ("REFUNDED", 2_500)
    assert [e["refunded_total"] for e in refunded_events()] == [1_000, 2_500]
    assert provider_refunded(sandbox, made) == 2_500

    again = refund_post(staff_client, paid.pk, {}, key="d")
    assert again.status_code == 409
    assert sandbox.calls(REFUNDS) == 2


def test_a_repeat_with_the_same_key_replays_and_another_body_is_422(
    staff_client: Any, paid: Payment, sandbox: Sandbox
) -> None:
    first = refund_post(staff_client, paid.pk, {"amount": 500})
    repeat = refund_post(staff_client, paid.pk, {"amount": 500})
    other = refund_post(staff_client, paid.pk, {"amount": 600})

    assert (first.status_code, repeat.status_code, other.status_code) == (201, 201, 422)
    assert repeat.json() == first.json()
    assert repeat["Idempotent-Replayed"] == "true"
    assert Refund.objects.count() == 1
    assert sandbox.calls(REFUNDS) == 1


def test_only_staff_refund_and_only_captured_payments(
    client: Any, donor_client: Any, staff_client: Any, donor_pledge: int
) -> None:
    response = payment_post(donor_client, VISA)
    authorized = response.json()["id"]

    assert refund_post(client, authorized, {}).status_code == 401
    assert refund_post(donor_client, authorized, {}).status_code == 403
    assert refund_post(staff_client, 999_999, {}).status_code == 404
    not_captured = refund_post(staff_client, authorized, {})
    assert not_captured.status_code == 409
    assert not_captured["Content-Type"] == "application/problem+json"
    for body in ({"amount": 0}, {"amount": "10"}, {"amount": 1.5}, {"reason": 7}, {"extra": 1}):
        assert refund_post(staff_client, authorized, body, key=str(body)).status_code == 400
    assert Refund.objects.count() == 0


def test_the_donor_and_a_receipt_token_read_the_refunds(
    client: Any, donor_client: Any, staff_client: Any, paid: Payment
) -> None:
    refund_post(staff_client, paid.pk, {"amount": 300})

    mine = donor_client.get(f"/api/payments/{paid.pk}/refunds")
    assert mine.status_code == 200
    assert [(r["amount"], r["status"]) for r in mine.json()["results"]] == [(300, "succeeded")]
    assert client.get(f"/api/payments/{paid.pk}/refunds").status_code == 401
    assert client.get(f"/api/payments/{paid.pk}/refunds?receipt_token=wrong").status_code == 404
    assert donor_client.get(f"/api/payments/{paid.pk}").json()["refunded_amount"] == 300


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_refunds_never_refund_more_than_was_captured(
    make_token: Any,
    donor_client: Any,
    pledge_service: FakePledgeService,
    user_service: Any,
    sandbox: Sandbox,
) -> None:
    pledge_service.add(41)
    made = captured(donor_client)
    token = make_token(user_id=1, role="staff")
    answers: list[int] = []
    barrier = threading.Barrier(20)

    def refund(n: int) -> None:
        staff = APIClient()
        staff.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        barrier.wait()
        try:
            answers.append(refund_post(staff, made.pk, {"amount": 300}, key=f"k-{n}").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=refund, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(answers) == [201] * 8 + [409] * 12  # 8 * 300 <= 2,500 < 9 * 300
    # Refused here, under the payment's lock: the provider was never asked for a ninth.
    assert (sandbox.calls(REFUNDS), sandbox.calls(REFUNDS, 400)) == (8, 0)
    made.refresh_from_db()
    assert made.refunded_amount == 2_400 == provider_refunded(sandbox, made)
    assert Refund.objects.filter(status=RefundStatus.SUCCEEDED).count() == 8
    assert len(refunded_events()) == 8
    assert sorted(e["refunded_total"] for e in refunded_events()) == list(range(300, 2_401, 300))


def test_a_crash_between_the_providers_refund_and_our_commit_makes_one_refund(
    staff_client: Any, paid: Payment, sandbox: Sandbox
) -> None:
    body = {"amount": 700}
    idempotency = idempotency_request(
        key="crash", scope="staff-refund:1", body={"payment_id": paid.pk, **body}
    )
    record = refund_reserve(
        payment_id=paid.pk, idempotency=idempotency, amount=700, reason="", staff_user_id=1
    )
    # The provider refunds; the process dies before transaction 2.
    refund_create(
        refund_id=record.refund_id, intent_id=paid.provider_payment_id or "", amount=700, reason=""
    )
    assert payment(paid.pk).refunded_amount == 0

    retry = refund_post(staff_client, paid.pk, body, key="crash")

    assert retry.status_code == 201, retry.content
    assert retry.json()["status"] == "succeeded"
    assert payment(paid.pk).refunded_amount == 700 == provider_refunded(sandbox, paid)
    assert sandbox.stats()["objects"]["refunds"] == 1
    assert len(refunded_events()) == 1


def test_a_refund_at_the_provider_counts_once_from_its_webhooks(
    client: Any, paid: Payment, sandbox: Sandbox
) -> None:
    sandbox.client().v1.refunds.create(
        {"payment_intent": paid.provider_payment_id or "", "amount": 800}
    )
    (dashboard,) = sandbox.client().v1.refunds.list(
        {"payment_intent": paid.provider_payment_id or ""}
    )
    created = sandbox.event(dashboard.id, "refund.created")
    charge_refunded = sandbox.events(dashboard.charge, "charge.refunded")[0]["payload"]  # type: ignore[arg-type]

    answers = [
        webhook_post(client, event).json()["result"]
        for event in (created, charge_refunded, created)
    ]

    assert answers == ["processed", "no_change", "duplicate"]
    refund = Refund.objects.get()
    assert (refund.source, refund.amount, refund.status) == ("provider", 800, "succeeded")
    assert payment(paid.pk).refunded_amount == 800
    assert len(refunded_events()) == 1


def test_a_refund_webhook_before_the_captures_brings_the_payment_forward(
    client: Any, donor_client: Any, donor_pledge: int, sandbox: Sandbox
) -> None:
    made = Payment.objects.get(pk=payment_post(donor_client, VISA).json()["id"])
    # Captured at the provider; our capture's reply and webhook are still on their way.
    sandbox.client().v1.payment_intents.capture(made.provider_payment_id or "")
    sandbox.client().v1.refunds.create({"payment_intent": made.provider_payment_id or ""})
    (refund,) = sandbox.client().v1.refunds.list({"payment_intent": made.provider_payment_id or ""})

    answer = webhook_post(client, sandbox.event(refund.id, "refund.created"))

    assert answer.json()["result"] == "processed"
    made.refresh_from_db()
    assert (made.status, made.refunded_amount) == (PaymentStatus.REFUNDED, 2_500)
    kinds = list(
        OutboxEvent.objects.filter(destination="campaign").values_list("event_type", flat=True)
    )
    assert kinds == ["PAYMENT_AUTHORIZED", "PAYMENT_CAPTURED", "PAYMENT_REFUNDED"]


def test_a_lost_refund_webhook_is_found_by_the_sweep(paid: Payment, sandbox: Sandbox) -> None:
    sandbox.client().v1.refunds.create(
        {"payment_intent": paid.provider_payment_id or "", "amount": 900}
    )

    assert refunds_reconcile() == 1
    assert refunds_reconcile() == 0  # counted once

    assert payment(paid.pk).refunded_amount == 900
    assert Refund.objects.get().source == RefundSource.PROVIDER


def test_a_staff_refund_whose_request_died_before_the_provider_call_is_sent_by_the_sweep(
    paid: Payment, sandbox: Sandbox, settings: Any
) -> None:
    settings.REFUND_RETRY_AFTER_SECONDS = 0
    idempotency = idempotency_request(key="died", scope="staff-refund:1", body={})
    refund_reserve(
        payment_id=paid.pk, idempotency=idempotency, amount=None, reason="", staff_user_id=1
    )

    assert refunds_reconcile() == 1

    assert payment(paid.pk).status == PaymentStatus.REFUNDED
    assert sandbox.stats()["objects"]["refunds"] == 1


def test_a_refund_the_provider_refuses_fails_and_frees_its_amount(
    staff_client: Any, paid: Payment, sandbox: Sandbox
) -> None:
    sandbox.client().v1.refunds.create(
        {"payment_intent": paid.provider_payment_id or "", "amount": 2_000}
    )
    # Not counted here yet (its webhook is late): the reservation allows 2,500, the provider 500.
    response = refund_post(staff_client, paid.pk, {"amount": 1_000})

    assert response.status_code == 409
    assert Refund.objects.get(source=RefundSource.STAFF).status == RefundStatus.FAILED
    assert refund_post(staff_client, paid.pk, {"amount": 1_000}, key="again").status_code == 409
    assert refund_post(staff_client, paid.pk, {"amount": 1_000}, key="again").status_code == 409


def dispute_open(sandbox: Sandbox, made: Payment, **body: Any) -> dict[str, Any]:
    response = requests.post(
        f"{sandbox.url}/_sandbox/disputes",
        json={"payment_intent": made.provider_payment_id, **body},
        timeout=5,
    )
    response.raise_for_status()
    dispute: dict[str, Any] = response.json()
    return dispute


def dispute_close(sandbox: Sandbox, dispute_id: str, outcome: str) -> None:
    requests.post(
        f"{sandbox.url}/_sandbox/disputes/{dispute_id}/close", json={"outcome": outcome}, timeout=5
    ).raise_for_status()


def test_a_lost_dispute_counts_as_a_refund_once_and_a_won_one_does_not(
    client: Any, donor_client: Any, pledge_service: FakePledgeService, sandbox: Sandbox
) -> None:
    pledge_service.add(41)
    pledge_service.add(42)
    lost, won = captured(donor_client, pledge_id=41), captured(donor_client, pledge_id=42)
    for made, outcome in ((lost, "lost"), (won, "won")):
        dispute = dispute_open(sandbox, made)
        opened = sandbox.event(dispute["id"], "charge.dispute.created")
        assert webhook_post(client, opened).json()["result"] == "processed"
        assert Dispute.objects.get(provider_dispute_id=dispute["id"]).status == "needs_response"
        dispute_close(sandbox, dispute["id"], outcome)
        closed = sandbox.event(dispute["id"], "charge.dispute.closed")
        webhook_post(client, closed)
        webhook_post(client, {**closed, "id": closed["id"] + "_again"})  # a repeat, another id
        assert Dispute.objects.get(provider_dispute_id=dispute["id"]).status == outcome

    assert (payment(lost.pk).status, payment(lost.pk).refunded_amount) == ("REFUNDED", 2_500)
    assert (payment(won.pk).status, payment(won.pk).refunded_amount) == ("CAPTURED", 0)
    assert Refund.objects.get().source == RefundSource.DISPUTE
    assert len(refunded_events()) == 1
