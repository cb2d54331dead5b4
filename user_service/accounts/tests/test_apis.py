"""Accounts API (SPEC §3), against the real MariaDB test database."""

from __future__ import annotations

from typing import Any

import jwt
import pytest
from django.conf import settings

from accounts.models import Role, User
from careforall_common.keys import generate_pem_pair
from careforall_common.testing.tokens import access_token

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-staple"


def register(client: Any, **overrides: Any) -> Any:
    body = {"email": "Ada@Example.org", "password": PASSWORD, "name": "Ada Lovelace", **overrides}
    return client.post("/api/auth/register", body, format="json")


def test_register_creates_a_donor_with_lower_cased_email(api_client: Any) -> None:
    response = register(api_client)

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "email", "name", "role", "created_at"}
    assert body["email"] == "ada@example.org"
    assert body["role"] == "donor"
    user = User.objects.get()
    assert user.email == "ada@example.org"
    assert user.check_password(PASSWORD)
    assert user.password != PASSWORD


def test_duplicate_email_in_other_case_is_a_conflict(api_client: Any) -> None:
    register(api_client)

    response = register(api_client, email="ADA@EXAMPLE.ORG")

    assert response.status_code == 409
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 409
    assert User.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"password": "123"}, "password"),
        ({"password": "password"}, "password"),
        ({"email": "not-an-email"}, "email"),
        ({"name": ""}, "name"),
        ({"name": 42}, "name"),
        ({"role": "staff"}, "role"),
    ],
)
def test_invalid_registration_is_refused_and_writes_nothing(
    api_client: Any, overrides: dict[str, Any], field: str
) -> None:
    response = register(api_client, **overrides)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert field in [error["field"] for error in response.json()["errors"]]
    assert User.objects.count() == 0


def test_malformed_json_is_a_problem(api_client: Any) -> None:
    response = api_client.post("/api/auth/register", "{not json", content_type="application/json")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert User.objects.count() == 0


def test_token_signs_in_case_insensitively_and_carries_the_role(api_client: Any) -> None:
    register(api_client)

    response = api_client.post(
        "/api/auth/token", {"email": "ADA@example.ORG", "password": PASSWORD}, format="json"
    )

    assert response.status_code == 200
    body = response.json()
    assert body["user"]["email"] == "ada@example.org"
    claims = jwt.decode(
        body["access"],
        str(settings.SIMPLE_JWT["VERIFYING_KEY"]),
        algorithms=["RS256"],
        issuer="careforall",
    )
    assert jwt.get_unverified_header(body["access"])["alg"] == "RS256"
    assert claims["role"] == "donor"
    assert claims["email"] == "ada@example.org"
    assert int(claims["user_id"]) == body["user"]["id"]


def test_wrong_password_and_unknown_email_get_the_same_401(api_client: Any) -> None:
    register(api_client)

    wrong = api_client.post(
        "/api/auth/token", {"email": "ada@example.org", "password": "nope-nope"}, format="json"
    )
    unknown = api_client.post(
        "/api/auth/token", {"email": "bob@example.org", "password": "nope-nope"}, format="json"
    )

    assert wrong.status_code == unknown.status_code == 401
    assert wrong["Content-Type"] == "application/problem+json"
    assert wrong.json() == unknown.json()


def test_me_and_refresh(api_client: Any) -> None:
    register(api_client)
    tokens = api_client.post(
        "/api/auth/token", {"email": "ada@example.org", "password": PASSWORD}, format="json"
    ).json()

    refreshed = api_client.post(
        "/api/auth/token/refresh", {"refresh": tokens["refresh"]}, format="json"
    )
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {refreshed.json()['access']}")
    me = api_client.get("/api/auth/me")

    assert refreshed.status_code == 200
    assert me.status_code == 200
    assert me.json()["email"] == "ada@example.org"
    assert "password" not in me.json()


