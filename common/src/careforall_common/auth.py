"""Stateless JWT authentication (SPEC §2): verified locally with user_service's public key."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from typing import Any

from django.utils.functional import cached_property
from rest_framework import exceptions
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework_simplejwt.authentication import JWTStatelessUserAuthentication
from rest_framework_simplejwt.models import TokenUser
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import Token

STAFF = "staff"
DONOR = "donor"


class PlatformUser(TokenUser):
    """The signed-in account as the access token states it; no database row behind it."""

    @cached_property
    def id(self) -> int:  # type: ignore[override]
        # simplejwt writes the claim as a string; ids are positive integers (SPEC §2).
        return int(self.token[api_settings.USER_ID_CLAIM])

    @cached_property
    def pk(self) -> int:  # type: ignore[override]
        return self.id

    @cached_property
    def role(self) -> str:
        return str(self.token.get("role", DONOR))

    @cached_property
    def is_staff(self) -> bool:
        return self.role == STAFF

    @cached_property
    def email(self) -> str:
        return str(self.token.get("email", ""))

    @cached_property
    def name(self) -> str:
        return str(self.token.get("name", ""))


def platform_user(request: Request) -> PlatformUser | None:
    """The signed-in account of ``request``, or None for a guest."""
    user = request.user
    return user if isinstance(user, PlatformUser) else None


@dataclass(frozen=True)
class Reader:
    """Who asks to read a donor's record: an account (by the token), or whoever holds the
    record's own token (a guest's receipt or manage token), or both."""

    user: PlatformUser | None
    token: str | None

    @property
    def user_id(self) -> int | None:
        return self.user.id if self.user is not None else None

    @property
    def is_staff(self) -> bool:
        return bool(self.user is not None and self.user.is_staff)


def reader_of(request: Request, *, via: str) -> Reader:
    """The ``Reader`` of ``request``, its token from the query parameter ``via``; 401 without
    either credential (SPEC §3: no credentials at all → 401, a wrong one → 404)."""
    reader = Reader(platform_user(request), request.query_params.get(via))
    if reader.user is None and not reader.token:
        raise exceptions.NotAuthenticated()
    return reader


VERIFIED_LIMIT = 10_000

# SHA-256 of a raw access token → (its ``exp``, the token as verified). Per process; plain dict
# operations are atomic under the GIL, which is all the gthread workers need.
_verified: dict[bytes, tuple[float, Token]] = {}


class PlatformJWTAuthentication(JWTStatelessUserAuthentication):
    """``Authorization: Bearer <access>``; missing → anonymous, invalid or expired → 401.

    A token that verified is remembered until its ``exp``, so that a donor's requests pay the
    RS256 verification once per token, not once per request. Only success is remembered, and
    nothing but the time can make a verified token invalid (no revocation list: SPEC §2), so the
    answer is the one a fresh verification would give; past ``exp`` the token is verified again
    (and refused once the leeway has passed too).
    """

    def get_validated_token(self, raw_token: bytes) -> Token:
        key = hashlib.sha256(raw_token).digest()
        known = _verified.get(key)
        if known is not None and known[0] > time.time():
            return known[1]
        token = super().get_validated_token(raw_token)
        expiry = token.payload.get("exp")
        if isinstance(expiry, (int, float)) and not isinstance(expiry, bool):
            if len(_verified) >= VERIFIED_LIMIT:
                _verified.clear()
            _verified[key] = (float(expiry), token)
        return token


def verified_tokens_clear() -> None:
    _verified.clear()


class IsStaff(BasePermission):
    """Signed in with the staff role (401 when not signed in, 403 otherwise)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and getattr(user, "is_staff", False))
