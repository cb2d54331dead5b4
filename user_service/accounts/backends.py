from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest


class EmailBackend(ModelBackend):
    """Sign in by email, case-insensitively (emails are stored lower-cased)."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        email = kwargs.get("email", username)
        return super().authenticate(
            request, username=email.lower() if email else email, password=password
        )
