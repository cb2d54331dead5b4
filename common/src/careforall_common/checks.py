"""System checks: a production process refuses development secrets (SPEC §3, STYLE §4)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register

from careforall_common import settings as defaults

# Environment variable → (setting name, development default).
DEVELOPMENT_SECRETS = {
    "DJANGO_SECRET_KEY": ("SECRET_KEY", defaults.DEV_SECRET_KEY),
    "INTERNAL_EVENT_SECRET": ("INTERNAL_EVENT_SECRET", defaults.DEV_INTERNAL_EVENT_SECRET),
    "ADMIN_PASSWORD": ("ADMIN_PASSWORD", defaults.DEV_ADMIN_PASSWORD),
    "STRIPE_WEBHOOK_SECRET": ("STRIPE_WEBHOOK_SECRET", defaults.DEV_STRIPE_WEBHOOK_SECRET),
}


def secret_errors() -> list[CheckMessage]:
    """Return an error for each development secret in use while DEBUG is off."""
    if settings.DEBUG:
        return []
    return (
        [
            Error(
                f"{variable} has its development default while DJANGO_DEBUG is false.",
                hint=f"Set {variable} to a secret of your own.",
                id="careforall.E001",
            )
            for variable, (name, development) in DEVELOPMENT_SECRETS.items()
            if getattr(settings, name, None) == development
        ]
        + admin_password_errors()
        + sandbox_errors()
    )


def sandbox_errors() -> list[CheckMessage]:
    """Return an error when a production payment_service would take payments from a sandbox.

    SPEC §3: with DEBUG off, a non-empty ``STRIPE_API_BASE`` (the SDK talks to a stand-in, so
    donations "succeed" and no money moves) is refused unless ``CAREFORALL_SANDBOX`` is true on
    purpose (a demo). Only payment_service defines these settings.
    """
    if settings.DEBUG or not getattr(settings, "STRIPE_API_BASE", ""):
        return []
    if getattr(settings, "CAREFORALL_SANDBOX", False):
        return []
    return [
        Error(
            "STRIPE_API_BASE points payments at a sandbox while DJANGO_DEBUG is false: "
            "donations would succeed and no money would move.",
            hint="Unset STRIPE_API_BASE to use Stripe, or set CAREFORALL_SANDBOX=true for a demo.",
            id="careforall.E005",
        )
    ]


def admin_password_errors() -> list[CheckMessage]:
    """Return an error when ``ADMIN_PASSWORD`` fails Django's password validators (SPEC §3).

    Checked while DEBUG is off only, like the secrets: the staff account guards every admin.
    """
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    password = getattr(settings, "ADMIN_PASSWORD", None)
    if settings.DEBUG or password is None or password == defaults.DEV_ADMIN_PASSWORD:
        return []  # the default is reported as a development secret already
    try:
        validate_password(password)
    except ValidationError as error:
        return [
            Error(
                "ADMIN_PASSWORD fails the password validators: " + " ".join(error.messages),
                hint="Set ADMIN_PASSWORD to a long, uncommon password.",
                id="careforall.E004",
            )
        ]
    return []


def key_errors() -> list[CheckMessage]:
    """Return an error when the JWT public key is missing."""
    if settings.SIMPLE_JWT.get("VERIFYING_KEY"):
        return []
    return [
        Error(
            "The JWT public key is missing.",
            hint="Run scripts/up (it makes development keys) or set JWT_PUBLIC_KEY_FILE.",
            id="careforall.E002",
        )
    ]


def retention_errors() -> list[CheckMessage]:
    """Return an error when idempotency keys would be kept less than SPEC's 24 hours."""
    from careforall_common.idempotency import MIN_RETENTION_HOURS

    if getattr(settings, "IDEMPOTENCY_RETENTION_HOURS", MIN_RETENTION_HOURS) >= MIN_RETENTION_HOURS:
        return []
    return [
        Error(
            f"IDEMPOTENCY_RETENTION_HOURS is below {MIN_RETENTION_HOURS}.",
            hint="Idempotency keys must be kept at least 24 hours (SPEC §3).",
            id="careforall.E003",
        )
    ]


@register()
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    return secret_errors() + key_errors() + retention_errors()
