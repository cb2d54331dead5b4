"""Signed calls between services (SPEC §4): never routed by the gateway, never unsigned."""

from __future__ import annotations

import json
from typing import Any

import requests
import requests.adapters
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from careforall_common import signing
from careforall_common.conf import careforall_settings

Timeout = float | tuple[float, float]  # seconds; or (connect, read)

_session = requests.Session()
_session.trust_env = False  # no proxy or netrc look-up in the environment on every call
# One pool per host, as large as a process's threads (gunicorn threads, test clients) may need.
_session.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=64))
_session.mount("https://", requests.adapters.HTTPAdapter(pool_maxsize=64))


def signed_message(request: Request) -> bytes:
    """What a signature covers: the raw body of a POST, the path and query of a GET."""
    if request.method == "GET":
        return request._request.get_full_path().encode()
    return request._request.body


class IsSignedInternalCall(BasePermission):
    """Admit only calls signed with ``INTERNAL_EVENT_SECRET`` in the last 300 s."""

    message = "The internal signature is missing, wrong or stale."

    def has_permission(self, request: Request, view: Any) -> bool:
        return signing.verify(
            request.headers.get(signing.HEADER),
            signed_message(request),
            secret=careforall_settings.INTERNAL_EVENT_SECRET,
            tolerance=careforall_settings.INTERNAL_SIGNATURE_TOLERANCE,
        )


def internal_get(service: str, path: str, *, timeout: Timeout = 2.0) -> requests.Response:
    """GET ``path`` (with its query) from ``service``, signed; raises ``requests`` errors."""
    header = signing.sign(path.encode(), secret=careforall_settings.INTERNAL_EVENT_SECRET)
    return _session.get(
        careforall_settings.SERVICE_URLS[service] + path,
        headers={signing.HEADER: header},
        timeout=timeout,
    )


def internal_post(
    service: str, path: str, payload: dict[str, Any], *, timeout: Timeout = 2.0
) -> requests.Response:
    """POST ``payload`` as JSON to ``path`` of ``service``, signed; raises ``requests`` errors.

    The signature covers the body only, so the body names what it is about (e.g. the id that
    is in the path too) and the receiving view checks that they agree.
    """
    body = json.dumps(payload).encode()
    header = signing.sign(body, secret=careforall_settings.INTERNAL_EVENT_SECRET)
    return _session.post(
        careforall_settings.SERVICE_URLS[service] + path,
        data=body,
        headers={signing.HEADER: header, "Content-Type": "application/json"},
        timeout=timeout,
    )
