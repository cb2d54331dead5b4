"""Admin sign-in through user_service (careforall_common.admin_auth)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.contrib.auth import authenticate, login
from django.contrib.sessions.backends.db import SessionStore
from django.test import RequestFactory

from careforall_common.admin_auth import platform_user_id
from careforall_common.testing.tokens import access_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def user_service(settings: Any) -> Iterator[dict[str, str]]:
    """user_service's ``POST /api/auth/token``: a token of the given role for any password."""
    answer = {"role": "staff"}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.dumps(
                {"access": access_token(user_id=77, role=answer["role"], email="ops@example.org")}
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    urls = {**settings.CAREFORALL["SERVICE_URLS"], "user": f"http://127.0.0.1:{server.server_port}"}
    settings.CAREFORALL = {**settings.CAREFORALL, "SERVICE_URLS": urls}
    yield answer
    server.shutdown()
    server.server_close()


def signed_in_request(email: str) -> Any:
    request = RequestFactory().post("/admin/login/")
    request.session = SessionStore()
    user = authenticate(request, username=email, password="secret")
    if user is not None:
        login(request, user)
    return request, user


def test_a_staff_sign_in_keeps_the_platform_account_id_in_the_session(
    user_service: dict[str, str],
) -> None:
    request, user = signed_in_request("ops@example.org")

    assert user is not None
    assert user.is_staff
    assert platform_user_id(request) == 77


def test_a_donor_is_refused(user_service: dict[str, str]) -> None:
    user_service["role"] = "donor"

    request, user = signed_in_request("donor@example.org")

    assert user is None
    assert platform_user_id(request) is None
