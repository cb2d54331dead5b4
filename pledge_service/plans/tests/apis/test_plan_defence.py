"""SPEC §3 "Card-testing defence" on the plan routes that move money: set-up, card change and
3-D Secure completion are limited and, while challenge mode is on, need a guest's challenge
answer — checked before anything is written, so the same key with a token goes through."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

import pytest
from django.utils import timezone

from careforall_common.defence.attempts import attempt_admit
from careforall_common.defence.challenge import challenge_mode_set
from careforall_common.testing.peers import FakePeer, peer_served
from plans.apis import access
from plans.models import Installment, RecurringPlan
from plans.services.schedule import plans_charge_due
from plans.tests.conftest import FakePaymentService, defence_forget
from plans.tests.factories import (
    GUEST_PLAN_BODY,
    NOTHING,
    PLAN_BODY,
    active_plan,
    payment_outcome,
    plan_post,
    written,
)
from plans.tokens import manage_token

pytestmark = pytest.mark.django_db

CHALLENGE_REQUIRED = "urn:careforall:problem:challenge-required"


class FakeVerifier(FakePeer):
    """Turnstile's ``siteverify``: each token it issued succeeds once."""

    def __init__(self) -> None:
        super().__init__()
        self.issued: set[str] = set()

    def token(self) -> str:
        token = uuid.uuid4().hex
        self.issued.add(token)
        return token

    def respond_post(self, path: str, body: bytes) -> tuple[int, Any]:
        token = parse_qs(body.decode()).get("response", [""])[0]
        if token in self.issued:
            self.issued.discard(token)
            return 200, {"success": True, "error-codes": []}
        return 200, {"success": False, "error-codes": ["timeout-or-duplicate"]}


@pytest.fixture(autouse=True)
def _defence_on(
    settings: Any, monkeypatch: pytest.MonkeyPatch, active_campaign: int
) -> Iterator[None]:
    monkeypatch.setattr(access, "attempt_admit", attempt_admit)
    settings.PAYMENT_LIMITS = "on"
    settings.CHALLENGE_MODE = "off"
    defence_forget()
    yield
    defence_forget()


@pytest.fixture
def verifier(settings: Any) -> Iterator[FakeVerifier]:
    with peer_served(settings, "verifier", FakeVerifier()) as fake:
        settings.CHALLENGE_VERIFY_URL = fake.url + "/turnstile/v0/siteverify"
        yield fake


def guest_post(client: Any, body: Any = None, *, key: str = "k", address: str = "") -> Any:
    extra = {"HTTP_X_FORWARDED_FOR": address} if address else {}
    return plan_post(client, body or GUEST_PLAN_BODY, key=key, **extra)


def test_a_guest_without_the_challenge_is_403_leaves_no_trace_and_the_key_then_goes_through(
    guest_client: Any, verifier: FakeVerifier, payment_service: FakePaymentService
) -> None:
    challenge_mode_set("on")

    refused = guest_post(guest_client)
    bad = guest_post(guest_client, {**GUEST_PLAN_BODY, "challenge_token": "never-issued"})

    for response in (refused, bad):
        assert response.status_code == 403
        assert response["Content-Type"] == "application/problem+json"
        assert response.json()["type"] == CHALLENGE_REQUIRED
    assert written() == NOTHING
    assert payment_service.calls == []

    token = verifier.token()
    solved = guest_post(guest_client, {**GUEST_PLAN_BODY, "challenge_token": token})

    assert solved.status_code == 201, solved.content
    assert written()["plans"] == 1
    assert "challenge_token" not in payment_service.calls[0][1]  # checked here, never sent on
    # The token is not part of what the key names: the repeat without it replays the answer.
    replay = guest_post(guest_client, {**GUEST_PLAN_BODY, "challenge_token": verifier.token()})
    assert (replay.status_code, replay["Idempotent-Replayed"]) == (201, "true")


