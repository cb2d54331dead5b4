"""A create after the server dropped the process's database connection (a MariaDB restart, here
a ``KILL`` of it): the next request still gets its 201.

Served as gunicorn serves it, through the WSGI handler: Django's per-request handling of the
connection (``CONN_HEALTH_CHECKS``' ping before a request's first query, the close of an
unusable connection at its end) runs there, and the test client leaves it out.
"""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Callable
from typing import Any

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection

from careforall_common.outbox.models import OutboxEvent
from careforall_common.testing.concurrency import race
from pledges.models import IdempotencyRecord, Pledge
from pledges.tests.factories import SIGNED_IN_BODY

pytestmark = pytest.mark.django_db(transaction=True)


def served(app: WSGIHandler, *, key: str, token: str) -> tuple[str, dict[str, Any]]:
    body = json.dumps(SIGNED_IN_BODY).encode()
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/api/pledges",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_AUTHORIZATION": f"Bearer {token}",
        "HTTP_IDEMPOTENCY_KEY": key,
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.url_scheme": "http",
    }
    statuses: list[str] = []

    def start_response(status: str, headers: Any, *_: Any) -> Callable[[bytes], object]:
        statuses.append(status)
        return lambda data: None

    result = app(environ, start_response)
    try:
        content = b"".join(result)
    finally:
        result.close()
    return statuses[0], json.loads(content)


def killed(connection_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("KILL CONNECTION %s", [connection_id])


def test_a_create_after_the_server_dropped_the_connection_is_201(
    make_token: Callable[..., str], active_campaign: int
) -> None:
    app, token = WSGIHandler(), make_token(user_id=2)
    assert served(app, key="before", token=token)[0] == "201 Created"
    with connection.cursor() as cursor:
        cursor.execute("SELECT CONNECTION_ID()")
        (dropped,) = cursor.fetchone()

    race([lambda: killed(dropped)])
    status, body = served(app, key="after", token=token)

    assert status == "201 Created"
    with connection.cursor() as cursor:
        cursor.execute("SELECT CONNECTION_ID()")
        assert cursor.fetchone()[0] != dropped  # a new connection made it
    assert Pledge.objects.count() == IdempotencyRecord.objects.count() == 2
    assert OutboxEvent.objects.filter(aggregate_id=body["id"]).count() == 1
