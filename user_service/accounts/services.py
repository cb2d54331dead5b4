from __future__ import annotations

from typing import Any, cast

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from rest_framework import serializers
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken
from rest_framework_simplejwt.utils import datetime_from_epoch

from accounts.models import Role, User
from careforall_common.problems import Problem


@transaction.atomic(durable=True)
def user_register(*, email: str, password: str, name: str) -> User:
    """Create a donor account; 400 on a weak password, 409 on a taken email (SPEC §3).

    A taken email is answered before the password is hashed: the hash costs most of a second of
    CPU, and a flood of registrations of one address must not take the threads sign-in needs.
    The unique index still decides a concurrent registration.
    """
    user = User(email=email.lower(), name=name, role=Role.DONOR)
    if User.objects.filter(email=user.email).exists():
        raise Problem(409, "An account with this email already exists.")
    try:
        validate_password(password, user=user)
    except DjangoValidationError as error:
        raise serializers.ValidationError({"password": list(error.messages)}) from error
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as error:
        raise Problem(409, "An account with this email already exists.") from error
    return user


def _add_claims(token: AccessToken | RefreshToken, user: User) -> None:
    # Other services read who the caller is from the token alone (no call back here).
    token["role"] = user.role
    token["email"] = user.email
    token["name"] = user.name


def tokens_for(user: User) -> tuple[str, str]:
    """Return (access, refresh) tokens for ``user``."""
    refresh = RefreshToken.for_user(user)
    _add_claims(refresh, user)
    return str(refresh.access_token), str(refresh)


def _refresh_token(token: str) -> RefreshToken:
    try:
        return RefreshToken(cast(Any, token))  # signature, expiry, type, and not signed out or used
    except TokenError as error:
        raise Problem(401, "The refresh token is invalid, expired, used or signed out.") from error


@transaction.atomic(durable=True)
def refresh_rotate(*, token: str) -> tuple[str, str]:
    """Spend a refresh token; return a new (access, refresh) pair with the account's role now.

    A refresh token is good once (SPEC §3): it joins the blacklist here, and of two concurrent
    uses only the one that added it there gets new tokens (the blacklist's unique key decides).
    """
    refresh = _refresh_token(token)
    user = User.objects.filter(pk=refresh.get("user_id"), is_active=True).first()
    if user is None:
        raise Problem(401, "The account no longer exists or is disabled.")
    if not _blacklist(refresh, user=user):
        raise Problem(401, "The refresh token is invalid, expired, used or signed out.")
    return tokens_for(user)


@transaction.atomic(durable=True)
def refresh_revoke(*, token: str) -> None:
    """Sign out: blacklist the refresh token (the access token lapses within its 15 minutes)."""
    refresh = _refresh_token(token)
    _blacklist(refresh, user=User.objects.filter(pk=refresh.get("user_id")).first())


def _blacklist(refresh: RefreshToken, *, user: User | None) -> bool:
    """Blacklist ``refresh``; return whether this call did (False: it was already)."""
    with transaction.atomic():
        outstanding, _ = OutstandingToken.objects.get_or_create(
            jti=refresh["jti"],
            defaults={
                "user": user,
                "token": str(refresh),
                "expires_at": datetime_from_epoch(refresh["exp"]),
            },
        )
    with transaction.atomic():
        _, created = BlacklistedToken.objects.get_or_create(token=outstanding)
    return created


def staff_ensure(*, email: str, password: str, name: str = "Platform staff") -> User:
    """Make sure a staff account with this email and password exists (idempotent)."""
    user, created = User.objects.get_or_create(
        email=email.lower(), defaults={"name": name, "role": Role.STAFF, "is_superuser": True}
    )
    changed = created
    if user.role != Role.STAFF or not user.is_superuser or not user.is_active:
        user.role, user.is_superuser, user.is_active = Role.STAFF, True, True
        changed = True
    if created or not user.check_password(password):
        user.set_password(password)
        changed = True
    if changed:
        user.save()
    return user
