"""A production process refuses development secrets (SPEC §3)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from careforall_common.settings import DEV_ADMIN_PASSWORD

ROOT = Path(__file__).resolve().parents[1]


def run_check(**env: str) -> subprocess.CompletedProcess[str]:
    code = "import django; django.setup()"
    return subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_debug_off_with_default_secrets_refuses_to_start() -> None:
    result = run_check(DJANGO_DEBUG="false")

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY has its development default" in result.stderr
    assert "ADMIN_PASSWORD" in result.stderr


OWN_SECRETS = {
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "a-real-secret-" * 4,
    "INTERNAL_EVENT_SECRET": "another-real-secret",
    "ADMIN_PASSWORD": "not-" + DEV_ADMIN_PASSWORD,
    "STRIPE_WEBHOOK_SECRET": "whsec_real",
}


def test_debug_off_with_own_secrets_starts() -> None:
    result = run_check(**OWN_SECRETS)

    assert result.returncode == 0, result.stderr


def test_debug_off_with_a_weak_admin_password_refuses_to_start() -> None:
    for weak in ("password1", "12345678901", "short"):
        result = run_check(**{**OWN_SECRETS, "ADMIN_PASSWORD": weak})

        assert result.returncode != 0, weak
        assert "ADMIN_PASSWORD fails the password validators" in result.stderr, weak


def test_secure_cookies_can_be_turned_on() -> None:
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE)"
    )
    results = {}
    for value in ("true", "false"):
        result = subprocess.run(  # noqa: S603
            [sys.executable, "-c", code],
            cwd=ROOT,
            env={
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "tests.settings",
                "DJANGO_DEBUG": "true",
                "DJANGO_SECURE_COOKIES": value,
            },
            capture_output=True,
            text=True,
            check=True,
        )
        results[value] = result.stdout.split()

    assert results == {"true": ["True", "True"], "false": ["False", "False"]}
