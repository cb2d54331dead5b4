"""A production pledge_service without ``EMAIL_URL`` is reported, not refused (docs/payments.md).

Receipts wait in their table until they can be sent, so a missing mail relay loses no email; a
process that refused to start for it would stop donations instead. The warning shows on every
``manage.py`` command (``migrate`` at each deployment), and each failed send logs why.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Warning, register


@register()
def check_email(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    if settings.DEBUG or settings.EMAIL_URL:
        return []
    return [
        Warning(
            "EMAIL_URL is not set while DJANGO_DEBUG is false: receipts wait unsent, retried "
            "against the development sink at 127.0.0.1:1025.",
            hint="Set EMAIL_URL to the mail relay, such as smtp+tls://user:password@host:587.",
            id="notices.W001",
        )
    ]


LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]", "::1"})


@register()
def check_public_base_url(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """A production pledge_service whose links would point at this machine is reported."""
    if settings.DEBUG or urlsplit(settings.PUBLIC_BASE_URL).hostname not in LOCAL_HOSTS:
        return []
    return [
        Warning(
            f"PUBLIC_BASE_URL is {settings.PUBLIC_BASE_URL} while DJANGO_DEBUG is false: the "
            "receipt and manage links in donors' emails would point at the donor's own machine.",
            hint="Set PUBLIC_BASE_URL to the platform's public address (https://…).",
            id="notices.W002",
        )
    ]
