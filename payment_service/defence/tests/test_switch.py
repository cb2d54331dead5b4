"""Staff see and switch challenge mode (SPEC §3): ``PUT /api/payments/challenge``, the admin page,
``GET /api/payments/config``'s ``challenge`` block, and the metrics."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from careforall_common.defence.challenge import challenge_mode_set, challenge_state
from defence.tests.conftest import SOLVES
from payments.tests.test_metrics import scrape
from refunds.tests.fakes import STAFF_PATH, FakeUserService

pytestmark = pytest.mark.django_db

ROUTE = "/api/payments/challenge"
PAGE = "/admin/payments/challenge/"


def test_the_config_carries_the_challenge_and_keeps_its_other_fields(
    defence: Any, api_client: Any, settings: Any
) -> None:
    body = api_client.get("/api/payments/config").json()

    assert set(body) == {"publishable_key", "js_url", "sandbox", "challenge"}
    assert body["challenge"] == {
        "mode": "auto",
        "active": False,
        "site_key": SOLVES,
        "script_url": settings.CHALLENGE_SCRIPT_URL,
    }


def test_staff_switch_the_mode_as_user_service_says_they_are_staff_now(
    defence: Any, staff_client: Any, user_service: FakeUserService, api_client: Any
) -> None:
    answer = staff_client.put(ROUTE, {"mode": "on"}, format="json")

    assert answer.status_code == 200, answer.content
    assert answer.json()["mode"] == "on"
    assert answer.json()["active"] is True
    assert user_service.asked == [f"{STAFF_PATH}?email=user1%40example.org"]
    assert api_client.get("/api/payments/config").json()["challenge"]["active"] is True
    assert staff_client.put(ROUTE, {"mode": "off"}, format="json").json()["active"] is False
    assert challenge_state().mode == "off"


def test_a_donor_cannot_switch(defence: Any, donor_client: Any, api_client: Any) -> None:
    assert donor_client.put(ROUTE, {"mode": "off"}, format="json").status_code == 403
    assert api_client.put(ROUTE, {"mode": "off"}, format="json").status_code == 401
    assert challenge_state().mode == "auto"


def test_a_demoted_staff_member_cannot_switch_with_an_old_token(
    defence: Any, staff_client: Any, user_service: FakeUserService
) -> None:
    user_service.staff.clear()

    answer = staff_client.put(ROUTE, {"mode": "off"}, format="json")

    assert answer.status_code == 403
    assert answer["Content-Type"] == "application/problem+json"
    assert challenge_state().mode == "auto"


def test_without_user_service_nothing_is_switched(
    defence: Any, staff_client: Any, user_service: FakeUserService
) -> None:
    user_service.failing = 503

    assert staff_client.put(ROUTE, {"mode": "off"}, format="json").status_code == 503
    assert challenge_state().mode == "auto"


@pytest.mark.parametrize("body", [{"mode": "sometimes"}, {"mode": 1}, {}, {"mode": "on", "x": 1}])
def test_an_unknown_mode_is_400(
    defence: Any, staff_client: Any, user_service: FakeUserService, body: dict[str, Any]
) -> None:
    answer = staff_client.put(ROUTE, body, format="json")

    assert answer.status_code == 400
    assert challenge_state().mode == "auto"


@pytest.fixture
def admin_client(client: Any) -> Any:
    # A local superuser stands in for the shadow user a platform sign-in makes.
    user = get_user_model().objects.create_superuser("staff@example.org", "staff@example.org")
    client.force_login(user)
    return client


def test_the_admin_index_links_the_challenge_page(defence: Any, admin_client: Any) -> None:
    index = admin_client.get("/admin/payments/").content.decode()

    assert PAGE in index


def test_staff_see_and_switch_the_mode_in_the_admin(defence: Any, admin_client: Any) -> None:
    page = admin_client.get(PAGE)
    assert page.status_code == 200
    assert "Challenge mode is <strong>auto</strong>" in page.content.decode()

    switched = admin_client.post(PAGE, {"mode": "on"})

    assert switched.status_code == 302
    assert challenge_state().mode == "on"
    assert "the challenge is <strong>on" in admin_client.get(PAGE).content.decode()
    assert admin_client.post(PAGE, {"mode": "never"}).status_code == 200  # the form, again
    assert challenge_state().mode == "on"


def test_the_admin_page_is_csrf_protected_and_staff_only(defence: Any, client: Any) -> None:
    assert client.get(PAGE).status_code == 302  # to the sign-in page
    user = get_user_model().objects.create_superuser("staff@example.org", "staff@example.org")
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(user)
    assert strict.post(PAGE, {"mode": "off"}).status_code == 403
    assert challenge_state().mode == "auto"


def test_the_challenge_is_a_metric(defence: Any, client: Any) -> None:
    figures = scrape(client)
    assert figures[("careforall_challenge_active", ())] == 0
    assert figures[("careforall_challenge_mode", (("mode", "auto"),))] == 1
    assert figures[("careforall_challenge_mode", (("mode", "on"),))] == 0

    challenge_mode_set("on")

    figures = scrape(client)
    assert figures[("careforall_challenge_active", ())] == 1
    assert figures[("careforall_challenge_mode", (("mode", "on"),))] == 1
