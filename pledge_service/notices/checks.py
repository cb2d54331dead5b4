"""A production pledge_service without ``EMAIL_URL`` is reported, not refused (docs/payments.md).

Receipts wait in their table until they can be sent, so a missing mail relay loses no email; a
process that refused to start for it would stop donations instead. The warning shows on every
``manage.py`` command (``migrate`` at each deployment), and each failed send logs why.
"""

from __future__ import annotations

from typing import Any

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
