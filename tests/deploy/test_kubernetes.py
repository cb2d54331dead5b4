"""deploy/k8s: every rendered object validates against the Kubernetes schemas, and the shape the
platform needs holds in each overlay (issue 13)."""

from __future__ import annotations

from typing import Any

import kubernetes_validate
import pytest

from .conftest import OVERLAYS, ROOT, SERVICES, objects

KUBERNETES = "1.32.0"  # the kubectl of these machines
WORKERS = ("campaign", "pledge", "payment")


def by_kind(overlay: str, kind: str) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in objects(overlay) if o["kind"] == kind}


def containers(deployment: dict[str, Any]) -> list[dict[str, Any]]:
    spec = deployment["spec"]["template"]["spec"]
    return [*spec.get("initContainers", []), *spec["containers"]]


def env_of(container: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container.get("env", [])}


@pytest.mark.parametrize("overlay", ["base", *OVERLAYS])
def test_every_object_validates(overlay: str) -> None:
    rendered = objects(overlay)
    assert len(rendered) > 40
    failures = []
    for item in rendered:
        try:
            kubernetes_validate.validate(item, KUBERNETES, strict=True)
        except kubernetes_validate.ValidationError as error:
            failures.append(f"{item['kind']}/{item['metadata']['name']}: {error.message}")
    assert failures == []


def test_a_broken_object_is_refused() -> None:
    deployment = by_kind("production", "Deployment")["pledge-service"]
    broken = {**deployment, "spec": {**deployment["spec"], "replicas": "two"}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES, strict=True)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_web_tiers_autoscale_on_cpu_and_keep_a_budget(overlay: str) -> None:
    autoscalers, budgets = (
        by_kind(overlay, "HorizontalPodAutoscaler"),
        by_kind(overlay, "PodDisruptionBudget"),
    )
    for name in [f"{s}-service" for s in SERVICES] + ["gateway"]:
        target = autoscalers[name]["spec"]
        assert target["scaleTargetRef"] == {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "name": name,
        }
        assert target["metrics"][0]["resource"]["name"] == "cpu"
        assert name in budgets
    for service in WORKERS:
        assert f"{service}-worker" in budgets
        assert f"{service}-worker" not in autoscalers  # a replica count, set by the overlay


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_beat_is_exactly_one_replica_recreated(overlay: str) -> None:
    deployments = by_kind(overlay, "Deployment")
    for service in WORKERS:
        beat = deployments[f"{service}-beat"]["spec"]
        assert beat["replicas"] == 1
        assert beat["strategy"] == {"type": "Recreate"}


def test_workers_have_the_overlays_replica_counts() -> None:
    production = by_kind("production", "Deployment")
    assert production["pledge-worker"]["spec"]["replicas"] == 3
    assert all(d["spec"]["replicas"] == 1 for n, d in by_kind("dev", "Deployment").items())


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_migrations_run_as_jobs_before_the_new_pods(overlay: str) -> None:
    jobs, deployments = by_kind(overlay, "Job"), by_kind(overlay, "Deployment")
    assert set(jobs) == {"database-users", *(f"{s}-migrate" for s in SERVICES)}
    for service in SERVICES:
        command = " ".join(
            jobs[f"{service}-migrate"]["spec"]["template"]["spec"]["containers"][0]["command"]
        )
        assert "manage.py migrate --noinput" in command
        for name in [f"{service}-service"] + (
            [f"{service}-worker", f"{service}-beat"] if service in WORKERS else []
        ):
            (wait,) = deployments[name]["spec"]["template"]["spec"]["initContainers"]
            assert "manage.py migrate --check" in " ".join(wait["command"]), name


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_probes_ask_the_health_views(overlay: str) -> None:
    deployments = by_kind(overlay, "Deployment")
    for service in SERVICES:
        (web,) = deployments[f"{service}-service"]["spec"]["template"]["spec"]["containers"]
        # Readiness asks the database and migrations; liveness only that the process answers
        # (a restart cannot cure a database outage).
        for probe, path in (
            ("startupProbe", f"/api/health/{service}"),
            ("readinessProbe", f"/api/health/{service}"),
            ("livenessProbe", "/internal/health/live"),
        ):
            check = web[probe]["httpGet"]
            assert check["path"] == path, (service, probe)
            # Django refuses a pod address as Host; localhost is in ALLOWED_HOSTS
            assert check["httpHeaders"] == [{"name": "Host", "value": "localhost"}]
    for service in WORKERS:
        for role in ("worker", "beat"):
            (main,) = deployments[f"{service}-{role}"]["spec"]["template"]["spec"]["containers"]
            command = main["livenessProbe"]["exec"]["command"]
            assert command[:2] == ["python", "-c"], (service, role)
            heartbeat = f"/tmp/careforall-*-{role}.heartbeat"  # noqa: S108 (the pod's emptyDir)
            assert heartbeat in command[2], (service, role)
    for name, deployment in deployments.items():
        main = deployment["spec"]["template"]["spec"]["containers"][0]
        assert "livenessProbe" in main, name


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_container_has_requests_and_limits(overlay: str) -> None:
    for kind in ("Deployment", "Job"):
        for name, item in by_kind(overlay, kind).items():
            for container in containers(item):
                resources = container["resources"]
                for bound in ("requests", "limits"):
                    assert set(resources[bound]) == {"cpu", "memory"}, (name, container["name"])


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_private_key_reaches_user_service_only(overlay: str) -> None:
    holders = {
        name
        for name, deployment in by_kind(overlay, "Deployment").items()
        for volume in deployment["spec"]["template"]["spec"].get("volumes", [])
        if volume.get("secret", {}).get("secretName") == "jwt-keys"
    }
    assert holders == {"user-service"}


