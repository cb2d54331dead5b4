"""Lazy access to the ``CAREFORALL`` settings dict, with defaults (never read at import time)."""

from __future__ import annotations

from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    "SERVICE_URLS": {},
    "INTERNAL_EVENT_SECRET": "",
    "INTERNAL_SIGNATURE_TOLERANCE": 300,
    "INTERNAL_HTTP_TIMEOUT": 5.0,
}


class CareForAllSettings:
    """Attribute access to ``settings.CAREFORALL[name]``, falling back to ``DEFAULTS``."""

    def __getattr__(self, name: str) -> Any:
        if name not in DEFAULTS:
            raise AttributeError(name)
        return getattr(settings, "CAREFORALL", {}).get(name, DEFAULTS[name])


careforall_settings = CareForAllSettings()
