"""The Dockerfile: hadolint finds nothing, every image has its target, caching survives a
change of sources."""

from __future__ import annotations

import fnmatch
import re

from .conftest import ROOT, run, tool

DOCKERFILE = ROOT / "Dockerfile"
TARGETS = {
    "user_service", "campaign_service", "pledge_service", "payment_service",
    "stripe_sandbox", "gateway", "frontend",
}  # fmt: skip


def instructions() -> list[str]:
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


def test_hadolint_finds_nothing() -> None:
    run(tool("hadolint"), "--config", str(ROOT / ".hadolint.yaml"), str(DOCKERFILE))


def test_one_target_per_image() -> None:
    stages = {m[1] for line in instructions() if (m := re.match(r"FROM \S+ AS (\S+)", line))}
    assert stages >= TARGETS


def test_npm_ci_runs_before_the_sources_are_copied() -> None:
    lines = instructions()
    stage = lines[lines.index("FROM ${NODE_IMAGE} AS frontend-build") :]
    copies = [i for i, line in enumerate(stage) if line.startswith("COPY")]
    install = next(i for i, line in enumerate(stage) if "npm ci" in line)
    assert stage[copies[0]] == "COPY frontend/package.json frontend/package-lock.json ./"
    assert copies[0] < install < copies[1]
    assert stage[copies[1]] == "COPY frontend/ ./"


def test_requirements_install_before_the_shared_package_and_the_services() -> None:
    lines = instructions()
    order = [
        lines.index("COPY requirements/base.txt /build/requirements/base.txt"),
        next(i for i, line in enumerate(lines) if "pip install -r" in line),
        lines.index("COPY common /build/common"),
        next(
            i
            for i, line in enumerate(lines)
            if line.startswith("COPY --chown=10001:10001 user_service")
        ),
    ]
    assert order == sorted(order)


def test_a_service_image_holds_its_own_service_only() -> None:
    lines = instructions()
    for service in ("user", "campaign", "pledge", "payment"):
        start = lines.index(f"FROM runtime AS {service}_service")
        end = next(i for i in range(start + 1, len(lines)) if lines[i].startswith("FROM "))
        copied = [line for line in lines[start:end] if line.startswith("COPY")]
        assert copied == [f"COPY --chown=10001:10001 {service}_service /app/{service}_service"]


def test_the_images_run_as_a_numeric_non_root_user() -> None:
    assert "USER 10001:10001" in instructions()


def test_the_gateway_image_is_new_enough_to_re_resolve() -> None:
    match = re.search(r"ARG NGINX_IMAGE=nginx:(\d+)\.(\d+)", DOCKERFILE.read_text())
    assert match
    assert (int(match[1]), int(match[2])) >= (1, 28)  # `server ... resolve`: 1.27.3 or later


def test_every_copied_path_exists_and_is_in_the_build_context() -> None:
    ignored = [
        line.strip().rstrip("/")
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for line in instructions():
        if not line.startswith("COPY") or "--from=" in line:
            continue
        sources = [word for word in line.split()[1:-1] if not word.startswith("--")]
        for source in sources:
            path = source.rstrip("/")
            assert (ROOT / path).exists(), source
            for pattern in ignored:
                assert not fnmatch.fnmatch(path, pattern), (source, pattern)
                assert not path.startswith(pattern + "/"), (source, pattern)
    # and nothing secret can be sent to the builder
    for secret in (".env", "secrets", "docker/dev-secrets", ".keys"):
        assert secret in ignored, secret
