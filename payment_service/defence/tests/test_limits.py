"""Over a limit, a payment attempt never reaches the provider (SPEC §3, guarantee 12): 429 with
``Retry-After``, nothing recorded under its key, no intent at the sandbox."""

from __future__ import annotations

from typing import Any

import pytest

from defence.tests.conftest import delivered, guest_pay, guest_pledge
from payments.models import IdempotencyRecord, Payment
from payments.tests.factories import Sandbox
from payments.tests.fakes import FakePledgeService

pytestmark = pytest.mark.django_db(transaction=True)  # on_commit runs, as in production

TOO_MANY = "urn:careforall:problem:too-many-attempts"


def assert_too_many(response: Any, *, longest: int) -> None:
    assert response.status_code == 429, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["type"] == TOO_MANY
    assert 1 <= int(response["Retry-After"]) <= longest


def test_a_guest_address_over_its_limit_gets_429_and_reaches_nothing(
    defence: Any,
    api_client: Any,
    pledge_service: FakePledgeService,
    sandbox: Sandbox,
    settings: Any,
) -> None:
    settings.PAYMENT_LIMIT_GUEST_ADDRESS = "3/600"
    for _ in range(3):
        assert guest_pay(api_client, pledge_service, address="198.51.100.7").status_code == 201
    intents = sandbox.intents()

    refused = guest_pay(api_client, pledge_service, address="198.51.100.7", key="refused-key")

    assert_too_many(refused, longest=600)
    assert sandbox.intents() == intents
    assert Payment.objects.count() == 3
    assert not IdempotencyRecord.objects.filter(key="refused-key").exists()
    # Another address is another guest.
    assert guest_pay(api_client, pledge_service, address="198.51.100.8").status_code == 201


def test_the_address_is_the_one_the_gateway_sends_not_the_socket_s(
    defence: Any, api_client: Any, pledge_service: FakePledgeService, settings: Any
) -> None:
    settings.PAYMENT_LIMIT_GUEST_ADDRESS = "1/600"
    assert guest_pay(api_client, pledge_service, address="192.0.2.1").status_code == 201
    assert guest_pay(api_client, pledge_service, address="192.0.2.2").status_code == 201
    assert guest_pay(api_client, pledge_service, address="192.0.2.1").status_code == 429


def test_a_signed_in_account_over_its_limit_gets_429(
    defence: Any,
    donor_client: Any,
    pledge_service: FakePledgeService,
    sandbox: Sandbox,
    settings: Any,
) -> None:
    settings.PAYMENT_LIMIT_ACCOUNT = "2/600"
    for pledge_id in (61, 62, 63):
        pledge_service.add(pledge_id)
    pay = {"payment_method": "pm_card_visa"}
    assert (
        donor_client.post(
            "/api/payments",
            {"pledge_id": 61, **pay},
            format="json",
            headers={"Idempotency-Key": "a"},
        ).status_code
        == 201
    )
    assert (
        donor_client.post(
            "/api/payments",
            {"pledge_id": 62, **pay},
            format="json",
            headers={"Idempotency-Key": "b"},
        ).status_code
        == 201
    )
    intents = sandbox.intents()

    refused = donor_client.post(
        "/api/payments", {"pledge_id": 63, **pay}, format="json", headers={"Idempotency-Key": "c"}
    )

    assert_too_many(refused, longest=600)
    assert sandbox.intents() == intents
    # A repeat of an answered key is its first attempt again: replayed, not refused.
    again = donor_client.post(
        "/api/payments", {"pledge_id": 61, **pay}, format="json", headers={"Idempotency-Key": "a"}
    )
    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"


def test_a_card_with_a_run_of_declines_is_refused_from_any_address(
    defence: Any,
    api_client: Any,
    pledge_service: FakePledgeService,
    sandbox: Sandbox,
    settings: Any,
) -> None:
    """The card tester rotates addresses and pledges (and so emails): the card's declines,
    learned from the provider's events, still stop it before the provider."""
    settings.PAYMENT_LIMIT_CARD_DECLINES = "3/3600"
    card = "pm_card_chargeDeclinedInsufficientFunds"
    for n in range(3):
        declined = guest_pay(api_client, pledge_service, address=f"203.0.113.{n + 1}", card=card)
        assert declined.status_code == 201
        assert declined.json()["status"] == "FAILED"
        delivered(api_client, sandbox, declined.json()["id"], "payment_intent.payment_failed")
    intents = sandbox.intents()

    refused = guest_pay(api_client, pledge_service, address="203.0.113.99", card=card)

    assert_too_many(refused, longest=3600)
    assert sandbox.intents() == intents
    # Another card from that address goes through.
    assert guest_pay(api_client, pledge_service, address="203.0.113.99").status_code == 201


def test_a_fraud_type_decline_weighs_more_against_the_card(
    defence: Any,
    api_client: Any,
    pledge_service: FakePledgeService,
    sandbox: Sandbox,
    settings: Any,
) -> None:
    settings.PAYMENT_LIMIT_CARD_DECLINES = "3/3600"
    card = "pm_card_chargeDeclinedStolenCard"
    declined = guest_pay(api_client, pledge_service, address="203.0.113.1", card=card)
    assert declined.json()["failure_reason"] == "card_declined: stolen_card"
    delivered(api_client, sandbox, declined.json()["id"], "payment_intent.payment_failed")

    assert (
        guest_pay(api_client, pledge_service, address="203.0.113.2", card=card).status_code == 429
    )


def test_a_donor_and_a_guest_giving_normally_meet_no_limit_and_no_challenge(
    defence: Any, api_client: Any, donor_client: Any, pledge_service: FakePledgeService
) -> None:
    """The defaults, in auto while calm: a few gifts each, a declined one among them."""
    for n, pledge_id in enumerate(range(71, 76)):
        pledge_service.add(pledge_id)
        answer = donor_client.post(
            "/api/payments",
            {"pledge_id": pledge_id, "payment_method": "pm_card_visa"},
            format="json",
            headers={"Idempotency-Key": f"donor-{n}"},
        )
        assert answer.status_code == 201, answer.content
    cards = ["pm_card_chargeDeclined", "pm_card_visa", "pm_card_mastercard", "pm_card_visa"]
    for card in cards:
        assert guest_pay(api_client, pledge_service, card=card).status_code == 201
    config = api_client.get("/api/payments/config").json()
    assert config["challenge"]["mode"] == "auto"
    assert config["challenge"]["active"] is False


def test_with_the_limits_off_nothing_is_counted(
    defence: Any, api_client: Any, pledge_service: FakePledgeService, settings: Any
) -> None:
    settings.PAYMENT_LIMITS = "off"
    settings.PAYMENT_LIMIT_GUEST_ADDRESS = "1/600"
    for _ in range(3):
        assert guest_pay(api_client, pledge_service).status_code == 201


def test_a_refused_guest_pledge_is_still_payable_with_the_same_key_later(
    defence: Any, api_client: Any, pledge_service: FakePledgeService, settings: Any
) -> None:
    settings.PAYMENT_LIMIT_GUEST_ADDRESS = "1/600"
    assert guest_pay(api_client, pledge_service, address="192.0.2.50").status_code == 201
    pledge = guest_pledge(pledge_service)
    refused = guest_pay(api_client, pledge_service, address="192.0.2.50", key="k", pledge=pledge)
    assert refused.status_code == 429

    settings.PAYMENT_LIMIT_GUEST_ADDRESS = "20/600"
    later = guest_pay(api_client, pledge_service, address="192.0.2.50", key="k", pledge=pledge)

    assert later.status_code == 201
    assert "Idempotent-Replayed" not in later
