"""Strict input (SPEC §2, §5.7): no coercion, no trimming, unknown keys refused."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"amount": "1000"}, "amount"),
        ({"amount": 1000.0}, "amount"),
        ({"amount": True}, "amount"),
        ({"amount": 0}, "amount"),
        ({"amount": 100_000_001}, "amount"),
        ({"amount": None}, "amount"),
        ({}, "amount"),
        ({"amount": 5, "extra": 1}, "extra"),
        ({"amount": 5, "note": 12}, "note"),
        ({"amount": 5, "anonymous": "true"}, "anonymous"),
        ({"amount": 5, "anonymous": 1}, "anonymous"),
        ({"amount": 5, "currency": "USD"}, "currency"),
        ({"amount": 5, "currency": "usdx"}, "currency"),
        ({"amount": 5, "note": "x" * 21}, "note"),
        ({"amount": 5, "note": "a\x00b"}, "note"),
    ],
)
def test_invalid_values_are_refused_with_the_field_named(
    api_client: Any, body: dict[str, Any], field: str
) -> None:
    response = api_client.post("/echo", body, format="json")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 400
    assert problem["title"] == "Bad Request"
    assert field in [error["field"] for error in problem["errors"]]


@pytest.mark.parametrize("raw", ["[1, 2]", '"text"', "12", "null"])
def test_a_body_that_is_not_an_object_is_refused(api_client: Any, raw: str) -> None:
    response = api_client.post("/echo", raw, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "body"


def test_malformed_json_is_refused(api_client: Any) -> None:
    response = api_client.post("/echo", '{"amount": ', content_type="application/json")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"


def test_strings_are_kept_verbatim(api_client: Any) -> None:
    note = "  <b>'; DROP"

    response = api_client.post("/echo", {"amount": 5, "note": note}, format="json")

    assert response.status_code == 200
    assert response.json() == {"amount": 5, "note": note}


def test_valid_values_pass_unchanged(api_client: Any) -> None:
    body = {"amount": 100_000_000, "anonymous": False, "currency": "eur"}

    response = api_client.post("/echo", body, format="json")

    assert response.status_code == 200
    assert response.json() == body
