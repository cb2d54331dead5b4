"""compose.yaml is safe by default; compose.dev.yaml alone turns development on (issue 13)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from careforall_common.heartbeat import heartbeat_file

from .conftest import ROOT, SERVICES, compose_config

PRODUCTION = ("compose.yaml",)
DEVELOPMENT = ("compose.yaml", "compose.dev.yaml")
ONE_SHOT = {
    "keys",
    "database_users",
    *(f"{s}_migrate" for s in SERVICES),
    *(f"{s}_keys" for s in SERVICES if s != "user"),  # user_service's: in `keys`
}
DEV_ONLY = {"stripe_sandbox", "mailpit"}
# Distroless images (no shell, no client to run a check with): Prometheus scrapes each instead,
# and ServiceDown pages when it stops answering (tests/deploy/test_observability.py).
SCRAPED_INSTEAD = {"nginx_exporter": "nginx", "otel_collector": "otel-collector"}
TASK_TIME_LIMIT = 60  # seconds, careforall_common.celery


def services(files: tuple[str, ...] = PRODUCTION) -> dict[str, Any]:
    return compose_config(*files)["services"]


def django_processes(config: dict[str, Any]) -> dict[str, Any]:
    return {
        name: service
        for name, service in config.items()
        if "DJANGO_DEBUG" in (service.get("environment") or {})
    }


def seconds(duration: str) -> float:
    match = re.fullmatch(r"(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s)?", duration)
    assert match, duration
    return int(match[1] or 0) * 60 + float(match[2] or 0)


@pytest.mark.parametrize("files", [PRODUCTION, DEVELOPMENT], ids=["production", "development"])
def test_compose_v2_accepts_the_files(files: tuple[str, ...]) -> None:
    # compose_config runs `docker compose config`, which refuses what the schema refuses
    assert services(files)


def test_production_is_the_default() -> None:
    config = services()
    assert not DEV_ONLY & set(config)
    django = django_processes(config)
    assert len(django) == 15  # 4 migrations, 4 web, 3 workers, 3 beats, Flower
    for name, service in django.items():
        environment = service["environment"]
        assert environment["DJANGO_DEBUG"] == "false", name
        assert environment.get("STRIPE_API_BASE") is None, name  # real Stripe, never the sandbox
        # the secrets come from files, never from the environment
        for secret in ("DJANGO_SECRET_KEY", "INTERNAL_EVENT_SECRET"):
            assert secret not in environment, name
            assert environment[f"{secret}_FILE"] == f"/run/secrets/{secret.lower()}", name
        assert "ADMIN_PASSWORD" not in environment, name


def test_development_is_only_what_the_override_adds() -> None:
    production, development = services(), services(DEVELOPMENT)
    assert set(development) - set(production) == DEV_ONLY
    for name in django_processes(production):
        assert development[name]["environment"]["DJANGO_DEBUG"] == "true", name
    assert development["payment_service"]["environment"]["STRIPE_API_BASE"] == (
        "http://stripe-sandbox:12111"
    )
    secrets = compose_config(*DEVELOPMENT)["secrets"]
    assert all("/docker/dev-secrets/" in secret["file"] for secret in secrets.values())
    assert all("/secrets/" in s["file"] for s in compose_config(*PRODUCTION)["secrets"].values())


def test_the_private_key_is_mounted_into_user_service_only() -> None:
    for files in (PRODUCTION, DEVELOPMENT):
        with_pair = {
            name
            for name, service in services(files).items()
            for volume in service.get("volumes", [])
            if volume.get("source") == "jwt_keys"
        }
        assert with_pair == {"keys", "user_service"}


def test_each_service_mounts_its_own_internal_signing_key_only() -> None:
    """Issue 20, finding 8: a service holds its own private key for internal calls and no
    other's; every Django process that signs reads the public keys of all four."""
    private_volume = {"user": "jwt_keys", **{s: f"internal_{s}" for s in SERVICES if s != "user"}}
    for files in (PRODUCTION, DEVELOPMENT):
        config = services(files)
        for service, volume in private_volume.items():
            holders = {
                name
                for name, container in config.items()
                for mount in container.get("volumes", [])
                if mount.get("source") == volume
            }
            expected = {f"{service}_service"} | (
                {"keys"} if service == "user" else {f"{service}_keys", f"{service}_migrate"}
            )
            if service != "user":
                expected |= {f"{service}_worker", f"{service}_beat"}
            assert holders == expected, (files, service)
            web = config[f"{service}_service"]
            key_file = f"/keys/internal-{service}.pem"
            assert web["environment"]["INTERNAL_SIGNING_KEY_FILE"] == key_file
            mounts = {m["target"]: m for m in web["volumes"]}
            assert mounts["/keys"]["source"] == volume
            assert mounts["/keys"]["read_only"] is True
            assert mounts["/jwt-public"]["source"] == "jwt_public"
            assert web["environment"]["INTERNAL_VERIFY_KEYS_DIR"] == "/jwt-public"
        # the keys jobs write the private key of one service each
        assert "--internal user" in " ".join(config["keys"]["command"])
        for service in ("campaign", "pledge", "payment"):
            command = config[f"{service}_keys"]["command"]
            assert command[command.index("--internal") + 1] == service
            assert "--no-jwt" in command


