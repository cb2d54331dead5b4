"""One identity for every admin: staff sign in with their platform account (SPEC §3).

The password goes to user_service's token endpoint once per sign-in (never per request); the
access token it returns is verified with the public key, and a local, password-less shadow user
carries the admin session of this service.
"""

from __future__ import annotations

import logging
from typing import Any

import requests
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import AccessToken

from careforall_common.auth import STAFF
from careforall_common.conf import careforall_settings

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
        url = careforall_settings.SERVICE_URLS["user"] + "/api/auth/token"
        try:
            response = requests.post(
                url,
                json={"email": username, "password": password},
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
