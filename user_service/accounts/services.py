from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from rest_framework import serializers
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

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


def access_token_for(user: User) -> str:
    """Return a fresh access token carrying the account's current role."""
    access = AccessToken.for_user(user)
    _add_claims(access, user)
    return str(access)


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
