"""Hostile input is a 4xx problem, never a 500 or an HTML page (SPEC §2, §5.7)."""

from __future__ import annotations

import json
import socket
from typing import Any

import pytest

from careforall_common.gunicorn_config import write_problem


@pytest.mark.parametrize("depth", [1_000, 30_000])
def test_json_nested_too_deep_is_a_400_problem(api_client: Any, depth: int) -> None:
    body = '{"amount": ' + "[" * depth + "]" * depth + "}"

    response = api_client.post("/echo", body, content_type="application/json")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == "body"


def test_json_nested_a_little_is_an_ordinary_400(api_client: Any) -> None:
    body = '{"amount": ' + "[" * 50 + "]" * 50 + "}"

    response = api_client.post("/echo", body, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "amount"


def test_gunicorn_s_own_errors_are_problem_details() -> None:
    ours, theirs = socket.socketpair()
    with ours, theirs:
        write_problem(ours, 400, "Bad Request", "Invalid header value 'ab\x7fc'")
        answer = theirs.recv(4096).decode("latin-1")

    head, body = answer.split("\r\n\r\n", 1)
    assert head.startswith("HTTP/1.1 400 Bad Request\r\n")
    assert "Content-Type: application/problem+json" in head
    assert f"Content-Length: {len(body)}" in head
    assert json.loads(body) == {
        "type": "about:blank",
        "title": "Bad Request",
        "status": 400,
        "detail": "The request is malformed.",
    }
