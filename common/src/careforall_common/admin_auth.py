"""One identity for every admin: staff sign in with their platform account (SPEC §3).

The password goes to user_service's token endpoint once per sign-in (never per request); the
access token it returns is verified with the public key, and a local, password-less shadow user
carries the admin session of this service. ``StaffRecheckMiddleware`` asks user_service again,
with a signed internal read, at most every ``ADMIN_STAFF_RECHECK_SECONDS`` of an admin session,
so an account that is deactivated or loses the staff role loses every admin within 60 s.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import requests
from django.contrib.auth import BACKEND_SESSION_KEY, get_user_model, logout
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.signals import user_logged_in
from django.http import HttpRequest, HttpResponse
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import AccessToken

from careforall_common.auth import STAFF
from careforall_common.conf import careforall_settings
from careforall_common.internal import internal_get, internal_post

logger = logging.getLogger(__name__)


class PlatformAccountBackend(ModelBackend):
    """Authenticate staff against user_service; refuse every other role."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        if not username or not password:
            return None
        try:
            response = internal_post(
                "user",
                "/api/auth/token",
                {"email": username, "password": password},
                timeout=careforall_settings.INTERNAL_HTTP_TIMEOUT,
            )
        except requests.RequestException as error:
            logger.warning("admin sign-in: user_service unreachable: %s", error)
            return None
        if response.status_code != 200:
            return None
        try:
            token = AccessToken(response.json()["access"])
        except (KeyError, ValueError, TokenError):
            logger.warning("admin sign-in: user_service returned no valid access token")
            return None
        if token.get("role") != STAFF:
            return None
        platform_id = str(token.get(api_settings.USER_ID_CLAIM, ""))  # simplejwt writes a string
        if request is not None and platform_id.isdigit():
            # For the session, once login() has made it (the signal below).
            request.careforall_platform_user_id = int(platform_id)  # type: ignore[attr-defined]
        email = str(token.get("email", username)).lower()
        user, _ = get_user_model().objects.update_or_create(
            username=email[:150],
            defaults={
                "email": email,
                "first_name": str(token.get("name", ""))[:150],
                "is_staff": True,
                "is_superuser": True,
                "is_active": True,
            },
        )
        if user.has_usable_password():
            user.set_unusable_password()
            user.save(update_fields=["password"])
        return user


BACKEND = f"{PlatformAccountBackend.__module__}.{PlatformAccountBackend.__qualname__}"
STAFF_CHECKED_AT = "careforall_staff_checked_at"
PLATFORM_USER_ID = "careforall_platform_user_id"


def staff_checked_at_sign_in(
    sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any
) -> None:
    """A sign-in through user_service has just checked the account: start the clock there.

    A signal, not ``authenticate``: ``login()`` may flush the session after authenticating.
    """
    if request is not None and getattr(user, "backend", None) == BACKEND:
        request.session[STAFF_CHECKED_AT] = time.time()
        platform_id = getattr(request, "careforall_platform_user_id", None)
        if isinstance(platform_id, int):
            request.session[PLATFORM_USER_ID] = platform_id


def platform_user_id(request: HttpRequest) -> int | None:
    """The platform account (user_service's id) of the staff member of this admin session."""
    found = request.session.get(PLATFORM_USER_ID)
    return found if isinstance(found, int) else None


def connect() -> None:
    """Connect the sign-in signal (from the app's ``ready()``)."""
    user_logged_in.connect(staff_checked_at_sign_in, dispatch_uid="careforall-staff-checked-at")


def platform_staff_status(*, email: str) -> bool | None:
    """Ask user_service whether ``email`` is an active staff account; None when it cannot say."""
    path = "/internal/accounts/staff?" + urlencode({"email": email})
    try:
        response = internal_get("user", path, timeout=careforall_settings.INTERNAL_HTTP_TIMEOUT)
        if response.status_code == 200:
            return response.json()["staff"] is True
    except (requests.RequestException, ValueError, KeyError, TypeError) as error:
        logger.warning("admin staff check: user_service did not answer: %s", error)
        return None
    logger.warning("admin staff check: user_service answered %s", response.status_code)
    return None


class StaffRecheckMiddleware:
    """Keep an admin session only while its account is still active staff in user_service.

    Only admin requests of sessions signed in through ``PlatformAccountBackend`` are looked at
    (the API and user_service's own admin, which reads its accounts directly, are untouched).
    A demoted or deactivated account is signed out and its shadow user disabled, which ends its
    other sessions here too; when user_service cannot answer, the admin answers 503 rather than
    trusting a stale answer.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            request.path.startswith("/admin/")
            and request.session.get(BACKEND_SESSION_KEY) == BACKEND
        ):
            refusal = self._recheck(request)
            if refusal is not None:
                return refusal
        return self.get_response(request)

    def _recheck(self, request: HttpRequest) -> HttpResponse | None:
        checked_at = request.session.get(STAFF_CHECKED_AT, 0)
        if time.time() - checked_at < careforall_settings.ADMIN_STAFF_RECHECK_SECONDS:
            return None
        user = request.user
        if not user.is_authenticated:
            return None
        staff = platform_staff_status(email=user.email)
        if staff is None:
            return HttpResponse(
                "Your account cannot be checked right now; try again shortly.",
                status=503,
                content_type="text/plain",
                headers={"Retry-After": "5"},
            )
        if staff:
            request.session[STAFF_CHECKED_AT] = time.time()
            return None
        logger.info("admin staff check: %s is no longer active staff; signed out", user.email)
        get_user_model().objects.filter(pk=user.pk).update(
            is_active=False, is_staff=False, is_superuser=False
        )
        logout(request)
        return None
