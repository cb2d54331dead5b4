"""Challenge mode (SPEC §3, guarantee 12): while it is active a guest's payment attempt needs a
verified, single-use token before any provider call; a donor who answers it always can give."""

from __future__ import annotations

import time
from typing import Any

import pytest
import stripe

from careforall_common.defence.challenge import challenge_mode_set
from defence.tests.conftest import NEVER_SOLVES, delivered, guest_pay, guest_pledge, solved
from payments.models import IdempotencyRecord
from payments.tests.factories import Sandbox
from payments.tests.fakes import FakePledgeService

pytestmark = pytest.mark.django_db(transaction=True)  # on_commit runs, as in production

REQUIRED = "urn:careforall:problem:challenge-required"
VERIFY = "POST /turnstile/v0/siteverify"


def assert_challenge_required(response: Any) -> None:
    assert response.status_code == 403, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["type"].endswith("challenge-required")


def test_challenge_on_refuses_missing_bad_and_reused_tokens_before_the_provider(
    defence: Any, api_client: Any, pledge_service: FakePledgeService, sandbox: Sandbox
) -> None:
    challenge_mode_set("on")

    assert_challenge_required(guest_pay(api_client, pledge_service))
    assert_challenge_required(guest_pay(api_client, pledge_service, challenge_token="made-up"))
    failing = solved(sandbox, NEVER_SOLVES)
    assert_challenge_required(guest_pay(api_client, pledge_service, challenge_token=failing))
    assert sandbox.intents() == 0
    assert IdempotencyRecord.objects.count() == 0

    token = solved(sandbox)
    assert guest_pay(api_client, pledge_service, challenge_token=token).status_code == 201
    reused = guest_pay(api_client, pledge_service, challenge_token=token)

    assert_challenge_required(reused)
    assert sandbox.intents() == 1


def test_the_same_key_with_a_token_goes_through_after_a_403(
    defence: Any, api_client: Any, pledge_service: FakePledgeService, sandbox: Sandbox
) -> None:
    challenge_mode_set("on")
    pledge = guest_pledge(pledge_service)
    asked = guest_pay(api_client, pledge_service, key="donor-key", pledge=pledge)
    assert_challenge_required(asked)

    answered = guest_pay(
        api_client, pledge_service, key="donor-key", pledge=pledge, challenge_token=solved(sandbox)
    )

    assert answered.status_code == 201, answered.content
    assert answered.json()["status"] == "AUTHORIZED"
    # A repeat (a lost answer) is replayed: no second token asked, none spent.
    again = guest_pay(api_client, pledge_service, key="donor-key", pledge=pledge)
    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert sandbox.intents() == 1


def test_a_429_comes_before_a_403(
    defence: Any, api_client: Any, pledge_service: FakePledgeService, settings: Any
) -> None:
    settings.PAYMENT_LIMIT_GUEST_ADDRESS = "1/600"
    challenge_mode_set("on")
    assert_challenge_required(guest_pay(api_client, pledge_service, address="192.0.2.9"))

    assert guest_pay(api_client, pledge_service, address="192.0.2.9").status_code == 429


def test_signed_in_donors_never_meet_the_challenge(
    defence: Any, donor_client: Any, donor_pledge: int
) -> None:
    challenge_mode_set("on")
    answer = donor_client.post(
        "/api/payments",
        {"pledge_id": donor_pledge, "payment_method": "pm_card_visa"},
        format="json",
        headers={"Idempotency-Key": "k"},
    )
    assert answer.status_code == 201


def test_a_verifier_that_cannot_be_asked_is_503_and_nothing_is_sent(
    defence: Any,
    api_client: Any,
    pledge_service: FakePledgeService,
    sandbox: Sandbox,
    settings: Any,
) -> None:
    challenge_mode_set("on")
    settings.CHALLENGE_VERIFY_URL = "http://127.0.0.1:9/turnstile/v0/siteverify"

    answer = guest_pay(api_client, pledge_service, challenge_token="anything")

    assert answer.status_code == 503
    assert sandbox.intents() == 0


