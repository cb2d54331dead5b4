"""Refunds that stay pending and move later, refunds that fail, and the authorization release."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests
import stripe

from stripe_sandbox import Sandbox, Settings

from .conftest import Admin, Receiver, authorize


def _captured(
    client: stripe.StripeClient, payment_method: str = "pm_card_visa"
) -> stripe.PaymentIntent:
    intent = client.v1.payment_intents.create(authorize(payment_method=payment_method))
    return client.v1.payment_intents.capture(intent.id)


def _charge(client: stripe.StripeClient, intent: stripe.PaymentIntent) -> stripe.Charge:
    return client.v1.charges.retrieve(str(intent.latest_charge))


def _payloads(admin: Admin, object_id: str) -> list[tuple[str, dict[str, Any]]]:
    """(type, data.object) of every event about `object_id`, oldest first."""
    events = admin.events(object_id=object_id, payload="1")
    return [(e["type"], e["payload"]["data"]["object"]) for e in events]


def _wait_status(client: stripe.StripeClient, refund_id: str, status: str) -> stripe.Refund:
    deadline = time.monotonic() + 5
    refund = client.v1.refunds.retrieve(refund_id)
    while refund.status != status and time.monotonic() < deadline:
        time.sleep(0.05)
        refund = client.v1.refunds.retrieve(refund_id)
    return refund


def test_held_refunds_stay_pending_and_send_only_refund_created(
    client: stripe.StripeClient, admin: Admin
) -> None:
    intent = _captured(client)
    admin.configure(refunds_pending=[intent.id])

    refund = client.v1.refunds.create({"payment_intent": intent.id, "amount": 400})

    body = refund.to_dict()
    assert (refund.status, body["pending_reason"]) == ("pending", "processing")
    assert body["destination_details"] == {"card": {"type": "pending"}, "type": "card"}
    assert "failure_reason" not in body
    assert [t for t, _ in _payloads(admin, refund.id)] == ["refund.created"]
    assert _payloads(admin, refund.id)[0][1]["status"] == "pending"
    assert "charge.refunded" not in admin.event_types(str(intent.latest_charge))
    # The pending amount counts against the charge: it cannot be refunded twice.
    assert _charge(client, intent).amount_refunded == 400
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.refunds.create({"payment_intent": intent.id, "amount": 601})


def test_the_control_holds_only_the_intents_it_names(
    client: stripe.StripeClient, admin: Admin
) -> None:
    held, other = _captured(client), _captured(client)
    admin.configure(refunds_pending=[held.id])

    first = client.v1.refunds.create({"payment_intent": held.id})
    second = client.v1.refunds.create({"payment_intent": other.id, "amount": 500})
    admin.configure(refunds_pending=True)
    third = client.v1.refunds.create({"payment_intent": other.id, "amount": 1})

    assert (first.status, second.status) == ("pending", "succeeded")
    assert third.status == "pending"
    assert admin.configure()["refunds_pending"] is True


def test_a_pending_refund_settled_as_succeeded_sends_refund_updated_and_charge_refunded(
    client: stripe.StripeClient, admin: Admin, receiver: Receiver
) -> None:
    intent = _captured(client)
    admin.configure(refunds_pending=True)
    refund = client.v1.refunds.create({"payment_intent": intent.id})

    answer = admin.refund_settle(refund.id, status="succeeded")

    assert answer.status_code == 200
    settled = answer.json()
    assert (settled["status"], settled["id"]) == ("succeeded", refund.id)
    assert "pending_reason" not in settled
    assert settled["destination_details"]["card"]["type"] == "refund"
    assert [t for t, _ in _payloads(admin, refund.id)] == ["refund.created", "refund.updated"]
    assert _payloads(admin, refund.id)[1][1]["status"] == "succeeded"
    charge_events = _payloads(admin, str(intent.latest_charge))
    assert charge_events[-1][0] == "charge.refunded"
    assert (charge_events[-1][1]["amount_refunded"], charge_events[-1][1]["refunded"]) == (
        1000,
        True,
    )
    updated = admin.events(object_id=refund.id, type="refund.updated")[0]
    assert updated["request"] == {"id": None, "idempotency_key": None}  # the bank, no request
    receiver.wait_delivered(refund.id, 2)


def test_a_pending_refund_that_fails_gives_the_amount_back_to_the_charge(
    client: stripe.StripeClient, admin: Admin
) -> None:
    intent = _captured(client)
    admin.configure(refunds_pending=True)
    refund = client.v1.refunds.create({"payment_intent": intent.id, "amount": 300})

    answer = admin.refund_settle(refund.id, status="failed", failure_reason="lost_or_stolen_card")

    failed = client.v1.refunds.retrieve(refund.id).to_dict()
    assert answer.status_code == 200
    assert (failed["status"], failed["failure_reason"]) == ("failed", "lost_or_stolen_card")
    assert str(failed["failure_balance_transaction"]).startswith("txn_")
    assert [t for t, _ in _payloads(admin, refund.id)] == [
        "refund.created",
        "refund.updated",
        "refund.failed",
    ]
    assert all(body["status"] == "failed" for _, body in _payloads(admin, refund.id)[1:])
    charge = _charge(client, intent)
    assert (charge.amount_refunded, charge.refunded) == (0, False)
    assert "charge.refunded" not in admin.event_types(str(intent.latest_charge))
    assert client.v1.refunds.list({"payment_intent": intent.id}).data[0].status == "failed"


def test_a_succeeded_refund_can_fail_later(client: stripe.StripeClient, admin: Admin) -> None:
    intent = _captured(client)
    refund = client.v1.refunds.create({"payment_intent": intent.id})
    assert _charge(client, intent).refunded is True

    answer = admin.refund_settle(refund.id, status="failed")

    assert (answer.json()["status"], answer.json()["failure_reason"]) == ("failed", "unknown")
    assert [t for t, _ in _payloads(admin, refund.id)] == [
        "refund.created",
        "refund.updated",
        "refund.failed",
    ]
    charge = _charge(client, intent)
    assert (charge.amount_refunded, charge.refunded) == (0, False)
    again = client.v1.refunds.create({"payment_intent": intent.id})  # the money can go back again
    assert (again.status, again.amount) == ("succeeded", 1000)


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"status": "pending"}, "status"),
        ({}, "status"),
        ({"status": "succeeded", "failure_reason": "unknown"}, "failure_reason"),
        ({"status": "failed", "failure_reason": "tired"}, "failure_reason"),
        ({"status": "failed", "surprise": 1}, "surprise"),
    ],
)
def test_bad_settle_bodies_are_400(
    client: stripe.StripeClient, admin: Admin, body: dict[str, Any], param: str
) -> None:
    intent = _captured(client)
    refund = client.v1.refunds.create({"payment_intent": intent.id})

    answer = admin.refund_settle(refund.id, **body)

    assert (answer.status_code, answer.json()["error"]["param"]) == (400, param)
    assert client.v1.refunds.retrieve(refund.id).status == "succeeded"


def test_moves_that_stripe_does_not_make_are_409(client: stripe.StripeClient, admin: Admin) -> None:
    intent = _captured(client)
    refund = client.v1.refunds.create({"payment_intent": intent.id})
    admin.refund_settle(refund.id, status="failed")

    refused = [
        admin.refund_settle(refund.id, status="succeeded"),
        admin.refund_settle(refund.id, status="failed"),
    ]
    other = client.v1.refunds.create({"payment_intent": intent.id})
    already = admin.refund_settle(other.id, status="succeeded")
    missing = admin.refund_settle("re_missing", status="succeeded")

    assert [r.status_code for r in refused] == [409, 409]
    assert already.status_code == 409
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "resource_missing")
    assert admin.event_types(refund.id).count("refund.failed") == 1


def test_the_pending_refund_test_card_succeeds_by_itself(
    client: stripe.StripeClient, admin: Admin
) -> None:
    admin.configure(refund_settle_ms=100)
    intent = _captured(client, "pm_card_pendingRefund")

    refund = client.v1.refunds.create({"payment_intent": intent.id})
    settled = _wait_status(client, refund.id, "succeeded")

    assert refund.status == "pending"
    assert settled.status == "succeeded"
    assert [t for t, _ in _payloads(admin, refund.id)] == ["refund.created", "refund.updated"]
    assert admin.event_types(str(intent.latest_charge))[-1] == "charge.refunded"


def test_the_refund_fail_test_card_fails_after_succeeding(
    client: stripe.StripeClient, admin: Admin
) -> None:
    admin.configure(refund_settle_ms=100)
    intent = _captured(client, "pm_card_refundFail")

    refund = client.v1.refunds.create({"payment_intent": intent.id, "amount": 500})
    failed = _wait_status(client, refund.id, "failed")

    assert refund.status == "succeeded"
    assert (failed.status, failed.failure_reason) == ("failed", "expired_or_canceled_card")
    assert [t for t, _ in _payloads(admin, refund.id)] == [
        "refund.created",
        "refund.updated",
        "refund.failed",
    ]
    assert _charge(client, intent).amount_refunded == 0


def test_with_refund_settle_ms_0_a_test_card_refund_waits_for_the_control(
    client: stripe.StripeClient, admin: Admin
) -> None:
    admin.configure(refund_settle_ms=0)
    intent = _captured(client, "pm_card_pendingRefund")
    refund = client.v1.refunds.create({"payment_intent": intent.id})
    time.sleep(0.3)
    assert client.v1.refunds.retrieve(refund.id).status == "pending"

    answer = admin.refund_settle(refund.id, status="failed", failure_reason="declined")

    assert answer.json()["failure_reason"] == "declined"
    assert admin.stats()["objects"]["refunds"] == 1


def test_a_reset_forgets_a_refund_still_waiting_to_move(
    client: stripe.StripeClient, admin: Admin, sandbox: Sandbox
) -> None:
    admin.configure(refund_settle_ms=400)
    intent = _captured(client, "pm_card_pendingRefund")
    client.v1.refunds.create({"payment_intent": intent.id})

    sandbox.reset()
    time.sleep(0.6)

    assert admin.events(type="refund.updated") == []
    assert sandbox.payments.timers == set()


def test_canceling_an_authorized_intent_refunds_its_charge(
    client: stripe.StripeClient, admin: Admin, receiver: Receiver
) -> None:
    intent = client.v1.payment_intents.create(authorize())
    charge_id = str(intent.latest_charge)

    canceled = client.v1.payment_intents.cancel(intent.id)

    charge = client.v1.charges.retrieve(charge_id)
    assert (canceled.status, canceled.amount_capturable) == ("canceled", 0)
    assert (charge.captured, charge.amount_refunded, charge.refunded) == (False, 1000, True)
    [refund] = client.v1.refunds.list({"payment_intent": intent.id}).data
    body = refund.to_dict()
    assert (body["amount"], body["status"], body["reason"], body["charge"]) == (
        1000,
        "succeeded",
        None,
        charge_id,
    )
    assert body["balance_transaction"] is None  # no funds moved: the hold is released
    assert body["destination_details"] == {"card": {"type": "reversal"}, "type": "card"}
    refunded = [body for kind, body in _payloads(admin, charge_id) if kind == "charge.refunded"]
    assert [(c["amount_refunded"], c["refunded"]) for c in refunded] == [(1000, True)]
    assert admin.event_types(intent.id)[-1] == "payment_intent.canceled"
    # A release is final: it cannot be failed.
    assert admin.refund_settle(refund.id, status="failed").status_code == 409
    receiver.wait_for(
        lambda _: any(e["type"] == "charge.refunded" for e in receiver.delivered_for(charge_id))
    )


def test_canceling_an_intent_without_an_authorization_refunds_nothing(
    client: stripe.StripeClient, admin: Admin
) -> None:
    intent = client.v1.payment_intents.create(authorize(payment_method=None, confirm=None))

    client.v1.payment_intents.cancel(intent.id)

    assert client.v1.refunds.list({"payment_intent": intent.id}).data == []
    assert admin.events(type="charge.refunded") == []


def test_the_new_controls_are_validated_and_reset(sandbox: Sandbox, admin: Admin) -> None:
    url = f"{sandbox.url}/_sandbox/config"
    refused = [
        requests.post(url, json=body, timeout=5)
        for body in (
            {"refunds_pending": "yes"},
            {"refunds_pending": [""]},
            {"refund_settle_ms": -1},
            {"processing_delay_ms": 60_001},
        )
    ]
    changed = admin.configure(refunds_pending=["pi_1"], refund_settle_ms=0, processing_delay_ms=5)
    reset = requests.post(f"{sandbox.url}/_sandbox/reset", timeout=5).json()["config"]
    defaults = Settings.from_env({}).chaos

    assert [r.status_code for r in refused] == [400] * 4
    assert [r.json()["error"]["param"] for r in refused] == [
        "refunds_pending",
        "refunds_pending",
        "refund_settle_ms",
        "processing_delay_ms",
    ]
    assert (changed["refunds_pending"], changed["refund_settle_ms"]) == (["pi_1"], 0)
    assert changed["processing_delay_ms"] == 5
    assert (reset["refunds_pending"], reset["refund_settle_ms"]) == (False, 2000)
    assert reset["processing_delay_ms"] == 0
    assert (defaults.refunds_pending, defaults.refund_settle_ms) == (False, 2000)
    assert defaults.processing_delay_ms == 0
