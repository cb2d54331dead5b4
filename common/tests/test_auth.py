"""Stateless JWT (SPEC §2): verified with the public key; invalid never means guest."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from careforall_common.keys import generate_pem_pair, jwk
from careforall_common.testing.tokens import access_token


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_valid_token_identifies_the_user_without_a_database(api_client: Any) -> None:
    response = api_client.get("/whoami", **bearer(access_token(user_id=42, role="staff")))

    assert response.status_code == 200
    assert response.json() == {"id": 42, "role": "staff", "is_staff": True}


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(
            lambda: access_token(user_id=1, private_key=generate_pem_pair()[0]), id="other-key"
        ),
        pytest.param(lambda: access_token(user_id=1, lifetime=timedelta(minutes=-5)), id="expired"),
        pytest.param(lambda: "not.a.jwt", id="garbage"),
    ],
)
def test_invalid_tokens_are_401_even_on_public_views(api_client: Any, token: Any) -> None:
    protected = api_client.get("/whoami", **bearer(token()))
    public = api_client.post("/echo", {"amount": 1}, format="json", **bearer(token()))

    assert protected.status_code == 401
    assert public.status_code == 401
    assert protected["Content-Type"] == "application/problem+json"


def test_a_symmetric_hs256_token_is_refused(api_client: Any) -> None:
    import jwt

    forged = jwt.encode(
        {
            "user_id": "1",
            "token_type": "access",
            "role": "staff",
            "iss": "careforall",
            "exp": 9999999999,
            "jti": "x",
        },
        "a-shared-secret-that-nobody-should-trust-0123456789",
        algorithm="HS256",
    )

    assert api_client.get("/whoami", **bearer(forged)).status_code == 401


def test_missing_token_is_401_and_donor_is_403_on_staff_views(api_client: Any) -> None:
    assert api_client.get("/staff").status_code == 401
    donor = api_client.get("/staff", **bearer(access_token(user_id=2, role="donor")))
    assert donor.status_code == 403
    assert donor["Content-Type"] == "application/problem+json"


def test_jwk_has_a_stable_thumbprint() -> None:
    _, public = generate_pem_pair()

    assert jwk(public) == jwk(public)
    assert jwk(public)["kid"] != jwk(generate_pem_pair()[1])["kid"]


def test_a_token_is_verified_once_and_remembered_until_it_expires(
    api_client: Any, monkeypatch: Any
) -> None:
    import time

    from rest_framework_simplejwt.backends import TokenBackend

    from careforall_common import auth

    auth.verified_tokens_clear()
    decoded: list[bytes] = []
    decode = TokenBackend.decode

    def counted(self: Any, token: Any, verify: bool = True) -> Any:
        decoded.append(token)
        return decode(self, token, verify)

    monkeypatch.setattr(TokenBackend, "decode", counted)
    token = access_token(user_id=42, role="staff", lifetime=timedelta(minutes=5))

    for _ in range(3):
        assert api_client.get("/whoami", **bearer(token)).status_code == 200
    assert len(decoded) == 1

    # Past its exp (and the leeway), the remembered token is verified again, and refused.
    later = time.time() + 5 * 60 + 10
    monkeypatch.setattr(time, "time", lambda: later)
    import jwt.api_jwt

    monkeypatch.setattr(jwt.api_jwt, "datetime", _FrozenDatetime(later))
    assert api_client.get("/whoami", **bearer(token)).status_code == 401
    assert len(decoded) == 2
    auth.verified_tokens_clear()


class _FrozenDatetime:
    """``datetime`` as PyJWT uses it (``now(tz=...)``), at ``timestamp``."""

    def __init__(self, timestamp: float) -> None:
        self.timestamp = timestamp

    def now(self, tz: Any = None) -> Any:
        from datetime import datetime

        return datetime.fromtimestamp(self.timestamp, tz=tz)

    def __getattr__(self, name: str) -> Any:
        from datetime import datetime

        return getattr(datetime, name)
