"""pytest plugin of every service's suite, loaded with ``-p careforall_common.testing.plugin``."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: Any, parser: Any, args: Any) -> None:
    # Before pytest-django imports the settings: a test run is a development process, so the
    # development secrets are allowed (a production process refuses them).
    os.environ.setdefault("DJANGO_DEBUG", "true")


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def api_client() -> Any:
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture
def make_token() -> Callable[..., str]:
    """Return a function that signs an access token with the development private key."""
    from careforall_common.testing.tokens import access_token

    return access_token


@pytest.fixture
def staff_client(make_token: Callable[..., str]) -> Any:
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {make_token(user_id=1, role='staff')}")
    return client


@pytest.fixture
def donor_client(make_token: Callable[..., str]) -> Any:
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {make_token(user_id=2, role='donor')}")
    return client


@pytest.fixture
def guest_client() -> Any:
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture
def other_donor_client(make_token: Callable[..., str]) -> Any:
    """Another donor than ``donor_client``'s."""
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {make_token(user_id=3, role='donor')}")
    return client
