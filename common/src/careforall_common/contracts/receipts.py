"""The check of a guest's receipt token (SPEC §3), the same on both sides of a service call.

pledge_service makes the token and keeps only its SHA-256; payment_service receives that hash
with the pledge's facts and checks a guest's token against it without knowing the secret.
"""

from __future__ import annotations

import hashlib
import hmac


def receipt_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def receipt_token_matches(*, token: str | None, token_hash: str | None) -> bool:
    """Whether ``token`` is the one whose hash is ``token_hash`` (constant time)."""
    if not token or not token_hash:
        return False
    return hmac.compare_digest(receipt_token_hash(token), token_hash)
