""".env.example lists every variable the platform reads, each with its default and whether a
production process refuses it; .env itself is never committed."""

from __future__ import annotations

import re
import subprocess

from .conftest import ROOT

EXAMPLE = ROOT / ".env.example"
ENTRY = re.compile(r"^# ([A-Z][A-Z0-9_]+)=(.*)$")
MARKER = re.compile(r"\[(refused in production|production: [a-z ]+)\]$")
SETTINGS = [
    ROOT / "common" / "src" / "careforall_common" / "settings.py",
    ROOT / "common" / "src" / "careforall_common" / "defence" / "settings.py",
    *(
        ROOT / f"{s}_service" / "config" / "settings.py"
        for s in ("user", "campaign", "pledge", "payment")
    ),
]
SANDBOX_SETTINGS = ROOT / "stripe_sandbox" / "settings.py"


def listed() -> dict[str, str]:
    entries = {}
    for line in EXAMPLE.read_text().splitlines():
        if match := ENTRY.match(line):
            entries[match[1]] = match[2]
    return entries


def settings_names() -> set[str]:
    names = set()
    for path in SETTINGS:
        names |= set(re.findall(r"env\.\w+\(\s*\"([A-Z][A-Z0-9_]+)\"", path.read_text()))
    return names


def sandbox_names() -> set[str]:
    text = SANDBOX_SETTINGS.read_text()
    names = set(re.findall(r"\"(SANDBOX_[A-Z_]+)\"", text))
    limits = re.search(r"_LIMITS = \{(.*?)\}", text, re.DOTALL)
    assert limits
    names |= {f"SANDBOX_{name.upper()}" for name in re.findall(r"\"(\w+)\":", limits[1])}
    return names


def compose_names() -> set[str]:
    names = set()
    for file in ("compose.yaml", "compose.dev.yaml"):
        names |= set(re.findall(r"\$\{([A-Z][A-Z0-9_]+)[:?}-]", (ROOT / file).read_text()))
    return names


# Placeholders that nginx/render.py and the image's docker/gateway-resolver.envsh make from other
# variables (CFA_SET_REAL_IP_FROM from CFA_TRUSTED_PROXIES): nobody sets them.
DERIVED = {"CFA_SET_REAL_IP_FROM"}


def gateway_names() -> set[str]:
    template = (ROOT / "nginx" / "careforall.conf.template").read_text()
    return set(re.findall(r"\$\{(CFA_[A-Z_]+)\}", template)) - DERIVED


def test_every_variable_is_listed() -> None:
    names = set(listed())
    missing = {
        "settings (add them to .env.example)": settings_names() - names,
        "stripe_sandbox": sandbox_names() - names,
        "compose": compose_names() - names,
        "gateway template": gateway_names() - names,
    }
    assert {where: sorted(m) for where, m in missing.items() if m} == {}


def test_every_entry_says_whether_production_refuses_it() -> None:
    for line in EXAMPLE.read_text().splitlines():
        if ENTRY.match(line):
            assert MARKER.search(line), line


def test_the_refused_development_defaults_are_marked() -> None:
    refused = {name for name, rest in listed().items() if rest.endswith("[refused in production]")}
    secrets = ("DJANGO_SECRET_KEY", "INTERNAL_EVENT_SECRET", "ADMIN_PASSWORD")
    stripe = ("STRIPE_WEBHOOK_SECRET", "STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY")
    for name in secrets + stripe:
        assert name in refused, name
    assert listed()["DJANGO_SECRET_KEY"].startswith("django-insecure-careforall-development-only")


def test_dot_env_is_ignored_by_git() -> None:
    for path in (".env", "secrets/django_secret_key"):
        done = subprocess.run(["git", "-C", str(ROOT), "check-ignore", "-q", path], check=False)
        assert done.returncode == 0, path
