"""The gateway closes an idle kept-alive connection to a service before the service's server does
(docs/benchmarks.md, "The server model"): otherwise nginx may send a POST on a connection the
server is closing, and it does not retry a POST."""

from __future__ import annotations

import re

from .conftest import ROOT, SERVICES

TEMPLATE = (ROOT / "nginx" / "careforall.conf.template").read_text()
UP = (ROOT / "scripts" / "up").read_text()


def upstream_idle_seconds() -> dict[str, int]:
    found = {}
    for service in SERVICES:
        block = re.search(rf"upstream {service}_service \{{(.*?)\n\}}", TEMPLATE, re.S)
        assert block, service
        assert re.search(r"^\s*keepalive \d+;", block[1], re.M), service
        timeout = re.search(r"^\s*keepalive_timeout (\d+)s;", block[1], re.M)
        assert timeout, f"{service}: no keepalive_timeout (nginx's default is 60 s)"
        found[service] = int(timeout[1])
    return found


def server_idle_seconds() -> dict[str, int]:
    """How long each server model keeps an idle connection, wherever the services are started."""
    gunicorn = {"scripts/up": re.findall(r"--keep-alive (\d+)", UP)}
    gunicorn["compose.yaml"] = re.findall(
        r'--keep-alive, "(\d+)"', (ROOT / "compose.yaml").read_text()
    )
    for service in SERVICES:
        manifest = ROOT / "deploy" / "k8s" / "base" / f"{service}-service.yaml"
        gunicorn[manifest.name] = re.findall(r"- --keep-alive\s+- '?(\d+)", manifest.read_text())
    granian = re.findall(r"--http1-header-read-timeout (\d+)", UP)
    assert granian, "scripts/up starts granian without its header read timeout"
    counts = {where: len(values) for where, values in gunicorn.items()}
    # scripts/up's one command, compose's four services, each Kubernetes manifest's container
    assert counts["scripts/up"] == 1, counts
    assert counts["compose.yaml"] == 4, counts
    assert all(counts[f"{service}-service.yaml"] == 1 for service in SERVICES), counts
    found = {f"gunicorn in {where}": min(map(int, values)) for where, values in gunicorn.items()}
    found["granian in scripts/up"] = min(int(v) for v in granian) // 1000
    return found


def test_the_gateway_lets_an_idle_service_connection_go_first() -> None:
    gateway = upstream_idle_seconds()
    servers = server_idle_seconds()

    assert max(gateway.values()) < min(servers.values()), (gateway, servers)
