"""System checks: a production process refuses development secrets (SPEC §3, STYLE §4).

``ADMIN_PASSWORD`` is not one of every process's secrets: only user_service's staff bootstrap
(``manage.py ensure_staff``) reads it, so only that command requires it (and a strong one), and
no other process, container or pod needs the staff password at all (issue 20, finding 2).
"""

from __future__ import annotations

import sys
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register

from careforall_common import settings as defaults

# Environment variable → (setting name, development default).
DEVELOPMENT_SECRETS = {
    "DJANGO_SECRET_KEY": ("SECRET_KEY", defaults.DEV_SECRET_KEY),
    "INTERNAL_EVENT_SECRET": ("INTERNAL_EVENT_SECRET", defaults.DEV_INTERNAL_EVENT_SECRET),
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
        + sandbox_errors()
        + defence_errors()
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


def defence_errors() -> list[CheckMessage]:
    """Return errors when a production process would run without the card-testing defence.

    SPEC §3: ``PAYMENT_LIMITS=off`` only with DEBUG or ``CAREFORALL_SANDBOX=true``; a challenge
    mode other than off needs the challenge's keys.
    """
    errors = mode_errors()
    if settings.DEBUG or getattr(settings, "CAREFORALL_SANDBOX", False):
        return errors
    mode = getattr(settings, "CHALLENGE_MODE", "auto")
    if str(getattr(settings, "PAYMENT_LIMITS", "on")).lower() == "off":
        errors.append(
            Error(
                "PAYMENT_LIMITS is off while DJANGO_DEBUG is false: card testers would meet "
                "no limit.",
                hint="Unset PAYMENT_LIMITS (on); off is for development and demos only.",
                id="careforall.E007",
            )
        )
    if mode == "on" and not challenge_keys_set():
        errors.append(
            Error(
                "CHALLENGE_MODE is on but CHALLENGE_SITE_KEY or CHALLENGE_SECRET_KEY is empty: "
                "no guest could give.",
                hint="Set both from the Turnstile widget's settings, or CHALLENGE_MODE=auto.",
                id="careforall.E008",
            )
        )
    return errors


def mode_errors() -> list[CheckMessage]:
    mode = getattr(settings, "CHALLENGE_MODE", "auto")
    if mode in ("off", "on", "auto"):
        return []
    return [
        Error(
            f"CHALLENGE_MODE is {mode!r}.",
            hint="Set CHALLENGE_MODE to off, on or auto.",
            id="careforall.E006",
        )
    ]


def challenge_keys_set() -> bool:
    return bool(settings.CHALLENGE_SITE_KEY and settings.CHALLENGE_SECRET_KEY)


@register()
def check_challenge_keys(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Warn when ``auto`` cannot switch the challenge on: its keys are not set."""
    if settings.DEBUG or getattr(settings, "CHALLENGE_MODE", "auto") != "auto":
        return []
    if challenge_keys_set():
        return []
    return [
        Warning(
            "CHALLENGE_MODE is auto but the challenge's keys are not set: under a card-testing "
            "attack only the limits hold.",
            hint="Set CHALLENGE_SITE_KEY and CHALLENGE_SECRET_KEY (docs/card-testing.md).",
            id="careforall.W002",
        )
    ]


@register()
def check_internal_signature_v1(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Warn when a production process takes v1 internal signatures (the shared secret).

    With ``INTERNAL_SIGNATURE_V1=accept`` any holder of ``INTERNAL_EVENT_SECRET`` can sign any
    call as any service (issue 20, finding 8): right only while a migration from v1 runs.
    """
    from careforall_common.conf import careforall_settings

    mode = str(careforall_settings.INTERNAL_SIGNATURE_V1).strip().lower()
    if mode not in ("accept", "refuse"):
        return [
            Warning(
                f"INTERNAL_SIGNATURE_V1 is {mode!r}: v1 internal signatures are refused.",
                hint="Set INTERNAL_SIGNATURE_V1 to accept or refuse.",
                id="careforall.W081",
            )
        ]
    if settings.DEBUG or mode != "accept":
        return []
    return [
        Warning(
            "INTERNAL_SIGNATURE_V1 is accept while DJANGO_DEBUG is false: any service holding "
            "INTERNAL_EVENT_SECRET can sign internal calls as any other.",
            hint="Set INTERNAL_SIGNATURE_V1=refuse once every service signs v2 (docs/security.md).",
            id="careforall.W080",
        )
    ]


# The management command that makes the staff account; the one reader of ADMIN_PASSWORD.
STAFF_BOOTSTRAP_COMMAND = "ensure_staff"


def running_staff_bootstrap(argv: list[str] | None = None) -> bool:
    """Whether this process is ``manage.py ensure_staff`` (or ``django-admin ensure_staff``)."""
    args = sys.argv if argv is None else argv
    return len(args) > 1 and args[1] == STAFF_BOOTSTRAP_COMMAND


def admin_password_errors() -> list[CheckMessage]:
    """Return errors when ``ADMIN_PASSWORD`` is unfit for the staff account (SPEC §3).

    With DEBUG off: ``E001`` for the development default (the variable is unset, or set to it),
    ``E004`` when it fails Django's password validators. Only the staff bootstrap asks (the
    check below, and ``ensure_staff`` may call this itself); every other process may run
    without the variable.
    """
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    if settings.DEBUG:
        return []
    password = getattr(settings, "ADMIN_PASSWORD", None)
    if password is None or password == defaults.DEV_ADMIN_PASSWORD:
        return [
            Error(
                "ADMIN_PASSWORD has its development default while DJANGO_DEBUG is false.",
                hint="Set ADMIN_PASSWORD (or ADMIN_PASSWORD_FILE) for the staff bootstrap.",
                id="careforall.E001",
            )
        ]
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
    return (
        secret_errors()
        + key_errors()
        + retention_errors()
        + (mode_errors() if settings.DEBUG else [])
    )


@register()
def check_staff_bootstrap(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """The staff password, checked only where it is used: ``manage.py ensure_staff``."""
    return admin_password_errors() if running_staff_bootstrap() else []
