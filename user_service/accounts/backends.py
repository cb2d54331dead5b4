from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from accounts.throttle import sign_in_failed, sign_in_succeeded, sign_in_wait


class EmailBackend(ModelBackend):
    """Sign in by email, case-insensitively (emails are stored lower-cased).

    Every sign-in of this service passes here (the token API, the admin's form), so here the
    account's failures are counted and a waiting account is refused without hashing anything.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        email = kwargs.get("email", username)
        if not email or password is None:
            return None
        email = email.lower()
        if sign_in_wait(email=email):
            return None
        user = super().authenticate(request, username=email, password=password)
        if user is None:
            sign_in_failed(email=email)
        else:
            sign_in_succeeded(email=email)
        return user