def test_signed_in_donors_never_see_the_challenge(
    donor_client: Any, verifier: FakeVerifier, payment_service: FakePaymentService
) -> None:
    challenge_mode_set("on")

    assert plan_post(donor_client, PLAN_BODY).status_code == 201


def test_a_guest_address_over_its_limit_is_429_with_retry_after_and_no_trace(
    settings: Any, guest_client: Any, payment_service: FakePaymentService
) -> None:
    settings.PAYMENT_LIMIT_GUEST_ADDRESS = "1/600"
    first = guest_post(guest_client, key="a", address="203.0.113.7")
    assert first.status_code == 201
    before = written()

    second = guest_post(
        guest_client, {**GUEST_PLAN_BODY, "donor_email": "b@example.org"}, key="b",
        address="203.0.113.7",
    )  # fmt: skip

    assert second.status_code == 429
    assert 590 <= int(second["Retry-After"]) <= 600
    assert second["Content-Type"] == "application/problem+json"
    assert written() == before
    # Another client address (as the gateway decided it) is another count.
    third = guest_post(
        guest_client, {**GUEST_PLAN_BODY, "donor_email": "b@example.org"}, key="b",
        address="198.51.100.9",
    )  # fmt: skip
    assert third.status_code == 201


def test_an_account_over_its_limit_is_429(
    settings: Any, donor_client: Any, payment_service: FakePaymentService
) -> None:
    settings.PAYMENT_LIMIT_ACCOUNT = "1/600"
    assert plan_post(donor_client, PLAN_BODY, key="a").status_code == 201

    refused = plan_post(donor_client, PLAN_BODY, key="b")

    assert refused.status_code == 429
    assert "Retry-After" in refused
    assert written()["plans"] == 1


def test_a_guest_s_card_change_needs_the_challenge(
    client: Any, guest_client: Any, verifier: FakeVerifier, payment_service: FakePaymentService
) -> None:
    plan = RecurringPlan.objects.get(pk=guest_post(guest_client).json()["id"])
    assert plan.manage_nonce is not None
    token = manage_token(nonce=plan.manage_nonce)
    path = f"/api/recurring/{plan.pk}/payment-method?manage_token={token}"
    challenge_mode_set("on")
    calls = len(payment_service.calls)

    refused = guest_client.post(path, {}, format="json")

    assert refused.status_code == 403
    assert refused.json()["type"] == CHALLENGE_REQUIRED
    assert len(payment_service.calls) == calls
    solved = guest_client.post(path, {"challenge_token": verifier.token()}, format="json")
    assert solved.status_code == 200
    assert solved.json()["client_secret"] == "seti_1_secret_2"


def test_a_guest_s_3ds_completion_needs_the_challenge_and_makes_nothing_without_it(
    client: Any, guest_client: Any, verifier: FakeVerifier, payment_service: FakePaymentService
) -> None:
    plan = active_plan(
        client, guest_client, anchor=datetime(2030, 1, 31, tzinfo=UTC), body=GUEST_PLAN_BODY
    )
    RecurringPlan.objects.filter(pk=plan.pk).update(next_charge_at=timezone.now())
    plans_charge_due(drain_seconds=5)
    declined = Installment.objects.get(plan=plan, period=1)
    assert declined.pledge is not None
    payment_outcome(client, "PAYMENT_FAILED", declined.pledge, error="authentication_required")
    assert plan.manage_nonce is not None
    path = (
        f"/api/recurring/{plan.pk}/installments/{declined.pledge.pk}/authenticate"
        f"?manage_token={manage_token(nonce=plan.manage_nonce)}"
    )
    challenge_mode_set("on")

    refused = guest_client.post(path, {}, format="json")

    assert refused.status_code == 403
    assert Installment.objects.filter(plan=plan, period=1).count() == 1
    solved = guest_client.post(path, {"challenge_token": verifier.token()}, format="json")
    assert solved.status_code == 201, solved.content
    assert Installment.objects.filter(plan=plan, period=1).count() == 2
