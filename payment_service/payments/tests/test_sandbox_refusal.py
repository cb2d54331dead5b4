"""A production payment_service never takes payments from a sandbox by accident (SPEC §3)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from careforall_common.checks import sandbox_errors, secret_errors

SERVICE = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "a-real-secret-" * 4,
    "INTERNAL_EVENT_SECRET": "another-real-secret",
    "ADMIN_PASSWORD": "a-long-and-uncommon-admin-passphrase",
    "STRIPE_WEBHOOK_SECRET": "whsec_real",
    "STRIPE_SECRET_KEY": "sk_live_a_real_one",
    "STRIPE_PUBLISHABLE_KEY": "pk_live_a_real_one",
}


def start(**env: str) -> subprocess.CompletedProcess[str]:
    """Set the service up as gunicorn and Celery do (no system checks run there)."""
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=SERVICE,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", **PRODUCTION, **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_a_sandbox_is_refused_in_production_unless_a_demo_says_so(settings: Any) -> None:
    settings.DEBUG = False
    settings.STRIPE_API_BASE = "http://127.0.0.1:12111"
    settings.CAREFORALL_SANDBOX = False
    refused = [error.id for error in sandbox_errors()]
    settings.CAREFORALL_SANDBOX = True
    demo = sandbox_errors()
    settings.CAREFORALL_SANDBOX = False
    settings.STRIPE_API_BASE = ""
    stripe_itself = sandbox_errors()

    assert refused == ["careforall.E005"]
    assert (demo, stripe_itself) == ([], [])


def test_a_production_process_pointed_at_the_sandbox_does_not_start() -> None:
    refused = start(STRIPE_API_BASE="http://127.0.0.1:12111")
    demo = start(STRIPE_API_BASE="http://127.0.0.1:12111", CAREFORALL_SANDBOX="true")
    stripe_itself = start(STRIPE_API_BASE="")

    assert refused.returncode != 0
    assert "STRIPE_API_BASE points payments at a sandbox" in refused.stderr
    assert demo.returncode == 0, demo.stderr
    assert stripe_itself.returncode == 0, stripe_itself.stderr


def test_debug_allows_the_sandbox(settings: Any) -> None:
    settings.DEBUG = True
    settings.STRIPE_API_BASE = "http://127.0.0.1:12111"

    assert sandbox_errors() == []
    assert secret_errors() == []
