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
