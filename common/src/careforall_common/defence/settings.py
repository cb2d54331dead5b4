"""Settings of the card-testing defence (SPEC §3, docs/card-testing.md), star-imported by the
shared settings: limits on payment attempts before any provider call ("N/S": at most N attempts
per S seconds) and a Turnstile-compatible challenge."""

from __future__ import annotations

import environ

__all__ = [
    "CAREFORALL_SANDBOX",
    "CHALLENGE_BAD_SHARE",
    "CHALLENGE_CALM_SECONDS",
    "CHALLENGE_MIN_ATTEMPTS",
    "CHALLENGE_MODE",
    "CHALLENGE_SCRIPT_URL",
    "CHALLENGE_SECRET_KEY",
    "CHALLENGE_SITE_KEY",
    "CHALLENGE_VERIFY_TIMEOUT",
    "CHALLENGE_VERIFY_URL",
    "CHALLENGE_WINDOW_SECONDS",
    "PAYMENT_LIMITS",
    "PAYMENT_LIMIT_ACCOUNT",
    "PAYMENT_LIMIT_CAMPAIGN",
    "PAYMENT_LIMIT_CARD_DECLINES",
    "PAYMENT_LIMIT_GUEST_ADDRESS",
    "PAYMENT_LIMIT_GUEST_EMAIL",
]

env = environ.FileAwareEnv()
# A secret the development Turnstile stand-in verifies for real (only tokens it issued, once);
# Cloudflare's test secrets would pass any token.
DEV_CHALLENGE_SECRET_KEY = "careforall-development-challenge-secret"  # noqa: S105
DEBUG = env.bool("DJANGO_DEBUG", default=False)

PAYMENT_LIMITS = env.str("PAYMENT_LIMITS", default="on")  # "off": development and demos only
CAREFORALL_SANDBOX = env.bool("CAREFORALL_SANDBOX", default=False)  # a demo: no money moves
PAYMENT_LIMIT_GUEST_ADDRESS = env.str("PAYMENT_LIMIT_GUEST_ADDRESS", default="20/600")
PAYMENT_LIMIT_GUEST_EMAIL = env.str("PAYMENT_LIMIT_GUEST_EMAIL", default="5/600")
PAYMENT_LIMIT_ACCOUNT = env.str("PAYMENT_LIMIT_ACCOUNT", default="30/600")
PAYMENT_LIMIT_CARD_DECLINES = env.str("PAYMENT_LIMIT_CARD_DECLINES", default="5/3600")
PAYMENT_LIMIT_CAMPAIGN = env.str("PAYMENT_LIMIT_CAMPAIGN", default="600/600")  # guest attempts
CHALLENGE_MODE = env.str("CHALLENGE_MODE", default="auto")  # off | on | auto
CHALLENGE_CALM_SECONDS = env.int("CHALLENGE_CALM_SECONDS", default=600)
CHALLENGE_WINDOW_SECONDS = env.int("CHALLENGE_WINDOW_SECONDS", default=300)
CHALLENGE_MIN_ATTEMPTS = env.int("CHALLENGE_MIN_ATTEMPTS", default=50)
CHALLENGE_BAD_SHARE = env.float("CHALLENGE_BAD_SHARE", default=0.30)
_SANDBOX_URL = env.str("STRIPE_API_BASE", default="http://127.0.0.1:12111" if DEBUG else "")
CHALLENGE_SITE_KEY = env.str(
    "CHALLENGE_SITE_KEY", default="1x00000000000000000000AA" if DEBUG else ""
)
CHALLENGE_SECRET_KEY = env.str(
    "CHALLENGE_SECRET_KEY", default=DEV_CHALLENGE_SECRET_KEY if DEBUG else ""
)
CHALLENGE_VERIFY_URL = env.str(
    "CHALLENGE_VERIFY_URL",
    default=f"{_SANDBOX_URL}/turnstile/v0/siteverify"
    if _SANDBOX_URL
    else "https://challenges.cloudflare.com/turnstile/v0/siteverify",
)
CHALLENGE_SCRIPT_URL = env.str(
    "CHALLENGE_SCRIPT_URL",
    default=f"{_SANDBOX_URL}/turnstile/v0/api.js"
    if _SANDBOX_URL
    else "https://challenges.cloudflare.com/turnstile/v0/api.js",
)
CHALLENGE_VERIFY_TIMEOUT = env.float("CHALLENGE_VERIFY_TIMEOUT", default=3.0)
