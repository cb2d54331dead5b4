"""Access tokens for tests, signed exactly as user_service signs them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import jwt

from careforall_common.settings import JWT_PRIVATE_KEY_FILE, read_key


def access_token(
    *,
    user_id: int,
    role: str = "donor",
    email: str | None = None,
    name: str = "Test Donor",
    private_key: str | None = None,
    lifetime: timedelta = timedelta(minutes=5),
) -> str:
    """Return an RS256 access token; ``private_key`` defaults to the development key."""
    key = private_key or read_key(JWT_PRIVATE_KEY_FILE)
    now = datetime.now(tz=UTC)
    claims = {
        "token_type": "access",
        "exp": now + lifetime,
        "iat": now,
        "jti": uuid.uuid4().hex,
        "iss": "careforall",
        "user_id": str(user_id),  # as simplejwt writes it
        "role": role,
        "email": email or f"user{user_id}@example.org",
        "name": name,
    }
    return jwt.encode(claims, key, algorithm="RS256")
