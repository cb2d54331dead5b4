"""The card-testing defence (careforall_common.defence): limits, the challenge, auto mode.

Against the real Redis; the challenge's verifier is a stand-in that, like Cloudflare's, accepts
each token it issued once.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs

import pytest
import redis

from careforall_common import ratelimit
from careforall_common import redis_client as redis_client_module
from careforall_common.defence import challenge
from careforall_common.defence.attempts import (
    Attempt,
    ChallengeRequired,
    TooManyAttempts,
    attempt_admit,
    attempt_declined,
    card_decline_record,
    card_remember,
    card_suspicious,
)
from careforall_common.defence.challenge import challenge_mode_set, challenge_state
from careforall_common.problems import Problem
from careforall_common.redis_client import redis_client
from careforall_common.testing.peers import FakePeer, peer_served


class FakeVerifier(FakePeer):
    """``siteverify``: tokens it issued succeed once; a second use is ``timeout-or-duplicate``."""

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
def _own_redis_database(monkeypatch: pytest.MonkeyPatch) -> None:
    """The defence's keys in a Redis database of their own: a platform running on this machine
    (database 0) never sees the modes these tests switch."""
    monkeypatch.setattr(
        redis_client_module, "_client", redis.Redis.from_url("redis://127.0.0.1:6379/11")
    )
    monkeypatch.setattr(ratelimit, "_scripts", {})  # scripts are bound to their client


@pytest.fixture(autouse=True)
def _clean(settings: Any, _own_redis_database: None) -> None:
    settings.PAYMENT_LIMITS = "on"
    settings.CHALLENGE_MODE = "auto"
    settings.CHALLENGE_MIN_ATTEMPTS = 10
    settings.CHALLENGE_BAD_SHARE = 0.3
    settings.CHALLENGE_CALM_SECONDS = 600
    client = redis_client()
    for key in client.scan_iter("cfa:challenge:*"):
        client.delete(key)
    for key in client.scan_iter("cfa:limit:*"):
        client.delete(key)


@pytest.fixture
def verifier(settings: Any) -> Iterator[FakeVerifier]:
    with peer_served(settings, "verifier", FakeVerifier()) as fake:
        settings.CHALLENGE_VERIFY_URL = fake.url + "/turnstile/v0/siteverify"
        yield fake


def _guest(address: str = "203.0.113.7", email: str = "g@example.org", **kw: Any) -> Attempt:
    return Attempt(address=address, email=email, campaign_id=7, **kw)


def test_a_guest_address_over_its_limit_gets_429_with_retry_after(settings: Any) -> None:
    settings.PAYMENT_LIMIT_GUEST_ADDRESS = "3/600"
    for n in range(3):
        attempt_admit(_guest(email=f"{n}@example.org"))
    with pytest.raises(TooManyAttempts) as refused:
        attempt_admit(_guest(email="4@example.org"))
    assert refused.value.status_code == 429
    assert 590 <= refused.value.wait <= 600
    attempt_admit(_guest(address="203.0.113.8", email="5@example.org"))  # another address


def test_the_guest_email_and_account_limits(settings: Any) -> None:
    settings.PAYMENT_LIMIT_GUEST_EMAIL = "2/600"
    settings.PAYMENT_LIMIT_ACCOUNT = "2/600"
    attempt_admit(_guest(address="198.51.100.1", email="Same@example.org"))
    attempt_admit(_guest(address="198.51.100.2", email="same@example.org"))
    with pytest.raises(TooManyAttempts):
        attempt_admit(_guest(address="198.51.100.3", email="SAME@example.org"))
    donor = Attempt(address="198.51.100.4", user_id=42)
    attempt_admit(donor)
    attempt_admit(donor)
    with pytest.raises(TooManyAttempts):
        attempt_admit(donor)


def test_limits_off_admit_everything(settings: Any) -> None:
    settings.PAYMENT_LIMITS = "off"
    settings.PAYMENT_LIMIT_GUEST_ADDRESS = "1/600"
    for n in range(5):
        attempt_admit(_guest(email=f"{n}@example.org"))


def test_a_card_with_a_run_of_declines_is_refused_and_suspicious(settings: Any) -> None:
    settings.PAYMENT_LIMIT_CARD_DECLINES = "5/3600"
    fingerprint = f"fp_{uuid.uuid4().hex[:8]}"
    card_remember("pm_stolen", fingerprint)
    attempt_admit(_guest(payment_method="pm_stolen"))
    card_decline_record(fingerprint, code="card_declined")
    assert not card_suspicious(fingerprint)
    card_decline_record(fingerprint, code="stolen_card")  # a fraud-type code counts 3
    assert not card_suspicious(fingerprint)
    card_decline_record(fingerprint, code="card_declined")
    assert card_suspicious(fingerprint)
    with pytest.raises(TooManyAttempts):
        attempt_admit(
            _guest(address="192.0.2.50", email="other@example.org", payment_method="pm_stolen")
        )


def test_challenge_on_refuses_missing_bad_and_reused_tokens(verifier: FakeVerifier) -> None:
    challenge_mode_set("on")
    with pytest.raises(ChallengeRequired) as missing:
        attempt_admit(_guest())
    assert missing.value.status_code == 403
    assert missing.value.extra["type"].endswith("challenge-required")
    with pytest.raises(ChallengeRequired):
        attempt_admit(_guest(challenge_token="never-issued"))
    token = verifier.token()
    attempt_admit(_guest(challenge_token=token))
    with pytest.raises(ChallengeRequired):
        attempt_admit(_guest(challenge_token=token))  # single use
    attempt_admit(Attempt(address="192.0.2.1", user_id=9))  # signed-in donors never see it


def test_a_429_is_answered_before_a_403(settings: Any, verifier: FakeVerifier) -> None:
    settings.PAYMENT_LIMIT_GUEST_ADDRESS = "1/600"
    challenge_mode_set("on")
    attempt_admit(_guest(challenge_token=verifier.token()))
    with pytest.raises(TooManyAttempts):
        attempt_admit(_guest(email="x@example.org"))


def test_auto_switches_on_under_a_decline_spike_and_off_after_calm(
    settings: Any, verifier: FakeVerifier
) -> None:
    for n in range(7):  # 7 good attempts
        attempt_admit(_guest(address=f"10.0.0.{n}", email=f"{n}@example.org"))
    assert not challenge_state().active
    for n in range(3):  # 3 declined of 10: 30 %
        attempt = _guest(address=f"10.0.1.{n}", email=f"d{n}@example.org")
        attempt_admit(attempt)
        attempt_declined(attempt, code="card_declined")
    state = challenge_state()
    assert (state.mode, state.active) == ("auto", True)
    with pytest.raises(ChallengeRequired):
        attempt_admit(_guest(address="10.0.2.1", email="late@example.org"))
    # Calm: no declined or refused guest attempt for CHALLENGE_CALM_SECONDS.
    last_bad = float(redis_client().get("cfa:challenge:last-bad"))
    assert challenge_state(now=last_bad + 599).active
    assert not challenge_state(now=last_bad + 600).active
    attempt_admit(_guest(address="10.0.2.2", email="calm@example.org"))


def test_the_verifier_unreachable_is_503_not_a_pass(settings: Any) -> None:
    settings.CHALLENGE_VERIFY_URL = "http://127.0.0.1:9/siteverify"
    challenge_mode_set("on")
    with pytest.raises(Problem) as refused:
        attempt_admit(_guest(challenge_token="anything"))
    assert refused.value.status_code == 503


def test_the_mode_is_checked() -> None:
    with pytest.raises(ValueError, match="mode must be one of"):
        challenge_mode_set("sometimes")
    challenge_mode_set("off")
    assert challenge_state().mode == "off"
    assert json.dumps(challenge.MODES) == '["off", "on", "auto"]'


def test_while_the_challenge_is_on_the_campaign_limit_waits_for_it(
    settings: Any, verifier: FakeVerifier
) -> None:
    settings.PAYMENT_LIMIT_CAMPAIGN = "2/600"
    for n in range(2):
        attempt_admit(_guest(address=f"10.1.0.{n}", email=f"c{n}@example.org"))
    with pytest.raises(TooManyAttempts):
        attempt_admit(_guest(address="10.1.0.9", email="c9@example.org"))
    challenge_mode_set("on")  # the testers' refused attempts no longer fill the campaign's limit
    attempt_admit(
        _guest(address="10.1.0.10", email="donor@example.org", challenge_token=verifier.token())
    )
