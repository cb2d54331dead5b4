from __future__ import annotations

from accounts.models import Role, User


def user_active_get(*, user_id: int | None) -> User | None:
    """The active account with this id, or None (unknown, or disabled since the token)."""
    return User.objects.filter(pk=user_id or 0, is_active=True).first()


def staff_is_active(*, email: str) -> bool:
    """Whether ``email`` (lowercase) is an active staff account (the other admins' recheck)."""
    return User.objects.filter(email=email, is_active=True, role=Role.STAFF).exists()
