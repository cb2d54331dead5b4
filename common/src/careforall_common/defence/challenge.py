"""Challenge mode (off / on / auto) and the verification of a Turnstile-compatible token.

The mode staff chose lives in Redis (``CHALLENGE_MODE`` until someone switches it), so every
replica of every service sees one mode. In ``auto`` the challenge switches on when at least
``CHALLENGE_BAD_SHARE`` of at least ``CHALLENGE_MIN_ATTEMPTS`` guest attempts in the last
``CHALLENGE_WINDOW_SECONDS`` were declined or refused, and off once ``CHALLENGE_CALM_SECONDS``
passed without a declined or refused guest attempt: two different conditions, so it does not
flap at the threshold.
"""

from __future__ import annotations

import hashlib
import logging
import time
import uuid
from dataclasses import dataclass

import requests
from django.conf import settings

from careforall_common.redis_client import redis_client

logger = logging.getLogger(__name__)

MODES = ("off", "on", "auto")
_MODE = "cfa:challenge:mode"
_AUTO_ON = "cfa:challenge:auto-on"  # when auto switched the challenge on (unix seconds)
_LAST_BAD = "cfa:challenge:last-bad"  # the last declined or refused guest attempt
_ATTEMPTS = "cfa:challenge:attempts"
_BAD = "cfa:challenge:bad"
_USED = "cfa:challenge:used:"  # a token's hash, once verified (single use)

_session = requests.Session()
_session.trust_env = False


@dataclass(frozen=True)
class ChallengeState:
    mode: str
    active: bool
    auto_since: float | None


def challenge_mode_set(mode: str) -> None:
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}")
    client = redis_client()
    client.set(_MODE, mode)
    if mode != "auto":
        client.delete(_AUTO_ON)


def challenge_state(*, now: float | None = None) -> ChallengeState:
    """The mode and whether the challenge is on now; Redis down: the configured mode, auto off."""
    now = time.time() if now is None else now
    try:
        mode_raw, auto_on, last_bad = redis_client().mget(_MODE, _AUTO_ON, _LAST_BAD)
    except Exception:
        logger.warning("challenge: Redis unavailable, using CHALLENGE_MODE", exc_info=True)
        mode = settings.CHALLENGE_MODE
        return ChallengeState(mode=mode, active=mode == "on", auto_since=None)
    mode = mode_raw.decode() if mode_raw else settings.CHALLENGE_MODE
    if mode == "auto" and not (settings.CHALLENGE_SITE_KEY and settings.CHALLENGE_SECRET_KEY):
        return ChallengeState(mode=mode, active=False, auto_since=None)  # checks.W002
    if mode != "auto" or auto_on is None:
        return ChallengeState(mode=mode, active=mode == "on", auto_since=None)
    calm_since = float(last_bad) if last_bad else float(auto_on)
    if now - calm_since >= settings.CHALLENGE_CALM_SECONDS:
        redis_client().delete(_AUTO_ON)
        logger.warning("challenge: auto mode switched the challenge off after a calm period")
        return ChallengeState(mode=mode, active=False, auto_since=None)
    return ChallengeState(mode=mode, active=True, auto_since=float(auto_on))


def guest_outcome_record(*, attempt: bool, bad: bool, now: float | None = None) -> bool:
    """Count a guest attempt (``attempt``) and/or a declined or refused one (``bad``) in the
    window; return whether this switched the challenge on (``auto`` only acts on it)."""
    now = time.time() if now is None else now
    window = settings.CHALLENGE_WINDOW_SECONDS
    member = f"{now:.6f}:{uuid.uuid4().hex[:8]}"
    try:
        pipe = redis_client().pipeline()
        for key, counted in ((_ATTEMPTS, attempt), (_BAD, bad)):
            if counted:
                pipe.zadd(key, {member: now})
            pipe.zremrangebyscore(key, "-inf", now - window)
            pipe.expire(key, window)
        if bad:
            pipe.set(_LAST_BAD, f"{now:.6f}", ex=max(window, settings.CHALLENGE_CALM_SECONDS) * 2)
        pipe.zcard(_ATTEMPTS)
        pipe.zcard(_BAD)
        *_, attempts, bad_count = pipe.execute()
        if not bad or attempts < settings.CHALLENGE_MIN_ATTEMPTS:
            return False
        if bad_count < attempts * settings.CHALLENGE_BAD_SHARE:
            return False
        switched = bool(redis_client().set(_AUTO_ON, f"{now:.6f}", nx=True))
    except Exception:
        logger.warning("challenge: Redis unavailable, outcome not counted", exc_info=True)
        return False
    if switched:
        logger.warning(
            "challenge: auto mode switched the challenge on (%d of %d guest attempts bad)",
            bad_count,
            attempts,
        )
    return switched


class ChallengeUnavailable(Exception):
    """The verification service could not be asked."""


def challenge_verify(token: str | None, *, remote_ip: str = "") -> bool:
    """Whether ``token`` is a valid, unused challenge solution (asked of ``CHALLENGE_VERIFY_URL``).

    Single use twice over: the verifier refuses a token it already verified, and a token
    verified here is remembered, so a second request with it fails even against a verifier
    that would accept it again.
    """
    if not token or len(token) > 2048:
        return False
    try:
        response = _session.post(
            settings.CHALLENGE_VERIFY_URL,
            data={
                "secret": settings.CHALLENGE_SECRET_KEY,
                "response": token,
                "remoteip": remote_ip,
            },
            timeout=settings.CHALLENGE_VERIFY_TIMEOUT,
        )
        answer = response.json() if response.status_code == 200 else None
    except (requests.RequestException, ValueError) as error:
        raise ChallengeUnavailable(str(error)) from error
    if not isinstance(answer, dict):
        raise ChallengeUnavailable(f"the verifier answered {response.status_code}")
    if answer.get("success") is not True:
        return False
    digest = hashlib.sha256(token.encode()).hexdigest()
    try:
        return bool(redis_client().set(_USED + digest, "1", nx=True, ex=600))
    except Exception:
        logger.warning("challenge: Redis unavailable, token reuse not recorded", exc_info=True)
        return True
