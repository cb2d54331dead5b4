"""The shared middleware stack: the admin's middleware for its paths only, and the security
headers in one pass, answering exactly what Django's own middleware answered."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse
from django.test import Client

from careforall_common.middleware import AdminOnlyMiddleware, SecurityHeadersMiddleware
from careforall_common.testing.tokens import access_token

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.middleware_urls")]

# The stack as it was: every middleware for every request, Django's security middleware.
EVERYWHERE = [
    "careforall_common.metrics.MetricsMiddleware",
    "careforall_common.request_id.RequestIdMiddleware",
    "careforall_common.problems.ProblemDetailsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "careforall_common.admin_auth.StaffRecheckMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

REQUESTS: list[tuple[str, str, dict[str, Any]]] = [
    ("get", "/api/health/common", {}),
    ("get", "/whoami", {}),
    ("get", "/whoami", {"HTTP_AUTHORIZATION": f"Bearer {access_token(user_id=5)}"}),
    ("post", "/echo", {"data": {"amount": 5}, "content_type": "application/json"}),
    ("post", "/echo", {"data": "{", "content_type": "application/json"}),
    ("post", "/conflict", {}),
    ("get", "/nowhere", {}),
    ("delete", "/echo", {}),
    ("post", "/api/health/common", {}),  # a plain view: refused by CSRF, before and now
    ("post", "/internal/events", {"data": b"[]", "content_type": "application/json"}),
    ("get", "/admin/login/", {}),
    ("post", "/admin/login/", {"data": {"username": "a", "password": "b"}}),
    ("get", "/admin/", {}),
    ("get", "/admin", {}),
]


def answers(settings: Any, middleware: list[str]) -> list[tuple[Any, ...]]:
    settings.MIDDLEWARE = middleware
    client = Client(enforce_csrf_checks=True, HTTP_X_REQUEST_ID="same-id")
    client.handler.load_middleware()
    found = []
    for method, url, options in REQUESTS:
        response = getattr(client, method)(url, **options)
        # Expires is the clock's (the admin's never-cache pages); cookies are compared by name.
        headers = {
            name: "(a date)" if name == "Expires" else value
            for name, value in response.headers.items()
            if name != "Set-Cookie"
        }
        # The admin's forms carry a CSRF token masked afresh on each page.
        content = re.sub(rb'name="csrfmiddlewaretoken" value="\w+"', b"", response.content)
        found.append((response.status_code, headers, sorted(response.cookies), content))
    return found


def test_every_answer_is_what_the_whole_stack_answered(settings: Any) -> None:
    now = answers(settings, list(settings.MIDDLEWARE))
    before = answers(settings, EVERYWHERE)

    for request, new, old in zip(REQUESTS, now, before, strict=True):
        assert new == old, request
    assert [status for status, *_ in now][-6:] == [403, 403, 200, 403, 302, 404]


def test_the_api_runs_without_sessions_csrf_or_messages() -> None:
    response = Client().get("/api/health/common")

    assert response.status_code == 200
    assert not hasattr(response.wsgi_request, "session")
    assert not hasattr(response.wsgi_request, "user")
    assert not hasattr(response.wsgi_request, "_messages")
    assert "Set-Cookie" not in response.headers
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"


def test_the_admin_keeps_its_session_csrf_and_sign_in() -> None:
    user = get_user_model().objects.create_user(
        "ops@example.org", "ops@example.org", "secret-secret", is_staff=True, is_superuser=True
    )
    client = Client(enforce_csrf_checks=True)

    form = client.get("/admin/login/")
    token = form.cookies["csrftoken"].value
    refused = client.post("/admin/login/", {"username": "ops@example.org", "password": "x"})
    client.force_login(user)
    index = client.get("/admin/")

    assert form.status_code == 200
    assert token
    assert refused.status_code == 403  # no CSRF token: the admin's HTML refusal
    assert "text/html" in refused.headers["Content-Type"]
    assert index.status_code == 200
    assert index.wsgi_request.user == user
    assert index.wsgi_request.session.session_key
    assert index.headers["X-Frame-Options"] == "DENY"


def test_the_admin_paths_are_a_setting(settings: Any) -> None:
    settings.ADMIN_PATHS = ["/admin/", "/whoami"]
    client = Client()
    client.handler.load_middleware()

    response = client.get("/whoami")

    assert hasattr(response.wsgi_request, "session")
    assert not hasattr(client.get("/api/health/common").wsgi_request, "session")


def test_the_admin_middleware_is_all_the_admin_needs(settings: Any) -> None:
    # What the admin's own checks (admin.E408-E410, silenced) look for in MIDDLEWARE.
    for needed in (
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "django.contrib.messages.middleware.MessageMiddleware",
    ):
        assert needed in settings.ADMIN_MIDDLEWARE
    assert not set(settings.ADMIN_MIDDLEWARE) & set(settings.MIDDLEWARE)


def test_middleware_the_admin_chain_cannot_run_is_refused(settings: Any) -> None:
    settings.ADMIN_MIDDLEWARE = ["tests.test_middleware.WithExceptionHook"]

    with pytest.raises(ImproperlyConfigured):
        AdminOnlyMiddleware(lambda request: HttpResponse())


def test_https_redirects_and_hsts_are_left_to_the_gateway(settings: Any) -> None:
    settings.SECURE_HSTS_SECONDS = 3600

    with pytest.raises(ImproperlyConfigured):
        SecurityHeadersMiddleware(lambda request: HttpResponse())


def test_a_response_keeps_its_own_security_headers(settings: Any) -> None:
    def view(request: HttpRequest) -> HttpResponse:
        response = HttpResponse(headers={"Referrer-Policy": "no-referrer"})
        response.xframe_options_exempt = True
        return response

    response = SecurityHeadersMiddleware(view)(HttpRequest())

    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "X-Frame-Options" not in response.headers
    assert response.headers["X-Content-Type-Options"] == "nosniff"


class WithExceptionHook:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        return None
