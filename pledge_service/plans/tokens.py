"""Guests' manage tokens (SPEC §3 "Recurring gifts"): like receipt tokens, stored only as a hash.

token = urlsafe-base64(HMAC-SHA256(key derived from ``RECEIPT_SECRET``, nonce)) under a salt of
its own, so a plan's token never opens a pledge and a pledge's receipt token never a plan. The plan
keeps the nonce (the emails' links recompute the token) and ``sha256(token)``, which a request's
``?manage_token=`` is compared with.
"""

from __future__ import annotations

import base64
import secrets

from django.conf import settings
from django.utils.crypto import salted_hmac

_SALT = "careforall.plans.manage_token"


def manage_nonce_new() -> str:
    return secrets.token_hex(16)


def manage_token(*, nonce: str) -> str:
    digest = salted_hmac(_SALT, nonce, secret=settings.RECEIPT_SECRET, algorithm="sha256").digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
