"""A production process refuses the development provider key against the real provider."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register

from careforall_common.settings import DEV_STRIPE_PUBLISHABLE_KEY, DEV_STRIPE_SECRET_KEY

# Stripe's only address for Stripe.js: it is never bundled or self-hosted (PCI DSS, SAQ A).
STRIPE_JS = "https://js.stripe.com/v3/"


def provider_errors() -> list[CheckMessage]:
    """Return errors when DEBUG is off and a development key would be used with Stripe.

    With ``STRIPE_API_BASE`` set, the SDK talks to a sandbox, where the development key is the
    right one (compose runs it so).
    """
    if settings.DEBUG or settings.STRIPE_API_BASE:
        return []
    errors: list[CheckMessage] = []
    if settings.STRIPE_SECRET_KEY == DEV_STRIPE_SECRET_KEY:
        errors.append(
            Error(
                "STRIPE_SECRET_KEY has its development default while DJANGO_DEBUG is false and "
                "STRIPE_API_BASE is empty (Stripe itself).",
                hint="Set STRIPE_SECRET_KEY to the account's secret key, or STRIPE_API_BASE.",
                id="payments.E001",
            )
        )
    if settings.STRIPE_PUBLISHABLE_KEY == DEV_STRIPE_PUBLISHABLE_KEY:
        errors.append(
            Error(
                "STRIPE_PUBLISHABLE_KEY has its development default while DJANGO_DEBUG is false "
                "and STRIPE_API_BASE is empty (Stripe itself): donors' browsers could not pay.",
                hint="Set STRIPE_PUBLISHABLE_KEY to the account's publishable key (pk_…).",
                id="payments.E002",
            )
        )
    if settings.STRIPE_JS_URL != STRIPE_JS:
        errors.append(
            Error(
                f"STRIPE_JS_URL is {settings.STRIPE_JS_URL!r} while the provider is Stripe: "
                "donors' card forms must load Stripe.js from Stripe itself.",
                hint=f"Leave STRIPE_JS_URL unset (it is then {STRIPE_JS}).",
                id="payments.E003",
            )
        )
    return errors


@register()
def check_provider(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    return provider_errors()
