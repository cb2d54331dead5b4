"""The ``challenge`` block of ``GET /api/payments/config`` and ``PUT /api/payments/challenge``."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from careforall_common.defence.challenge import challenge_state


def challenge_output() -> dict[str, Any]:
    """``{mode, active, site_key, script_url}``: what the donor site needs to show the widget
    when a payment is answered 403 ``challenge-required`` (SPEC §3)."""
    state = challenge_state()
    return {
        "mode": state.mode,
        "active": state.active,
        "site_key": settings.CHALLENGE_SITE_KEY,
        "script_url": settings.CHALLENGE_SCRIPT_URL,
    }