def test_auto_switches_on_under_a_decline_spike_and_off_after_calm(
    defence: Any,
    api_client: Any,
    pledge_service: FakePledgeService,
    sandbox: Sandbox,
    settings: Any,
) -> None:
    settings.CHALLENGE_MIN_ATTEMPTS = 4
    settings.CHALLENGE_CALM_SECONDS = 2
    for n in range(4):  # declined guest attempts, each from its own address
        answer = guest_pay(
            api_client, pledge_service, address=f"198.51.100.{n}", card="pm_card_chargeDeclined"
        )
        assert answer.json()["status"] == "FAILED"
    assert api_client.get("/api/payments/config").json()["challenge"]["active"] is True
    intents = sandbox.intents()

    assert_challenge_required(guest_pay(api_client, pledge_service, address="198.51.100.50"))
    assert sandbox.intents() == intents
    donor = guest_pay(api_client, pledge_service, challenge_token=solved(sandbox))
    assert donor.status_code == 201
    assert donor.json()["status"] == "AUTHORIZED"

    time.sleep(2.2)  # calm: no declined or refused guest attempt since the 403
    assert api_client.get("/api/payments/config").json()["challenge"]["active"] is False
    assert guest_pay(api_client, pledge_service, address="198.51.100.60").status_code == 201


def test_a_browser_confirmed_guest_decline_counts_once_from_its_webhook(
    defence: Any,
    api_client: Any,
    pledge_service: FakePledgeService,
    sandbox: Sandbox,
    settings: Any,
) -> None:
    """The donor's browser confirms, the provider declines: the webhook that moves the payment
    to FAILED counts the decline; a second delivery of the event does not."""
    settings.CHALLENGE_MIN_ATTEMPTS = 2
    settings.CHALLENGE_BAD_SHARE = 1.0  # on once both attempts were declined
    made = []
    for n in range(2):
        pledge_id, token = guest_pledge(pledge_service)
        answer = api_client.post(
            "/api/payments",
            {"pledge_id": pledge_id, "receipt_token": token},
            format="json",
            headers={"Idempotency-Key": f"browser-{n}", "X-Forwarded-For": f"192.0.2.{n}"},
        )
        assert answer.status_code == 201
        made.append(answer.json())
    client = sandbox.client()
    for payment in made:
        intent_id = payment["client_secret"].split("_secret_")[0]
        with pytest.raises(stripe.CardError):  # the browser's confirmation, declined
            client.v1.payment_intents.confirm(
                intent_id, {"payment_method": "pm_card_chargeDeclined"}
            )
    assert api_client.get("/api/payments/config").json()["challenge"]["active"] is False

    delivered(api_client, sandbox, made[0]["id"], "payment_intent.payment_failed")
    delivered(api_client, sandbox, made[0]["id"], "payment_intent.payment_failed")  # again
    assert api_client.get("/api/payments/config").json()["challenge"]["active"] is False
    delivered(api_client, sandbox, made[1]["id"], "payment_intent.payment_failed")

    assert api_client.get("/api/payments/config").json()["challenge"]["active"] is True


def test_while_the_challenge_is_on_the_campaign_limit_does_not_refuse_guests(
    defence: Any,
    api_client: Any,
    pledge_service: FakePledgeService,
    sandbox: Sandbox,
    settings: Any,
) -> None:
    """The campaign's guest limit stands in for the challenge while it is off; while it is on,
    the card tester's refused attempts must not use it up for the donor who answers it."""
    settings.PAYMENT_LIMIT_CAMPAIGN = "2/600"
    challenge_mode_set("on")
    for n in range(3):  # the card tester's attempts on the campaign, refused by the challenge
        assert_challenge_required(guest_pay(api_client, pledge_service, address=f"192.0.2.{n}"))

    donor = guest_pay(api_client, pledge_service, challenge_token=solved(sandbox))

    assert donor.status_code == 201
    challenge_mode_set("off")
    for n in range(2):
        assert guest_pay(api_client, pledge_service, address=f"198.51.100.{n}").status_code == 201
    assert guest_pay(api_client, pledge_service, address="198.51.100.9").status_code == 429
