"""Stateless JWT authentication (SPEC §2): verified locally with user_service's public key."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.functional import cached_property
from rest_framework import exceptions
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework_simplejwt.authentication import JWTStatelessUserAuthentication
from rest_framework_simplejwt.models import TokenUser
from rest_framework_simplejwt.settings import api_settings

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


class PlatformJWTAuthentication(JWTStatelessUserAuthentication):
    """``Authorization: Bearer <access>``; missing → anonymous, invalid or expired → 401."""


class IsStaff(BasePermission):
    """Signed in with the staff role (401 when not signed in, 403 otherwise)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and getattr(user, "is_staff", False))
