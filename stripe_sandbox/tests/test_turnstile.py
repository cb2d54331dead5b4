"""The Cloudflare Turnstile stand-in: tokens, siteverify as Cloudflare answers, the test keys."""

from __future__ import annotations

import re
from typing import Any

import pytest
import requests

from stripe_sandbox import Sandbox

from .conftest import Admin

PASSES = "1x00000000000000000000AA"
FAILS = "2x00000000000000000000AB"
SECRET = "0x4AAAAAAAcareforall-local-secret"


def _token(sandbox: Sandbox, sitekey: str = PASSES, **fields: str) -> str:
    response = requests.post(
        f"{sandbox.url}/turnstile/v0/token", json={"sitekey": sitekey, **fields}, timeout=5
    )
    response.raise_for_status()
    token: str = response.json()["token"]
    return token


def _verify(sandbox: Sandbox, *, as_json: bool = False, **fields: str) -> dict[str, Any]:
    url = f"{sandbox.url}/turnstile/v0/siteverify"
    if as_json:
        response = requests.post(url, json=fields, timeout=5)
    else:
        response = requests.post(url, data=fields, timeout=5)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    answer: dict[str, Any] = response.json()
    return answer


def test_a_token_verifies_once(sandbox: Sandbox, admin: Admin) -> None:
    token = _token(sandbox, action="donate", cdata="pledge-7", hostname="localhost")

    first = _verify(sandbox, secret=SECRET, response=token, remoteip="203.0.113.9")
    second = _verify(sandbox, secret=SECRET, response=token)

    assert first["success"] is True
    assert first["error-codes"] == []
    assert (first["hostname"], first["action"], first["cdata"]) == (
        "localhost",
        "donate",
        "pledge-7",
    )
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", first["challenge_ts"])
    assert second == {"success": False, "error-codes": ["timeout-or-duplicate"]}
    assert admin.stats()["turnstile"] == {"tokens": 1, "issued": 1, "verified": 1, "refused": 1}


def test_every_solve_is_a_new_token(sandbox: Sandbox) -> None:
    tokens = {_token(sandbox) for _ in range(3)}

    assert len(tokens) == 3
    assert all(len(token) <= 2048 for token in tokens)


def test_json_bodies_verify_like_forms(sandbox: Sandbox) -> None:
    token = _token(sandbox)

    answer = _verify(sandbox, as_json=True, secret=SECRET, response=token)

    assert answer["success"] is True


def test_a_retry_with_the_same_idempotency_key_gets_the_same_answer(sandbox: Sandbox) -> None:
    token = _token(sandbox)

    first = _verify(sandbox, secret=SECRET, response=token, idempotency_key="k-1")
    retried = _verify(sandbox, secret=SECRET, response=token, idempotency_key="k-1")
    other = _verify(sandbox, secret=SECRET, response=token, idempotency_key="k-2")

    assert first == retried
    assert first["success"] is True
    assert other["error-codes"] == ["timeout-or-duplicate"]


def test_tokens_of_the_failing_site_key_and_forged_ones_fail(sandbox: Sandbox) -> None:
    failing = _token(sandbox, FAILS)

    assert _verify(sandbox, secret=SECRET, response=failing) == {
        "success": False,
        "error-codes": ["invalid-input-response"],
    }
    assert _verify(sandbox, secret=SECRET, response="0.forged")["error-codes"] == [
        "invalid-input-response"
    ]
    assert _verify(sandbox, secret=SECRET, response="XXXX.DUMMY.TOKEN.XXXX")["success"] is False


def test_a_token_expires_after_300_seconds(sandbox: Sandbox, admin: Admin) -> None:
    token = _token(sandbox)
    admin.clock_advance(301)

    answer = _verify(sandbox, secret=SECRET, response=token)

    assert answer["error-codes"] == ["timeout-or-duplicate"]


@pytest.mark.parametrize(
    ("secret", "success", "codes"),
    [
        ("1x0000000000000000000000000000000AA", True, []),
        ("2x0000000000000000000000000000000AA", False, ["invalid-input-response"]),
        ("3x0000000000000000000000000000000AA", False, ["timeout-or-duplicate"]),
    ],
)
def test_cloudflares_test_secret_keys(
    sandbox: Sandbox, secret: str, success: bool, codes: list[str]
) -> None:
    token = _token(sandbox)

    answers = [_verify(sandbox, secret=secret, response=token) for _ in range(2)]

    assert [(a["success"], a["error-codes"]) for a in answers] == [(success, codes)] * 2
    # A test secret spends nothing: the token still verifies once with a real secret.
    assert _verify(sandbox, secret=SECRET, response=token)["success"] is True


def test_missing_and_malformed_requests(sandbox: Sandbox) -> None:
    url = f"{sandbox.url}/turnstile/v0/siteverify"

    nothing = _verify(sandbox)
    no_response = _verify(sandbox, secret=SECRET)
    malformed = requests.post(
        url, data=b"{", headers={"Content-Type": "application/json"}, timeout=5
    )
    token_without_sitekey = requests.post(f"{sandbox.url}/turnstile/v0/token", json={}, timeout=5)

    assert nothing["error-codes"] == ["missing-input-secret", "missing-input-response"]
    assert no_response["error-codes"] == ["missing-input-response"]
    assert malformed.json() == {"success": False, "error-codes": ["bad-request"]}
    assert token_without_sitekey.status_code == 400
    assert requests.get(url, timeout=5).status_code == 405


def test_a_configured_secret_key_is_the_only_real_one(receiver: object) -> None:
    from stripe_sandbox import Settings
    from stripe_sandbox.settings import Chaos

    box = Sandbox(
        Settings(
            port=0, log_requests=False, turnstile_secret_key=SECRET, chaos=Chaos(webhook_url="")
        )
    )
    box.start()
    try:
        token = _token(box)
        wrong = _verify(box, secret="0x4AAAAAAAsomething-else", response=token)
        right = _verify(box, secret=SECRET, response=token)
    finally:
        box.stop()

    assert wrong["error-codes"] == ["invalid-input-secret"]
    assert right["success"] is True


def test_the_widget_script_and_frame_are_served(sandbox: Sandbox) -> None:
    script = requests.get(f"{sandbox.url}/turnstile/v0/api.js", timeout=5)
    frame = requests.get(f"{sandbox.url}/turnstile/v0/widget", timeout=5)
    frame_script = requests.get(f"{sandbox.url}/turnstile/v0/widget.js", timeout=5)

    assert script.status_code == frame.status_code == frame_script.status_code == 200
    assert script.headers["Content-Type"].startswith("application/javascript")
    assert "window.turnstile" in script.text
    assert "cf-turnstile-response" in script.text
    assert frame.headers["Content-Type"].startswith("text/html")
    assert "frame-ancestors *" in frame.headers["Content-Security-Policy"]
    assert "/turnstile/v0/token" in frame_script.text


def test_reset_forgets_tokens(sandbox: Sandbox) -> None:
    token = _token(sandbox)
    requests.post(f"{sandbox.url}/_sandbox/reset", timeout=5).raise_for_status()

    assert _verify(sandbox, secret=SECRET, response=token)["error-codes"] == [
        "invalid-input-response"
    ]
