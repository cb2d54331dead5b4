"""System checks of pledge_service's own settings."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register

MIN_RETENTION_HOURS = 24  # SPEC §3: keys are kept at least 24 hours


@register()
def check_idempotency_retention(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    if settings.IDEMPOTENCY_RETENTION_HOURS >= MIN_RETENTION_HOURS:
        return []
    return [
        Error(
            f"IDEMPOTENCY_RETENTION_HOURS is below {MIN_RETENTION_HOURS}.",
            hint="Idempotency keys must be kept at least 24 hours (SPEC §3).",
            id="pledges.E001",
        )
    ]