def test_v1_signatures_are_refused_by_default_in_production() -> None:
    for name, service in django_processes(services()).items():
        assert not service["environment"].get("INTERNAL_SIGNATURE_V1"), name


def secret_holders(secret: str) -> set[str]:
    return {
        name
        for name, service in services().items()
        if secret in {s["source"] for s in service.get("secrets", [])}
    }


def test_each_database_url_reaches_its_own_service_and_the_init_job_only() -> None:
    for service in SERVICES:
        holders = secret_holders(f"{service}_database_url")
        assert holders == {"database_users"} | {
            name
            for name in services()
            if name.startswith(f"{service}_") and name != f"{service}_keys"
        }, service
    assert secret_holders("mysql_root_password") == {"mysql", "database_users"}
    assert secret_holders("stripe_secret_key") == {
        name for name in services() if name.startswith("payment_") and name != "payment_keys"
    }


def test_the_staff_password_reaches_the_staff_bootstrap_only() -> None:
    """Issue 20, finding 2: only user_migrate (ensure_staff) holds the staff password; Grafana
    has an admin password of its own."""
    for files in (PRODUCTION, DEVELOPMENT):
        config = services(files)
        holders = {
            name
            for name, service in config.items()
            if "admin_password" in {s["source"] for s in service.get("secrets", [])}
            or {"ADMIN_PASSWORD", "ADMIN_PASSWORD_FILE"} & set(service.get("environment") or {})
        }
        assert holders == {"user_migrate"}, files
        environment = config["user_migrate"]["environment"]
        assert environment["ADMIN_PASSWORD_FILE"] == "/run/secrets/admin_password"
        assert "ensure_staff" in " ".join(config["user_migrate"]["command"])
        grafana = config["grafana"]
        assert {s["source"] for s in grafana["secrets"]} == {"grafana_admin_password"}
        assert grafana["environment"]["GF_SECURITY_ADMIN_PASSWORD__FILE"] == (
            "/run/secrets/grafana_admin_password"
        )


