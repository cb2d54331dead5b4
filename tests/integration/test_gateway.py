"""The gateway (SPEC §1, §2, §5.6, §5.7): request ids, body limit, routing, its own errors."""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor

import requests

from integration.support import assert_problem


def test_health_of_every_service_through_the_gateway(gateway: str) -> None:
    for service in ("user", "campaign", "pledge", "payment"):
        response = requests.get(f"{gateway}/api/health/{service}", timeout=5)
        assert response.status_code == 200
        assert response.json()["status"] == "ok"


def test_request_id_is_made_when_missing_and_echoed_when_given(gateway: str) -> None:
    made = requests.get(f"{gateway}/api/campaigns", timeout=5)
    given = requests.get(
        f"{gateway}/api/campaigns", headers={"X-Request-Id": "trace.42-A_b"}, timeout=5
    )
    invalid = requests.get(
        f"{gateway}/api/campaigns", headers={"X-Request-Id": "no spaces allowed"}, timeout=5
    )

    assert len(made.headers["X-Request-Id"]) >= 16
    assert given.headers["X-Request-Id"] == "trace.42-A_b"
    assert invalid.headers["X-Request-Id"] not in ("", "no spaces allowed")
    assert "," not in made.headers["X-Request-Id"]  # one id, not the service's and the gateway's


def test_request_id_is_on_gateway_errors_too(gateway: str) -> None:
    response = requests.get(f"{gateway}/no/such/page", headers={"X-Request-Id": "err-1"}, timeout=5)

    assert_problem(response, 404)
    assert response.headers["X-Request-Id"] == "err-1"


def test_a_body_over_64_kib_is_refused_with_413_and_writes_nothing(gateway: str) -> None:
    email = f"big-{uuid.uuid4().hex[:8]}@example.org"
    body = json.dumps(
        {"email": email, "password": "correct-horse-battery-staple", "name": "x" * (65 * 1024)}
    )

    response = requests.post(
        f"{gateway}/api/auth/register",
        data=body,
        headers={"Content-Type": "application/json"},
        timeout=10,
    )

    assert_problem(response, 413)
    sign_in = requests.post(
        f"{gateway}/api/auth/token",
        json={"email": email, "password": "correct-horse-battery-staple"},
        timeout=5,
    )
    assert sign_in.status_code in (401, 429)


def test_internal_paths_are_not_routed(gateway: str) -> None:
    paths = (
        "/internal/events",
        "/internal/metrics",
        "/internal/auth/staff",
        "/_auth/staff",
        "/internal/outbox",  # the staff dashboard's read of an outbox
        "/internal/pledges/donors",  # donor emails for the staff export
    )
    for path in paths:
        assert_problem(requests.post(f"{gateway}{path}", json={}, timeout=5), 404)
        assert_problem(requests.get(f"{gateway}{path}", timeout=5), 404)


def test_unknown_paths_are_404_problems(gateway: str) -> None:
    for path in ("/api/unknown", "/api/campaigns/999999999", "/nothing-here.html"):
        assert_problem(requests.get(f"{gateway}{path}", timeout=5), 404)


def test_the_frontend_is_served_at_the_root(gateway: str) -> None:
    response = requests.get(f"{gateway}/", timeout=5)

    assert response.status_code == 200
    assert "text/html" in response.headers["Content-Type"]
    assert "CareForAll" in response.text


def test_a_burst_on_the_api_is_not_rate_limited(gateway: str) -> None:
    def get(_: int) -> int:
        return requests.get(f"{gateway}/api/campaigns?page_size=1", timeout=10).status_code

    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(pool.map(get, range(400)))

    assert statuses.count(200) == 400


def test_sign_in_is_rate_limited_per_address(gateway: str) -> None:
    def attempt(_: int) -> requests.Response:
        return requests.post(
            f"{gateway}/api/auth/token",
            json={"email": "nobody@example.org", "password": "wrong-password"},
            timeout=10,
        )

    with ThreadPoolExecutor(max_workers=60) as pool:  # all at once, as an attacker would
        responses = list(pool.map(attempt, range(60)))

    limited = [r for r in responses if r.status_code == 429]
    assert limited, "60 rapid sign-ins were never limited"
    assert_problem(limited[0], 429)
    assert {r.status_code for r in responses} <= {401, 429}
