"""Signed calls between services (SPEC §4): never routed by the gateway, never unsigned.

Every call is signed v2 with this service's own private key (``careforall_common.signing``);
while ``INTERNAL_SIGNATURE_V1`` is ``accept`` it carries the v1 shared-secret signature too, for
receivers of an earlier release. A receiving view admits the senders it names in
``allowed_senders`` (default: any platform service); v1 names no sender, so it is taken only
while ``INTERNAL_SIGNATURE_V1`` is ``accept`` (docs/security.md "Internal calls").
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any

import requests
import requests.adapters
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from careforall_common import signing
from careforall_common.conf import careforall_settings

logger = logging.getLogger(__name__)

Timeout = float | tuple[float, float]  # seconds; or (connect, read)

# The services that sign internal calls, each with its own key pair.
PLATFORM_SERVICES: tuple[str, ...] = ("user", "campaign", "pledge", "payment")
# The Django request attribute that names the verified v2 sender of an internal call.
SENDER_ATTRIBUTE = "careforall_internal_sender"

_session = requests.Session()
_session.trust_env = False  # no proxy or netrc look-up in the environment on every call
# One pool per host, as large as a process's threads (gunicorn threads, test clients) may need.
_session.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=64))
_session.mount("https://", requests.adapters.HTTPAdapter(pool_maxsize=64))
_warned_unsigned: set[str] = set()


def v1_accepted() -> bool:
    """Whether the v1 shared-secret signature is taken (and sent): ``INTERNAL_SIGNATURE_V1``."""
    return str(careforall_settings.INTERNAL_SIGNATURE_V1).strip().lower() == "accept"


def signing_key_path() -> Path:
    """``INTERNAL_SIGNING_KEY_FILE``; by default ``internal-<service>.pem`` in ``KEYS_DIR``."""
    configured = careforall_settings.INTERNAL_SIGNING_KEY_FILE
    if configured:
        return Path(configured)
    keys_dir = Path(getattr(settings, "KEYS_DIR", ".keys"))
    return signing.private_key_file(keys_dir, getattr(settings, "SERVICE_NAME", ""))


def verify_keys_dir() -> Path:
    """``INTERNAL_VERIFY_KEYS_DIR``, by default ``CAREFORALL_KEYS_DIR``."""
    configured = careforall_settings.INTERNAL_VERIFY_KEYS_DIR
    return Path(configured) if configured else Path(getattr(settings, "KEYS_DIR", ".keys"))


def own_signing_key() -> signing.SigningKey | None:
    """This service's private key (read once per process); None when its file is missing."""
    return signing.signing_key(signing_key_path(), getattr(settings, "SERVICE_NAME", ""))


def signature_header(method: str, path: str, body: bytes) -> str:
    """The ``X-CareForAll-Signature`` of a call: v2, and v1 too while v1 is accepted."""
    t = int(time.time())
    key = own_signing_key()
    secret = careforall_settings.INTERNAL_EVENT_SECRET if v1_accepted() else ""
    if key is None:
        path_missing = str(signing_key_path())
        if not secret:
            raise ImproperlyConfigured(
                f"No internal signing key at {path_missing}: set INTERNAL_SIGNING_KEY_FILE "
                "(docs/deploy.md, python -m careforall_common.keys)."
            )
        if path_missing not in _warned_unsigned:  # development without keys: v1 alone
            _warned_unsigned.add(path_missing)
            logger.warning("internal calls signed v1 only: no key at %s", path_missing)
        return signing.sign(_v1_message(method, path, body), secret=secret, timestamp=t)
    header = signing.sign_v2(method, path, body, key=key, timestamp=t)
    if secret:
        header += ",v1=" + signing.v1_digest(
            _v1_message(method, path, body), secret=secret, timestamp=t
        )
    return header


def _v1_message(method: str, path: str, body: bytes) -> bytes:
    """What a v1 signature covers: the path and query of a GET, the raw body otherwise."""
    return path.encode() if method.upper() == "GET" else body


def signed_message(request: Request) -> bytes:
    """What a v1 signature covers: the raw body of a POST, the path and query of a GET."""
    if request.method == "GET":
        return request._request.get_full_path().encode()
    return request._request.body


def internal_sender(request: Request | HttpRequest) -> str | None:
    """The service that signed this internal call (v2); None for a v1 call."""
    django_request = getattr(request, "_request", request)
    sender = getattr(django_request, SENDER_ATTRIBUTE, None)
    return sender if isinstance(sender, str) else None


def verified_sender(
    header: str | None,
    method: str,
    path: str,
    body: bytes,
    *,
    allowed_senders: tuple[str, ...] | frozenset[str] | list[str] | None = None,
) -> str | None:
    """The sender of a valid v2 ``header`` among ``allowed_senders`` (None: the platform's)."""
    parts = signing.parse(header)
    wanted = (parts.get("s", [""])[0], parts.get("k", [""])[0])
    return signing.verify_v2(
        header,
        method,
        path,
        body,
        keys=signing.verify_keys(verify_keys_dir(), wanted=wanted),
        allowed_senders=PLATFORM_SERVICES if allowed_senders is None else allowed_senders,
        tolerance=careforall_settings.INTERNAL_SIGNATURE_TOLERANCE,
    )


class IsSignedInternalCall(BasePermission):
    """Admit calls signed (v2) in the last 300 s by one of the view's ``allowed_senders``.

    A view names them as a class attribute (``allowed_senders = ("campaign",)``); without one,
    any platform service. A v1 signature (the shared ``INTERNAL_EVENT_SECRET``, no sender) is
    taken only while ``INTERNAL_SIGNATURE_V1`` is ``accept``; a header with a v2 signature is
    judged by it alone.
    """

    message = "The internal signature is missing, wrong or stale, or not from an allowed sender."

    def has_permission(self, request: Request, view: Any) -> bool:
        header = request.headers.get(signing.HEADER)
        django_request = request._request
        if "v2" in signing.parse(header):
            sender = verified_sender(
                header,
                django_request.method or "",
                django_request.get_full_path(),
                django_request.body,
                allowed_senders=getattr(view, "allowed_senders", None),
            )
            setattr(django_request, SENDER_ATTRIBUTE, sender)
            return sender is not None
        return v1_accepted() and signing.verify(
            header,
            signed_message(request),
            secret=careforall_settings.INTERNAL_EVENT_SECRET,
            tolerance=careforall_settings.INTERNAL_SIGNATURE_TOLERANCE,
        )


def internal_get(service: str, path: str, *, timeout: Timeout = 2.0) -> requests.Response:
    """GET ``path`` (with its query) from ``service``, signed; raises ``requests`` errors."""
    return _session.get(
        careforall_settings.SERVICE_URLS[service] + path,
        headers={signing.HEADER: signature_header("GET", path, b"")},
        timeout=timeout,
    )


def internal_post(
    service: str, path: str, payload: dict[str, Any], *, timeout: Timeout = 2.0
) -> requests.Response:
    """POST ``payload`` as JSON to ``path`` of ``service``, signed; raises ``requests`` errors.

    The signature covers the method, the path and the body; receivers of an earlier release
    check only the body (v1), so the body still names what it is about (e.g. the id that is in
    the path too) and the receiving view checks that they agree.
    """
    body = json.dumps(payload).encode()
    return _session.post(
        careforall_settings.SERVICE_URLS[service] + path,
        data=body,
        headers={
            signing.HEADER: signature_header("POST", path, body),
            "Content-Type": "application/json",
        },
        timeout=timeout,
    )
