"""Sign-in abuse (SPEC §2, §3): per-account slow-down and registration that hashes only when due."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher

from accounts.models import Role, User

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-staple"


class CountingHasher(MD5PasswordHasher):
    """A test hasher that counts the hashes it computes."""

    algorithm = "counting_md5"
    computed = 0

    def encode(self, password: str, salt: str) -> str:
        CountingHasher.computed += 1
        return super().encode(password, salt)


@pytest.fixture
def counting_hasher(settings: Any) -> type[CountingHasher]:
    settings.PASSWORD_HASHERS = [f"{__name__}.CountingHasher"]
    CountingHasher.computed = 0
    return CountingHasher


def sign_in(client: Any, email: str, password: str) -> Any:
    return client.post("/api/auth/token", {"email": email, "password": password}, format="json")


def test_registering_a_taken_email_is_409_without_hashing(
    api_client: Any, counting_hasher: type[CountingHasher]
) -> None:
    User.objects.create_user("ada@example.org", PASSWORD, name="Ada")
    counting_hasher.computed = 0

    response = api_client.post(
        "/api/auth/register",
        {"email": "ADA@example.org", "password": PASSWORD, "name": "Ada again"},
        format="json",
    )

    assert response.status_code == 409
    assert response["Content-Type"] == "application/problem+json"
    assert counting_hasher.computed == 0
    assert User.objects.count() == 1


def test_repeated_failures_slow_one_account_down_and_refuse_before_hashing(
    api_client: Any, counting_hasher: type[CountingHasher], settings: Any
) -> None:
    settings.SIGN_IN_FREE_FAILURES = 3
    User.objects.create_user("ada@example.org", PASSWORD, name="Ada")
    failures = [sign_in(api_client, "ada@example.org", "wrong-guess").status_code for _ in range(3)]
    counting_hasher.computed = 0

    refused = sign_in(api_client, "ADA@example.org", PASSWORD)  # even the right password waits

    assert failures == [401, 401, 401]
    assert refused.status_code == 429
    assert refused["Content-Type"] == "application/problem+json"
    assert int(refused["Retry-After"]) >= 1
    assert counting_hasher.computed == 0
    assert sign_in(api_client, "bob@example.org", "wrong-guess").status_code == 401  # others not


def test_an_unknown_email_slows_down_exactly_like_a_known_one(
    api_client: Any, settings: Any
) -> None:
    settings.SIGN_IN_FREE_FAILURES = 2
    User.objects.create_user("ada@example.org", PASSWORD, name="Ada")
    for email in ("ada@example.org", "nobody@example.org"):
        sign_in(api_client, email, "wrong-guess")
        sign_in(api_client, email, "wrong-guess")

    known = sign_in(api_client, "ada@example.org", "wrong-guess")
    unknown = sign_in(api_client, "nobody@example.org", "wrong-guess")

    assert known.status_code == unknown.status_code == 429
    assert known.json() == unknown.json()


def test_a_success_forgets_the_failures(api_client: Any, settings: Any) -> None:
    settings.SIGN_IN_FREE_FAILURES = 3
    User.objects.create_user("ada@example.org", PASSWORD, name="Ada")
    sign_in(api_client, "ada@example.org", "wrong-guess")
    sign_in(api_client, "ada@example.org", "wrong-guess")
    assert sign_in(api_client, "ada@example.org", PASSWORD).status_code == 200

    again = [sign_in(api_client, "ada@example.org", "wrong-guess").status_code for _ in range(3)]

    assert again == [401, 401, 401]


def test_the_admin_form_counts_and_waits_too(client: Any, settings: Any) -> None:
    settings.SIGN_IN_FREE_FAILURES = 2
    User.objects.create_user("staff@example.org", PASSWORD, name="Staff", role=Role.STAFF)
    for _ in range(2):
        client.post("/admin/users/login/", {"username": "staff@example.org", "password": "no"})

    login = client.post(
        "/admin/users/login/",
        {"username": "staff@example.org", "password": PASSWORD, "next": "/admin/users/"},
    )

    assert login.status_code == 200  # the form again: the account must wait
    assert client.get("/admin/users/accounts/user/").status_code == 302
