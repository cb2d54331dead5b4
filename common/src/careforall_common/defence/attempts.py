"""The gate every payment attempt passes before any provider call, and what its outcome teaches.

    attempt = Attempt(address=..., user_id=..., email=..., campaign_id=..., challenge_token=...)
    attempt_admit(attempt)            # 429 over a limit, then 403 without a valid challenge
    ... the provider call ...
    attempt_declined(attempt, code)   # a decline the provider answered at once

Declines reported later (webhooks) call ``guest_decline_record`` and ``card_decline_record``.
Neither refusal touches the caller's idempotency record: the gate runs before the create, so
the same ``Idempotency-Key`` with a token goes through afterwards (SPEC §3).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from prometheus_client import Counter

from careforall_common.defence.challenge import (
    ChallengeUnavailable,
    challenge_state,
    challenge_verify,
    guest_outcome_record,
)
from careforall_common.defence.limits import AttemptLimits, decline_weight, limits_on
from careforall_common.problems import Problem
from careforall_common.ratelimit import Limit, limits_add, limits_hit, limits_over
from careforall_common.redis_client import redis_client

logger = logging.getLogger(__name__)

PROBLEM_BASE = "urn:careforall:problem:"  # the problem types of this module end with their name
_CARD_OF = "cfa:card-of:"  # a payment method id → its card's fingerprint, once learned

REFUSED = Counter(
    "careforall_payment_attempts_refused",
    "Payment attempts refused before any provider call, by reason (limit, challenge).",
    ["reason"],
)
CHALLENGE_SWITCHED_ON = Counter(
    "careforall_challenge_switched_on",
    "Times auto mode switched the challenge on (a card-testing attack suspected).",
)


class TooManyAttempts(Problem):
    """429 with ``Retry-After`` (DRF's exception handler sets it from ``wait``)."""

    def __init__(self, wait: int) -> None:
        super().__init__(
            429,
            "Too many payment attempts; try again later.",
            type=PROBLEM_BASE + "too-many-attempts",
            retry_after=wait,
        )
        self.wait = wait


class ChallengeRequired(Problem):
    def __init__(self, detail: str) -> None:
        super().__init__(403, detail, type=PROBLEM_BASE + "challenge-required")


@dataclass(frozen=True)
class Attempt:
    """One try to move money: who (an account, or a guest's address and email) and where."""

    address: str
    user_id: int | None = None
    email: str = ""
    campaign_id: int | None = None
    challenge_token: str | None = None
    payment_method: str = ""  # a server-confirmed attempt's card, when known

    @property
    def guest(self) -> bool:
        return self.user_id is None


def attempt_admit(attempt: Attempt) -> None:
    """Let ``attempt`` reach the provider, or raise 429 (a limit) or 403 (the challenge)."""
    challenged = attempt.guest and challenge_state().active
    if limits_on():
        wait = limits_hit(_checks(attempt, AttemptLimits.current(), challenged=challenged))
        card_wait = _card_wait(attempt)
        wait = max(wait or 0, card_wait or 0) or None
        if wait is not None:
            REFUSED.labels("limit").inc()
            _guest_refused(attempt)
            raise TooManyAttempts(wait)
    if not attempt.guest:
        return
    if challenged:
        try:
            solved = challenge_verify(attempt.challenge_token, remote_ip=attempt.address)
        except ChallengeUnavailable as error:
            logger.warning("challenge: verifier unavailable: %s", error)
            raise Problem(503, "The challenge cannot be checked right now; try again.") from None
        if not solved:
            REFUSED.labels("challenge").inc()
            _guest_refused(attempt)
            missing = not attempt.challenge_token
            raise ChallengeRequired(
                "Please complete the challenge to continue."
                if missing
                else "The challenge answer is invalid or was already used."
            )
    if guest_outcome_record(attempt=True, bad=False):
        CHALLENGE_SWITCHED_ON.inc()


def attempt_declined(attempt: Attempt, *, code: str | None = None, fingerprint: str = "") -> None:
    """Record a decline the provider answered for ``attempt``."""
    if attempt.guest:
        guest_decline_record()
    card_decline_record(fingerprint, code=code)


def guest_decline_record() -> None:
    """A guest's payment was declined (now or, through a webhook, later)."""
    if guest_outcome_record(attempt=False, bad=True):
        CHALLENGE_SWITCHED_ON.inc()


def card_decline_record(fingerprint: str, *, code: str | None = None) -> int:
    """Count a decline of the card ``fingerprint`` (fraud-type codes weigh more)."""
    if not fingerprint:
        return 0
    return limits_add(
        AttemptLimits.current().card_declines, fingerprint, weight=decline_weight(code)
    )


def card_suspicious(fingerprint: str) -> bool:
    """Whether the card had a run of declines: its authorizations are canceled, not captured."""
    if not fingerprint or not limits_on():
        return False
    return limits_over(AttemptLimits.current().card_declines, fingerprint) is not None


def card_remember(payment_method: str, fingerprint: str) -> None:
    """Learn which card a payment method id is (from the provider's events), for a day."""
    if payment_method and fingerprint:
        try:
            redis_client().set(_CARD_OF + payment_method, fingerprint, ex=86_400)
        except Exception:
            logger.warning("defence: Redis unavailable, card not remembered", exc_info=True)


def _card_wait(attempt: Attempt) -> int | None:
    if not attempt.payment_method:
        return None
    try:
        fingerprint = redis_client().get(_CARD_OF + attempt.payment_method)
    except Exception:
        return None
    if not fingerprint:
        return None
    return limits_over(AttemptLimits.current().card_declines, fingerprint.decode())


def _checks(
    attempt: Attempt, limits: AttemptLimits, *, challenged: bool
) -> list[tuple[Limit, str]]:
    if not attempt.guest:
        return [(limits.account, str(attempt.user_id))]
    # While the challenge is on, it guards the campaign: the card testers' refused attempts
    # would otherwise fill the campaign's limit, and a donor come to answer the challenge would
    # meet a 429 first (guarantee 12: a donor who answers the challenge always can give).
    campaign = str(attempt.campaign_id) if attempt.campaign_id and not challenged else ""
    return [
        (limits.guest_address, attempt.address),
        (limits.guest_email, attempt.email.lower()),
        (limits.campaign, campaign),
    ]


def _guest_refused(attempt: Attempt) -> None:
    if attempt.guest and guest_outcome_record(attempt=True, bad=True):
        CHALLENGE_SWITCHED_ON.inc()
