"""Helpers of the end-to-end suite: HTTP only, through the gateway."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

import requests

ADMIN_EMAIL = "admin@careforall.local"
ADMIN_PASSWORD = "careforall-admin"
PASSWORD = "correct-horse-battery-staple"


def sign_in(gateway: str, email: str, password: str) -> dict[str, object]:
    for _ in range(30):  # the sign-in rate limit may still be recovering from another test
        response = requests.post(
            f"{gateway}/api/auth/token", json={"email": email, "password": password}, timeout=10
        )
        if response.status_code != 429:
            break
        time.sleep(0.5)
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


@dataclass
class Donor:
    id: int
    email: str
    access: str
    refresh: str


def register_donor(gateway: str) -> Donor:
    email = f"donor-{uuid.uuid4().hex[:12]}@example.org"
    response = requests.post(
        f"{gateway}/api/auth/register",
        json={"email": email, "password": PASSWORD, "name": "E2E Donor"},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    tokens = sign_in(gateway, email, PASSWORD)
    return Donor(response.json()["id"], email, str(tokens["access"]), str(tokens["refresh"]))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_problem(response: requests.Response, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/problem+json")
    body: dict[str, object] = response.json()
    assert body["status"] == status
    assert {"type", "title", "status", "detail"} <= set(body)
    return body