def test_refresh_with_an_access_token_is_refused(api_client: Any) -> None:
    register(api_client)
    tokens = api_client.post(
        "/api/auth/token", {"email": "ada@example.org", "password": PASSWORD}, format="json"
    ).json()

    response = api_client.post(
        "/api/auth/token/refresh", {"refresh": tokens["access"]}, format="json"
    )

    assert response.status_code == 401


def test_me_without_a_token_is_401(api_client: Any) -> None:
    response = api_client.get("/api/auth/me")

    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"


def test_token_signed_with_another_key_is_401(api_client: Any) -> None:
    user = User.objects.create_user("ada@example.org", PASSWORD, name="Ada")
    other_private, _ = generate_pem_pair()
    forged = access_token(user_id=user.pk, role="staff", private_key=other_private)

    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {forged}")
    response = api_client.get("/api/auth/me")

    assert response.status_code == 401


def test_jwks_publishes_the_verifying_key(api_client: Any) -> None:
    response = api_client.get("/api/auth/jwks.json")

    assert response.status_code == 200
    (key,) = response.json()["keys"]
    assert key["kty"] == "RSA"
    assert key["alg"] == "RS256"
    public = jwt.PyJWK(key).key
    token = access_token(user_id=7)
    assert jwt.decode(token, public, algorithms=["RS256"], issuer="careforall")["user_id"] == "7"


def test_staff_ensure_is_idempotent_and_makes_staff(settings: Any) -> None:
    from django.core.management import call_command

    call_command("ensure_staff")
    call_command("ensure_staff")

    user = User.objects.get(email=settings.ADMIN_EMAIL)
    assert user.role == Role.STAFF
    assert user.is_staff
    assert user.check_password(settings.ADMIN_PASSWORD)
    assert User.objects.count() == 1


def test_staff_signs_in_to_the_admin_and_a_donor_cannot(client: Any) -> None:
    User.objects.create_user("staff@example.org", PASSWORD, name="Staff", role=Role.STAFF)
    User.objects.create_user("donor@example.org", PASSWORD, name="Donor")

    staff_login = client.post(
        "/admin/users/login/",
        {"username": "STAFF@example.org", "password": PASSWORD, "next": "/admin/users/"},
    )
    assert staff_login.status_code == 302
    assert client.get("/admin/users/accounts/user/").status_code == 200

    client.logout()
    donor_login = client.post(
        "/admin/users/login/", {"username": "donor@example.org", "password": PASSWORD}
    )
    assert donor_login.status_code == 200  # the form again, with an error
    assert client.get("/admin/users/accounts/user/").status_code == 302


def test_flower_access_is_for_staff_only(api_client: Any) -> None:
    assert api_client.get("/internal/auth/staff").status_code == 401

    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token(user_id=1, role='donor')}")
    assert api_client.get("/internal/auth/staff").status_code == 403

    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token(user_id=1, role='staff')}")
    assert api_client.get("/internal/auth/staff").status_code == 204


def test_the_internal_staff_status_is_signed_and_current(api_client: Any) -> None:
    from careforall_common import signing

    user = User.objects.create_user("staff@example.org", PASSWORD, name="Staff", role=Role.STAFF)

    def status(email: str, signed: bool = True) -> Any:
        path = f"/internal/accounts/staff?email={email}"
        header = signing.sign(path.encode(), secret=settings.INTERNAL_EVENT_SECRET)
        return api_client.get(path, **({"HTTP_X_CAREFORALL_SIGNATURE": header} if signed else {}))

    assert status("STAFF%40example.org").json() == {"email": "staff@example.org", "staff": True}
    assert status("staff%40example.org", signed=False).status_code == 403
    assert status("nobody%40example.org").json()["staff"] is False
    user.role = Role.DONOR
    user.save()
    assert status("staff%40example.org").json()["staff"] is False
    user.role, user.is_active = Role.STAFF, False
    user.save()
    assert status("staff%40example.org").json()["staff"] is False
