"""deploy/observability/: Prometheus's scrape config, its alert rules and the Grafana dashboard.

No Prometheus runs here: the files are parsed, and every series they name must be one the
services export (careforall_common.metrics, payments.metrics, reconciliation.metrics) or
Prometheus's own ``up``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from .conftest import ROOT, SERVICES, compose_config, run

OBSERVABILITY = ROOT / "deploy" / "observability"
# Every module that defines metrics: the shared package's and each service's metrics.py.
SOURCES = (
    ROOT / "common" / "src" / "careforall_common" / "metrics.py",
    ROOT / "common" / "src" / "careforall_common" / "defence" / "attempts.py",
    *sorted(ROOT.glob("*_service/*/metrics.py")),
)
SUFFIXES = ("_total", "_bucket", "_count", "_sum")


def exported() -> set[str]:
    names = set()
    for source in SOURCES:
        names |= set(re.findall(r'"(careforall_[a-z_]+)"', source.read_text()))
    return names


def series(expr: str) -> set[str]:
    return set(re.findall(r"\b(careforall_[a-z_]+)", expr))


def known(name: str, names: set[str]) -> bool:
    return name in names or any(name.removesuffix(s) in names for s in SUFFIXES)


def load(name: str) -> Any:
    return yaml.safe_load((OBSERVABILITY / name).read_text())


def test_prometheus_scrapes_every_service_where_compose_runs_it() -> None:
    config = load("prometheus.yml")
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    services = compose_config("compose.yaml")["services"]
    for service in SERVICES:
        job = jobs[service]
        assert job["metrics_path"] == "/internal/metrics"
        [target] = job["static_configs"][0]["targets"]
        host, port = target.split(":")
        assert host in services[f"{service}_service"]["networks"]["default"]["aliases"]
        assert f"0.0.0.0:{port}" in services[f"{service}_service"]["command"]
        assert "PROMETHEUS_MULTIPROC_DIR=/run/metrics" in services[f"{service}_service"]["command"]
    assert jobs["flower"]["metrics_path"] == "/flower/metrics"
    assert config["rule_files"] == ["/etc/prometheus/alerts.yml"]
    mounts = {v["target"]: v["source"] for v in services["prometheus"]["volumes"]}
    assert mounts["/etc/prometheus/alerts.yml"].endswith("deploy/observability/alerts.yml")


def test_every_alert_rule_is_complete_and_names_exported_series() -> None:
    names = exported()
    rules = [rule for group in load("alerts.yml")["groups"] for rule in group["rules"]]
    alerts = {rule["alert"] for rule in rules}
    assert {
        "OutboxLagging",
        "DeadLetters",
        "WebhookSignatureFailures",
        "ServiceDown",
        "ReconciliationDifferences",
    } <= alerts
    for rule in rules:
        assert rule["expr"].strip(), rule["alert"]
        assert rule["annotations"]["summary"], rule["alert"]
        assert rule["labels"]["severity"] in ("page", "ticket"), rule["alert"]
        for name in series(rule["expr"]):
            assert known(name, names), (rule["alert"], name)
        assert rule["expr"].count("(") == rule["expr"].count(")"), rule["alert"]
    runbook = (ROOT / "docs" / "operations.md").read_text()
    for alert in alerts:
        assert f"`{alert}`" in runbook, alert


def test_the_dashboard_is_provisioned_and_names_exported_series() -> None:
    names = exported()
    dashboard = json.loads(
        (OBSERVABILITY / "grafana" / "dashboards" / "careforall.json").read_text()
    )
    assert dashboard["uid"] == "careforall-overview"
    exprs = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    assert len(exprs) >= 6
    for expr in exprs:
        assert series(expr), expr
        for name in series(expr):
            assert known(name, names), name
    [datasource] = load("grafana/provisioning/datasources/prometheus.yml")["datasources"]
    assert datasource["url"] == "http://prometheus:9090"
    assert all(p["datasource"]["uid"] == datasource["uid"] for p in dashboard["panels"])


def network_names(service: dict[str, Any], network: str) -> set[str]:
    """The names ``service`` answers to on ``network`` (its aliases), if it joins it."""
    networks = service.get("networks") or {"default": None}
    if network not in networks:
        return set()
    return set((networks[network] or {}).get("aliases") or [])


def test_every_scrape_target_is_a_compose_service_on_a_network_prometheus_joins() -> None:
    services = compose_config("compose.yaml")["services"]
    prometheus_networks = set(services["prometheus"]["networks"])
    for job in load("prometheus.yml")["scrape_configs"]:
        for target in job["static_configs"][0]["targets"]:
            host = target.split(":")[0]
            reachable = {
                name
                for name, service in services.items()
                for network in prometheus_networks
                if host == name or host in network_names(service, network)
            }
            assert len(reachable) == 1, (job["job_name"], target)


def test_every_distroless_container_is_scraped_and_pages_when_down() -> None:
    from .test_compose import SCRAPED_INSTEAD

    jobs = {job["job_name"] for job in load("prometheus.yml")["scrape_configs"]}
    [down] = [
        rule
        for group in load("alerts.yml")["groups"]
        for rule in group["rules"]
        if rule["alert"] == "ServiceDown"
    ]
    watched = set(re.search(r'job=~"([^"]+)"', down["expr"])[1].split("|"))  # type: ignore[index]
    assert set(SCRAPED_INSTEAD.values()) <= jobs & watched
    assert watched <= jobs


def test_the_collector_receives_the_services_otlp_and_exports_to_jaeger() -> None:
    config = load("otel-collector.yaml")
    services = compose_config("compose.yaml")["services"]
    pipeline = config["service"]["pipelines"]["traces"]
    for kind in ("receivers", "processors", "exporters"):
        assert set(pipeline[kind]) <= set(config[kind]), kind
    assert set(config["service"]["extensions"]) <= set(config["extensions"])
    # The services send OTLP over HTTP to the collector's HTTP receiver, by its alias.
    endpoint = services["pledge_service"]["environment"]["OTEL_EXPORTER_OTLP_ENDPOINT"]
    host, port = endpoint.removeprefix("http://").split(":")
    assert host in network_names(services["otel_collector"], "default")
    assert config["receivers"]["otlp"]["protocols"]["http"]["endpoint"] == f"0.0.0.0:{port}"
    for name, service in services.items():
        if "DJANGO_DEBUG" in (service.get("environment") or {}) and name != "database_users":
            assert service["environment"]["OTEL_EXPORTER_OTLP_ENDPOINT"] == endpoint, name
    # Jaeger takes OTLP over gRPC on 4317.
    [exporter] = [config["exporters"][e] for e in pipeline["exporters"]]
    assert exporter["endpoint"] == "jaeger:4317"
    assert services["jaeger"]["environment"]["COLLECTOR_OTLP_ENABLED"] == "true"
    # The file compose mounts is the one the command names; the metrics port is the one scraped.
    collector = services["otel_collector"]
    mounts = {v["target"]: v["source"] for v in collector["volumes"]}
    [flag] = collector["command"]
    assert mounts[flag.removeprefix("--config=")].endswith(
        "deploy/observability/otel-collector.yaml"
    )
    prometheus = config["service"]["telemetry"]["metrics"]["readers"][0]["pull"]["exporter"]
    jobs = {job["job_name"]: job for job in load("prometheus.yml")["scrape_configs"]}
    assert jobs["otel-collector"]["static_configs"][0]["targets"] == [
        f"otel-collector:{prometheus['prometheus']['port']}"
    ]


def test_nginx_status_is_on_an_unpublished_listener_the_exporter_reads() -> None:
    services = compose_config("compose.yaml")["services"]
    gateway = services["gateway"]
    port = gateway["environment"]["CFA_STATUS_LISTEN"]
    assert [p["target"] for p in gateway["ports"]] == [8080]  # the status port is not published
    [flag] = services["nginx_exporter"]["command"]
    assert flag == f"--nginx.scrape-uri=http://gateway:{port}/stub_status"
    assert set(services["nginx_exporter"]["networks"]) <= set(gateway["networks"])
    template = (ROOT / "nginx" / "careforall.conf.template").read_text()
    public, status = template.split("listen ${CFA_STATUS_LISTEN};")
    assert "stub_status;" not in public  # the public server never serves it
    assert "location = /stub_status { stub_status; }" in status


PROMTOOL = shutil.which("promtool")
# scripts/test installs it; only a run by hand outside CI may go without (and says so).
needs_promtool = pytest.mark.skipif(
    PROMTOOL is None and not os.environ.get("CI"),
    reason="promtool is not installed (Debian: apt-get install prometheus)",
)


@needs_promtool
def test_promtool_accepts_the_rules_and_their_tests() -> None:
    assert PROMTOOL
    run(PROMTOOL, "check", "rules", str(OBSERVABILITY / "alerts.yml"))
    run(PROMTOOL, "test", "rules", "alerts_test.yml", cwd=OBSERVABILITY)


@needs_promtool
def test_promtool_accepts_the_scrape_configuration(tmp_path: Path) -> None:
    assert PROMTOOL
    config = load("prometheus.yml")
    shutil.copy(OBSERVABILITY / "alerts.yml", tmp_path / "alerts.yml")
    config["rule_files"] = [str(tmp_path / "alerts.yml")]  # compose mounts it at /etc/prometheus
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
    run(PROMTOOL, "check", "config", str(tmp_path / "prometheus.yml"))
