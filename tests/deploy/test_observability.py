"""deploy/observability/: Prometheus's scrape config, its alert rules and the Grafana dashboard.

No Prometheus runs here: the files are parsed, and every series they name must be one the
services export (careforall_common.metrics, payments.metrics, reconciliation.metrics) or
Prometheus's own ``up``.
"""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

from .conftest import ROOT, SERVICES, compose_config

OBSERVABILITY = ROOT / "deploy" / "observability"
SOURCES = (
    ROOT / "common" / "src" / "careforall_common" / "metrics.py",
    ROOT / "payment_service" / "payments" / "metrics.py",
    ROOT / "campaign_service" / "reconciliation" / "metrics.py",
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
