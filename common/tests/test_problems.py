"""Problem details (RFC 9457, SPEC §2) for every error, in DEBUG too; request ids echoed."""

from __future__ import annotations

from typing import Any

import pytest


def test_problem_with_extra_members(api_client: Any) -> None:
    response = api_client.post("/conflict", {}, format="json")

    assert response.status_code == 409
    assert response["Content-Type"] == "application/problem+json"
    assert response.json() == {
        "type": "about:blank",
        "title": "Conflict",
        "status": 409,
        "detail": "Already paid.",
        "payment_id": 7,
    }


@pytest.mark.parametrize("debug", [False, True])
def test_unknown_path_is_a_404_problem(client: Any, settings: Any, debug: bool) -> None:
    settings.DEBUG = debug

    response = client.get("/no/such/path")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 404


def test_wrong_method_is_a_405_problem(client: Any) -> None:
    response = client.delete("/echo")

    assert response.status_code == 405
    assert response["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize("debug", [False, True])
def test_a_crash_is_a_500_problem_without_internals(settings: Any, debug: bool) -> None:
    from rest_framework.test import APIClient

    settings.DEBUG = debug
    client = APIClient(raise_request_exception=False)

    response = client.get("/crash")

    assert response.status_code == 500
    assert response["Content-Type"] == "application/problem+json"
    assert "SELECT" not in response.content.decode()
    assert "Traceback" not in response.content.decode()


@pytest.mark.django_db
def test_request_id_is_echoed_when_valid_and_made_otherwise(client: Any) -> None:
    kept = client.get("/api/health/common", HTTP_X_REQUEST_ID="abc.DEF-123_x")
    made = client.get("/api/health/common", HTTP_X_REQUEST_ID="bad id with spaces")

    assert kept["X-Request-Id"] == "abc.DEF-123_x"
    assert made["X-Request-Id"] != "bad id with spaces"
    assert len(made["X-Request-Id"]) == 32