def pod_secrets(template: dict[str, Any]) -> set[str]:
    """The Secrets a pod template mounts, projected ones included."""
    names = set()
    for volume in template["spec"].get("volumes", []):
        if "secret" in volume:
            names.add(volume["secret"]["secretName"])
        for source in volume.get("projected", {}).get("sources", []):
            if "secret" in source:
                names.add(source["secret"]["name"])
    return names


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_each_service_mounts_its_own_internal_signing_key_only(overlay: str) -> None:
    """Issue 20, finding 8: one Secret per service's private key, mounted by that service's
    pods alone; the four public keys from one ConfigMap."""
    internal = {f"careforall-internal-{s}" for s in SERVICES}
    templates = {
        f"{kind}/{name}": item["spec"]["template"]
        for kind in ("Deployment", "Job", "StatefulSet", "DaemonSet")
        for name, item in by_kind(overlay, kind).items()
    }
    signers = {f"Deployment/{s}-service" for s in SERVICES} | {
        f"Deployment/{s}-{role}" for s in WORKERS for role in ("worker", "beat")
    }
    for name, template in templates.items():
        held = pod_secrets(template) & internal
        if name not in signers:
            assert held == set(), name
            continue
        service = name.split("/")[1].split("-")[0]
        assert held == {f"careforall-internal-{service}"}, name
        (volume,) = [v for v in template["spec"]["volumes"] if v["name"] == "internal-keys"]
        sources = volume["projected"]["sources"]
        assert {"configMap": {"name": "careforall-internal-public"}} in sources, name
        main = template["spec"]["containers"][0]
        assert env_of(main)["INTERNAL_SIGNING_KEY_FILE"] == (
            f"/internal-keys/internal-{service}.pem"
        ), name
        mounts = {m["name"]: m for m in main["volumeMounts"]}
        assert mounts["internal-keys"]["mountPath"] == "/internal-keys", name
        assert mounts["internal-keys"]["readOnly"] is True, name
        for init in template["spec"].get("initContainers", []):  # they sign nothing
            assert "internal-keys" not in {m["name"] for m in init.get("volumeMounts", [])}
    config = by_kind(overlay, "ConfigMap")["careforall-env"]["data"]
    assert config["INTERNAL_VERIFY_KEYS_DIR"] == "/internal-keys"
    assert "INTERNAL_SIGNATURE_V1" not in config  # refused unless DJANGO_DEBUG is true


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_only_the_gateway_takes_outside_traffic(overlay: str) -> None:
    policies = by_kind(overlay, "NetworkPolicy")
    assert policies["default-deny-ingress"]["spec"] == {
        "podSelector": {},
        "policyTypes": ["Ingress"],
    }
    open_to_all = {
        name
        for name, p in policies.items()
        for rule in p["spec"].get("ingress", [])
        if "from" not in rule
    }
    assert open_to_all == (
        {"gateway-from-anywhere", "stripe-sandbox"}
        if overlay == "dev"
        else {"gateway-from-anywhere"}
    )
    gateway = {
        "podSelector": {
            "matchLabels": {
                "app.kubernetes.io/name": "gateway",
                "app.kubernetes.io/component": "gateway",
            }
        }
    }
    assert policies["flower"]["spec"]["ingress"][0]["from"] == [gateway]


