"""Accounts through the gateway (SPEC §3) and stateless JWT in every service (SPEC §2)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import jwt
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from integration.support import PASSWORD, Donor, assert_problem, bearer, sign_in


def test_register_duplicate_in_other_case_is_409(gateway: str) -> None:
    email = f"Case-{uuid.uuid4().hex[:8]}@Example.org"
    body = {"email": email, "password": PASSWORD, "name": "Case"}

    first = requests.post(f"{gateway}/api/auth/register", json=body, timeout=10)
    second = requests.post(
        f"{gateway}/api/auth/register", json={**body, "email": email.upper()}, timeout=10
    )

    assert first.status_code == 201
    assert first.json()["email"] == email.lower()
    assert first.json()["role"] == "donor"
    assert "password" not in first.json()
    assert_problem(second, 409)


def test_wrong_password_and_unknown_email_answer_the_same_401(gateway: str, donor: Donor) -> None:
    wrong = requests.post(
        f"{gateway}/api/auth/token", json={"email": donor.email, "password": "x" * 12}, timeout=10
    )
    unknown = requests.post(
        f"{gateway}/api/auth/token",
        json={"email": f"nobody-{uuid.uuid4().hex}@example.org", "password": "x" * 12},
        timeout=10,
    )

    assert_problem(wrong, 401)
    assert wrong.json() == unknown.json()


def test_sign_in_is_case_insensitive_and_me_refresh_work(gateway: str, donor: Donor) -> None:
    tokens = sign_in(gateway, donor.email.upper(), PASSWORD)
    refreshed = requests.post(
        f"{gateway}/api/auth/token/refresh", json={"refresh": tokens["refresh"]}, timeout=10
    )
    me = requests.get(
        f"{gateway}/api/auth/me", headers=bearer(refreshed.json()["access"]), timeout=10
    )

    assert refreshed.status_code == 200
    assert me.status_code == 200
    assert me.json()["id"] == donor.id
    assert set(me.json()) == {"id", "email", "name", "role", "created_at"}


def test_jwks_verifies_the_issued_tokens(gateway: str, donor: Donor) -> None:
    keys = requests.get(f"{gateway}/api/auth/jwks.json", timeout=10).json()["keys"]

    public = jwt.PyJWK(keys[0]).key
    claims = jwt.decode(donor.access, public, algorithms=["RS256"], issuer="careforall")

    assert int(claims["user_id"]) == donor.id
    assert claims["role"] == "donor"


def forged_token(user_id: int, role: str) -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    now = datetime.now(tz=UTC)
    claims = {
        "token_type": "access",
        "user_id": str(user_id),
        "role": role,
        "iss": "careforall",
        "jti": uuid.uuid4().hex,
        "iat": now,
        "exp": now + timedelta(minutes=5),
    }
    return jwt.encode(claims, pem, algorithm="RS256")


def test_a_token_signed_with_another_key_is_401_everywhere(gateway: str, donor: Donor) -> None:
    forged = bearer(forged_token(donor.id, "staff"))

    assert_problem(requests.get(f"{gateway}/api/auth/me", headers=forged, timeout=10), 401)
    assert_problem(
        requests.post(f"{gateway}/api/campaigns", json={}, headers=forged, timeout=10), 401
    )
    # An invalid token is never treated as a guest, even where guests are welcome.
    assert_problem(requests.get(f"{gateway}/api/campaigns", headers=forged, timeout=10), 401)