def test_make_secrets_writes_grafana_its_own_password(tmp_path: Path) -> None:
    done = subprocess.run(
        [str(ROOT / "docker" / "make-secrets")],
        env={
            "PATH": os.environ["PATH"],
            "CAREFORALL_SECRETS": str(tmp_path / "secrets"),
            "STRIPE_SECRET_KEY": "sk_test_x",
            "STRIPE_WEBHOOK_SECRET": "whsec_x",
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    secrets = tmp_path / "secrets"
    grafana, staff = (secrets / name for name in ("grafana_admin_password", "admin_password"))
    assert len(grafana.read_text()) >= 32
    assert grafana.read_text() != staff.read_text()
    wanted = set(compose_config(*PRODUCTION)["secrets"])
    assert wanted <= {p.name for p in secrets.iterdir()}
    assert (ROOT / "docker" / "dev-secrets" / "grafana_admin_password").read_text() != (
        ROOT / "docker" / "dev-secrets" / "admin_password"
    ).read_text()


def test_no_service_connects_as_root() -> None:
    dev_secrets = ROOT / "docker" / "dev-secrets"
    for service in SERVICES:
        url = (dev_secrets / f"{service}_database_url").read_text()
        assert url == f"mysql://careforall_{service}:development-{service}@mysql:3306", url
    for name, service in services().items():
        assert "DATABASE_URL" not in service.get("environment", {}), name


def test_every_long_running_container_has_a_healthcheck() -> None:
    for files in (PRODUCTION, DEVELOPMENT):
        for name, service in services(files).items():
            if name in ONE_SHOT:
                assert service["restart"] == "no", name
                continue
            if name in SCRAPED_INSTEAD:
                assert "healthcheck" not in service, name
            else:
                assert service.get("healthcheck", {}).get("test"), name
            assert service["restart"] == "unless-stopped", name


def test_the_stop_grace_outlasts_the_longest_task() -> None:
    for name, service in django_processes(services()).items():
        assert seconds(service["stop_grace_period"]) > TASK_TIME_LIMIT, name
    assert seconds(services()["gateway"]["stop_grace_period"]) > 30  # proxy_read_timeout


def test_workers_and_beat_check_their_own_heartbeat(tmp_path: Path) -> None:
    """Each healthcheck, run against a heartbeat file as the process writes it: fresh, then old."""
    config = services()
    for service in ("campaign", "pledge", "payment"):
        for role in ("worker", "beat"):
            test = config[f"{service}_{role}"]["healthcheck"]["test"]
            # One shell string: podman 4.3's Docker API splits an exec form's arguments at spaces.
            assert test[0] == "CMD-SHELL", (service, role)
            assert test[1].startswith('python -c "'), (service, role)
            assert test[1].endswith('"'), (service, role)
            code = test[1][len('python -c "') : -1]
            code = code.replace("/tmp/", f"{tmp_path}/")  # noqa: S108 (the path replaced)
            beat = tmp_path / heartbeat_file(service, role).name
            assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 1
            beat.touch()
            assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
            os.utime(beat, (time.time() - 120, time.time() - 120))
            assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 1
            beat.unlink()


def test_scaling_and_name_resolution() -> None:
    config = services()
    assert not [name for name, service in config.items() if "container_name" in service]
    published = {name for name, service in config.items() if service.get("ports")}
    assert published == {"gateway"}
    gateway = config["gateway"]["environment"]
    assert gateway["CFA_UPSTREAM_RESOLVE"] == "resolve"
    assert gateway["CFA_RESOLVER"] == "127.0.0.11"  # Docker's DNS; podman's: CFA_RESOLVER=""
    assert gateway["CFA_PLEDGE_UPSTREAM"] == "pledge-service:8003"
    assert "pledge-service" in config["pledge_service"]["networks"]["default"]["aliases"]


def test_flower_listens_on_the_operators_network_only() -> None:
    config = services()
    flower = config["flower"]
    command = " ".join(flower["command"])
    assert "0.0.0.0" not in command  # noqa: S104
    assert "getent hosts flower-operators" in command
    assert set(flower["networks"]) == {"default", "operators"}
    on_operators = {name for name, s in config.items() if "operators" in s.get("networks", {})}
    assert on_operators == {"flower", "gateway", "prometheus"}  # Prometheus scrapes Flower
    assert compose_config(*PRODUCTION)["networks"]["operators"]["internal"] is True


def test_memcached_is_wired_to_campaign_service_and_the_gateway() -> None:
    config = services()
    assert config["memcached"]["image"].startswith("memcached:")
    assert not config["memcached"].get("volumes")  # nothing persists
    for name in ("campaign_service", "campaign_worker"):
        assert config[name]["environment"]["CAMPAIGN_CACHE_URL"] == "memcached:11211", name
    assert config["gateway"]["environment"]["CFA_MEMCACHED_UPSTREAM"] == "memcached:11211"


def test_one_image_per_service_tagged_with_its_version() -> None:
    expected = {
        "user": ("user-service", "user_service/VERSION", "user_service"),
        "campaign": ("campaign-service", "campaign_service/VERSION", "campaign_service"),
        "pledge": ("pledge-service", "pledge_service/VERSION", "pledge_service"),
        "payment": ("payment-service", "payment_service/VERSION", "payment_service"),
        "gateway": ("gateway", "nginx/VERSION", "gateway"),
        "stripe_sandbox": ("stripe-sandbox", "stripe_sandbox/VERSION", "stripe_sandbox"),
    }
    config = services(DEVELOPMENT)
    images: dict[str, set[str]] = {}
    for service in config.values():
        if "build" in service:
            images.setdefault(service["image"], set()).add(service["build"]["target"])
    for image, version_file, target in expected.values():
        version = (ROOT / version_file).read_text().strip()
        tag = f"careforall/{image}:{version}"
        assert images.pop(tag) == {target}, tag
        builds = [s["build"] for s in config.values() if s.get("image") == tag]
        assert all(build["args"]["VERSION"] == version for build in builds), tag
    assert images == {}


def test_third_party_and_base_images_are_variables_with_todays_defaults() -> None:
    """scripts/containers swaps every image for a local stand-in; unset, today's images."""
    text = (ROOT / "compose.yaml").read_text() + (ROOT / "compose.dev.yaml").read_text()
    fixed = re.findall(r"^\s+image: ([^$\s][^\s]*)$", text, re.MULTILINE)
    assert fixed == []
    config = services(DEVELOPMENT)
    assert config["mysql"]["image"] == "mariadb:10.11"
    assert config["redis"]["image"] == "redis:7-alpine"
    assert config["mailpit"]["image"] == "axllent/mailpit:v1.27"
    assert config["grafana"]["image"] == "grafana/grafana:12.1.1"
    builds = [s["build"] for s in config.values() if "build" in s]
    assert {b["args"]["PYTHON_IMAGE"] for b in builds} == {"python:3.11-slim-bookworm"}
    (gateway,) = [b for b in builds if b["target"] == "gateway"]
    assert gateway["args"]["NGINX_IMAGE"] == "nginx:1.28-alpine"
    assert gateway["args"]["NODE_IMAGE"] == "node:20-bookworm-slim"


def test_no_exec_form_healthcheck_has_an_argument_with_spaces() -> None:
    """podman 4.3's Docker API splits an exec form's arguments at spaces (`python -c "import x"`
    ran as `python -c import x`): such a command is one CMD-SHELL string instead."""
    for files in (PRODUCTION, DEVELOPMENT):
        for name, service in services(files).items():
            test = service.get("healthcheck", {}).get("test") or ["NONE"]
            if test[0] == "CMD":
                assert not [arg for arg in test[1:] if " " in arg], name