def callers(policy: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (
            peer["podSelector"]["matchLabels"]["app.kubernetes.io/name"],
            peer["podSelector"]["matchLabels"]["app.kubernetes.io/component"],
        )
        for rule in policy["spec"]["ingress"]
        for peer in rule["from"]
    }


def test_only_the_relays_and_signed_reads_reach_the_consumers() -> None:
    policies = by_kind("production", "NetworkPolicy")
    # /internal/events on campaign_service: pledge's and payment's relays (workers)
    assert callers(policies["campaign-service"]) == {
        ("gateway", "gateway"), ("pledge-service", "worker"), ("payment-service", "worker"),
        ("pledge-service", "web"),  # its signed read of campaign facts
    }  # fmt: skip
    beat_or_jobs = {
        name
        for name, _ in callers(policies["pledge-service"])
        if name.endswith(("beat", "migrate"))
    }
    assert beat_or_jobs == set()


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_dashboard_reaches_payment_service_and_nothing_else_new_does(overlay: str) -> None:
    """Issue 20, finding 7: campaign_service's staff dashboard reads payment_service's outbox
    (signed GET /internal/outbox), as it reads pledge_service's."""
    policies = by_kind(overlay, "NetworkPolicy")
    assert callers(policies["payment-service"]) == {
        ("gateway", "gateway"),
        ("campaign-service", "web"),
    }
    assert ("campaign-service", "web") in callers(policies["pledge-service"])


def admitted(policy: dict[str, Any], labels: dict[str, str], port: int) -> bool:
    """Whether ``policy`` selects a pod with ``labels`` and admits ``port`` from Prometheus."""
    selector = policy["spec"]["podSelector"]
    if any(labels.get(k) != v for k, v in selector.get("matchLabels", {}).items()):
        return False
    for expression in selector.get("matchExpressions", []):
        assert expression["operator"] == "In"
        if labels.get(expression["key"]) not in expression["values"]:
            return False
    for rule in policy["spec"].get("ingress", []):
        if port not in {p["port"] for p in rule.get("ports", [])}:
            continue
        for peer in rule.get("from", []):
            namespace = peer.get("namespaceSelector", {}).get("matchLabels", {})
            pod = peer.get("podSelector", {}).get("matchLabels", {})
            if namespace == {"kubernetes.io/metadata.name": "monitoring"} and pod == {
                "app.kubernetes.io/name": "prometheus"
            }:
                return True
    return False


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_prometheus_scrapes_the_metrics_ports_and_nothing_else(overlay: str) -> None:
    """Issue 20, finding 7: a Prometheus in the `monitoring` namespace reaches each web tier's
    /internal/metrics and Flower's /flower/metrics; no other port of any pod."""
    policies = list(by_kind(overlay, "NetworkPolicy").values())
    deployments = by_kind(overlay, "Deployment")
    scraped = {f"{s}-service": 8000 + i for i, s in enumerate(SERVICES, 1)} | {"flower": 5555}
    for name, deployment in deployments.items():
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        ports = {
            p["containerPort"]
            for c in deployment["spec"]["template"]["spec"]["containers"]
            for p in c.get("ports", [])
        } | {8081, 11211}
        for port in ports:
            wanted = scraped.get(name) == port
            assert any(admitted(p, labels, port) for p in policies) == wanted, (name, port)
    assert set(scraped) <= set(deployments)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_staff_password_reaches_the_staff_bootstrap_only(overlay: str) -> None:
    """Issue 20, finding 2: of every container, init containers included, only the user-migrate
    Job's (manage.py ensure_staff) has ADMIN_PASSWORD, from a Secret no other pod names."""
    holders, staff_secret_users = set(), set()
    for kind in ("Deployment", "Job"):
        for name, item in by_kind(overlay, kind).items():
            for container in containers(item):
                if "ADMIN_PASSWORD" in env_of(container):
                    holders.add((name, container["name"]))
                refs = [
                    e.get("valueFrom", {}).get("secretKeyRef", {}) for e in container.get("env", [])
                ] + [e.get("secretRef", {}) for e in container.get("envFrom", [])]
                if any(r.get("name", "").startswith("careforall-staff") for r in refs):
                    staff_secret_users.add(name)
    assert holders == {("user-migrate", "migrate")}
    assert staff_secret_users == {"user-migrate"}
    (job,) = by_kind(overlay, "Job")["user-migrate"]["spec"]["template"]["spec"]["containers"]
    assert "ensure_staff" in " ".join(job["command"])
    if overlay == "dev":
        secrets = by_kind("dev", "Secret")
        django = next(s for n, s in secrets.items() if n.startswith("careforall-django"))
        assert "ADMIN_PASSWORD" not in django["data"]
        assert any(n.startswith("careforall-staff") for n in secrets)


