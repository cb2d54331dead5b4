"""Guests' receipt tokens (SPEC §3): reproducible from the pledge, stored only as a hash.

token = urlsafe-base64(HMAC-SHA256(key derived from ``RECEIPT_SECRET``, nonce)), where the nonce is
random per pledge and stored on it. The token itself is never stored: the idempotency record keeps
the body without it, and each answer (the first and every replay) recomputes it. The pledge keeps
``sha256(token)``, which is what a GET compares and what payment_service receives to check a
guest's token without knowing the secret.

The MAC covers the nonce alone, not the pledge id, so that the hash is known before the pledge is
inserted and the create stays three inserts; a token still opens only its own pledge, since the
hash is compared on that pledge's row.
"""

from __future__ import annotations

import base64
import secrets

from django.conf import settings
from django.utils.crypto import salted_hmac

_SALT = "careforall.pledges.receipt_token"


def receipt_nonce_new() -> str:
    return secrets.token_hex(16)


def receipt_token(*, nonce: str) -> str:
    digest = salted_hmac(_SALT, nonce, secret=settings.RECEIPT_SECRET, algorithm="sha256").digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
