"""Stateless JWT authentication (SPEC §2): verified locally with user_service's public key."""

from __future__ import annotations

from typing import Any

from django.utils.functional import cached_property
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


class PlatformJWTAuthentication(JWTStatelessUserAuthentication):
    """``Authorization: Bearer <access>``; missing → anonymous, invalid or expired → 401."""


class IsStaff(BasePermission):
    """Signed in with the staff role (401 when not signed in, 403 otherwise)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and getattr(user, "is_staff", False))