def test_the_production_gateway_believes_only_its_load_balancer() -> None:
    """Issue 20, finding 3: the production overlay names the balancer's range (a placeholder to
    replace); the base and dev trust no proxy."""
    production = by_kind("production", "ConfigMap")["gateway-env"]["data"]
    assert production["CFA_TRUSTED_PROXIES"] == "192.0.2.0/24"
    assert by_kind("dev", "ConfigMap")["gateway-env"]["data"]["CFA_TRUSTED_PROXIES"] == ""
    assert by_kind("base", "ConfigMap")["gateway-env"]["data"]["CFA_TRUSTED_PROXIES"] == ""


def test_memcached_and_the_cache_variables() -> None:
    deployments, services = by_kind("production", "Deployment"), by_kind("production", "Service")
    assert services["memcached"]["spec"]["ports"][0]["port"] == 11211
    assert "volumes" not in deployments["memcached"]["spec"]["template"]["spec"]  # nothing persists
    for name in ("campaign-service", "campaign-worker"):
        (main,) = deployments[name]["spec"]["template"]["spec"]["containers"]
        assert env_of(main)["CAMPAIGN_CACHE_URL"] == "memcached:11211", name
    gateway = by_kind("production", "ConfigMap")["gateway-env"]["data"]
    assert gateway["CFA_MEMCACHED_UPSTREAM"] == "memcached:11211"


def test_flower_listens_on_its_pod_address_only() -> None:
    (flower,) = by_kind("production", "Deployment")["flower"]["spec"]["template"]["spec"][
        "containers"
    ]
    assert "--address=$(POD_IP)" in flower["command"]
    assert env_of(flower)["POD_IP"] == {"fieldRef": {"fieldPath": "status.podIP"}}


def test_mysql_and_redis_are_outside_the_cluster() -> None:
    for overlay in OVERLAYS:
        services = by_kind(overlay, "Service")
        for name in ("mysql", "redis"):
            assert services[name]["spec"]["type"] == "ExternalName"
        assert not {"mysql", "redis"} & set(by_kind(overlay, "Deployment"))


def test_production_is_production() -> None:
    config = by_kind("production", "ConfigMap")["careforall-env"]["data"]
    assert config["DJANGO_DEBUG"] == "false"
    assert "STRIPE_API_BASE" not in config
    assert by_kind("production", "Secret") == {}  # created out of band (docs/deploy.md)
    assert "stripe-sandbox" not in by_kind("production", "Deployment")
    assert by_kind("production", "Service")["gateway"]["spec"]["type"] == "LoadBalancer"
    assert by_kind("dev", "ConfigMap")["careforall-env"]["data"]["DJANGO_DEBUG"] == "true"


def test_production_images_carry_the_versions() -> None:
    versions = {
        "user-service": "user_service", "campaign-service": "campaign_service",
        "pledge-service": "pledge_service", "payment-service": "payment_service",
        "gateway": "nginx",
    }  # fmt: skip
    seen = set()
    for deployment in by_kind("production", "Deployment").values():
        for container in containers(deployment):
            repository, tag = container["image"].rsplit(":", 1)
            image = repository.rsplit("/", 1)[-1]
            if image in versions:
                assert tag == (ROOT / versions[image] / "VERSION").read_text().strip(), image
                seen.add(image)
    assert seen == set(versions)
