"""A production process refuses development secrets (SPEC §3)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from careforall_common.settings import DEV_ADMIN_PASSWORD

ROOT = Path(__file__).resolve().parents[1]


def run_check(*argv: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Start Django as a process whose command line is ``argv`` (default: none) would, and run
    every system check, as ``manage.py <command>`` does before the command; exit 1 on an error.
    Unset variables of ``env`` (value None) are left out of the environment."""
    code = (
        f"import sys; sys.argv = {['manage.py', *argv]!r}; import django; django.setup();"
        "from django.core.checks import run_checks;"
        "errors = [e for e in run_checks() if e.is_serious() and not e.is_silenced()];"
        "[print(e, file=sys.stderr) for e in errors]; sys.exit(1 if errors else 0)"
    )
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"}
    environment.pop("ADMIN_PASSWORD", None)
    environment.pop("ADMIN_PASSWORD_FILE", None)
    return subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**environment, **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_debug_off_with_default_secrets_refuses_to_start() -> None:
    result = run_check(DJANGO_DEBUG="false")

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY has its development default" in result.stderr


OWN_SECRETS = {
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "a-real-secret-" * 4,
    "INTERNAL_EVENT_SECRET": "another-real-secret",
    "STRIPE_WEBHOOK_SECRET": "whsec_real",
}
STRONG_ADMIN_PASSWORD = "not-" + DEV_ADMIN_PASSWORD + "-but-a-long-passphrase"


def test_debug_off_with_own_secrets_starts() -> None:
    result = run_check(**OWN_SECRETS)

    assert result.returncode == 0, result.stderr


def test_only_the_staff_bootstrap_needs_the_admin_password() -> None:
    """Issue 20, finding 2: a web, worker or migration process starts without ADMIN_PASSWORD
    (its containers and pods no longer hold the staff password); ``ensure_staff`` refuses to
    make the staff account with the development default."""
    for argv in [(), ("migrate", "--noinput"), ("check",)]:
        result = run_check(*argv, **OWN_SECRETS)
        assert result.returncode == 0, (argv, result.stderr)
        assert "ADMIN_PASSWORD" not in result.stderr, argv

    result = run_check("ensure_staff", **OWN_SECRETS)
    assert result.returncode != 0
    assert "ADMIN_PASSWORD has its development default" in result.stderr

    result = run_check("ensure_staff", **OWN_SECRETS, ADMIN_PASSWORD=DEV_ADMIN_PASSWORD)
    assert "ADMIN_PASSWORD has its development default" in result.stderr

    result = run_check("ensure_staff", **OWN_SECRETS, ADMIN_PASSWORD=STRONG_ADMIN_PASSWORD)
    assert result.returncode == 0, result.stderr


def test_a_process_that_starts_without_checks_needs_no_admin_password() -> None:
    """gunicorn and Celery run no system checks: the shared app's ``ready`` refuses development
    secrets for them, and the staff password is none of theirs."""
    code = "import django; django.setup()"
    environment = {k: v for k, v in os.environ.items() if not k.startswith("ADMIN_PASSWORD")}
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**environment, "DJANGO_SETTINGS_MODULE": "tests.settings", **OWN_SECRETS},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_debug_off_with_a_weak_admin_password_refuses_to_bootstrap_staff() -> None:
    for weak in ("password1", "12345678901", "short"):
        result = run_check("ensure_staff", **{**OWN_SECRETS, "ADMIN_PASSWORD": weak})

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


def test_a_production_process_refuses_payment_limits_off() -> None:
    result = run_check(**OWN_SECRETS, PAYMENT_LIMITS="off")
    assert result.returncode != 0
    assert "PAYMENT_LIMITS is off" in result.stderr
    demo = run_check(**OWN_SECRETS, PAYMENT_LIMITS="off", CAREFORALL_SANDBOX="true")
    assert "PAYMENT_LIMITS" not in demo.stderr
    assert run_check(DJANGO_DEBUG="true", PAYMENT_LIMITS="off").returncode == 0


def test_challenge_mode_on_needs_its_keys_and_an_unknown_mode_is_refused() -> None:
    on = run_check(**OWN_SECRETS, CHALLENGE_MODE="on")
    assert on.returncode != 0
    assert "CHALLENGE_MODE is on" in on.stderr
    keyed = run_check(
        **OWN_SECRETS,
        CHALLENGE_MODE="on",
        CHALLENGE_SITE_KEY="0x4AAA",
        CHALLENGE_SECRET_KEY="0x4BBB",
    )
    assert keyed.returncode == 0, keyed.stderr
    odd = run_check(DJANGO_DEBUG="true", CHALLENGE_MODE="sometimes")
    assert odd.returncode != 0
    assert "CHALLENGE_MODE is 'sometimes'" in odd.stderr
