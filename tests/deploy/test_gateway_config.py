"""The gateway template renders to a configuration nginx accepts, as scripts/up, compose and
Kubernetes render it (`nginx -t` of the nginx installed here)."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from .conftest import ROOT, compose_config, objects

TEMPLATE = ROOT / "nginx" / "careforall.conf.template"
PLACEHOLDER = re.compile(r"\$\{(CFA_[A-Z_]+)\}")
UPSTREAM_NAME = re.compile(r"^[a-z][a-z0-9-]*(?=:\d+$)")


def render_module():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("render", ROOT / "nginx" / "render.py")
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def nginx() -> str:
    found = shutil.which("nginx") or "/usr/sbin/nginx"
    assert Path(found).exists(), "nginx is not installed (scripts/test installs it)"
    return found


def nginx_version() -> tuple[int, ...]:
    done = subprocess.run([nginx(), "-v"], capture_output=True, text=True, check=True)
    match = re.search(r"nginx/(\d+)\.(\d+)\.(\d+)", done.stderr)
    assert match, done.stderr
    return tuple(int(part) for part in match.groups())


def nginx_test(site: str, tmp_path: Path) -> None:
    """Load ``site`` under the image's top-level docker/nginx.conf and run `nginx -t`."""
    (tmp_path / "site.conf").write_text(site)
    main = (ROOT / "docker" / "nginx.conf").read_text()
    main = re.sub(r"(?m)^user .*$", "", main)  # no `nginx` user on this machine
    main = main.replace("/var/run/nginx.pid", str(tmp_path / "nginx.pid"))
    main = main.replace("/var/log/nginx/error.log", str(tmp_path / "error.log"))
    main = main.replace("/etc/nginx/conf.d/*.conf", str(tmp_path / "site.conf"))
    (tmp_path / "nginx.conf").write_text(main)
    done = subprocess.run(
        [nginx(), "-t", "-p", str(tmp_path), "-e", str(tmp_path / "error.log"),
         "-c", str(tmp_path / "nginx.conf")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


def container_values(values: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """Make a container's values loadable here: its service names do not resolve on this machine
    (nginx looks upstream names up when it loads), its image paths do not exist."""
    local = dict(values)
    for name, value in values.items():
        if name.endswith("_UPSTREAM"):
            local[name] = UPSTREAM_NAME.sub("127.0.0.1", value)
    for name in ("CFA_STATIC_ROOT", "CFA_FRONTEND_ROOT"):
        local[name] = str(tmp_path)
    local.setdefault("CFA_RESOLVER", "127.0.0.1")  # what docker/gateway-resolver.envsh finds
    if local.get("CFA_UPSTREAM_RESOLVE") and nginx_version() < (1, 27, 3):
        # `server ... resolve` arrived in nginx 1.27.3 (the image pins 1.28); an older nginx
        # here checks everything else.
        local["CFA_UPSTREAM_RESOLVE"] = ""
    return local


def compose_gateway_values() -> dict[str, str]:
    environment = compose_config("compose.yaml")["services"]["gateway"]["environment"]
    return {name: value for name, value in environment.items() if name.startswith("CFA_")}


def kubernetes_gateway_values(overlay: str) -> dict[str, str]:
    (config,) = [
        o
        for o in objects(overlay)
        if o["kind"] == "ConfigMap" and o["metadata"]["name"] == "gateway-env"
    ]
    return dict(config["data"])


def dockerfile_gateway_values() -> dict[str, str]:
    text = (ROOT / "Dockerfile").read_text()
    gateway = text[text.index("AS gateway") :]
    return dict(re.findall(r"(CFA_[A-Z_]+)=(\S*)", gateway))


def template_names() -> set[str]:
    return set(PLACEHOLDER.findall(TEMPLATE.read_text()))


def test_scripts_up_rendering(tmp_path: Path) -> None:
    render = render_module()
    values = {**render.DEFAULTS, "CFA_ACCESS_LOG": str(tmp_path / "access.log"),
              "CFA_STATIC_ROOT": str(tmp_path), "CFA_FRONTEND_ROOT": str(tmp_path)}  # fmt: skip
    site = render.render(TEMPLATE.read_text(), values)
    assert "keepalive 64;" in site
    assert " resolve;" not in site
    nginx_test(site, tmp_path)


def test_compose_rendering(tmp_path: Path) -> None:
    values = compose_gateway_values()
    site = render_module().render(TEMPLATE.read_text(), container_values(values, tmp_path))
    nginx_test(site, tmp_path)


@pytest.mark.parametrize("overlay", ["dev", "production"])
def test_kubernetes_rendering(overlay: str, tmp_path: Path) -> None:
    values = kubernetes_gateway_values(overlay)
    assert values["CFA_UPSTREAM_RESOLVE"] == ""  # Services' cluster addresses do not move
    site = render_module().render(TEMPLATE.read_text(), container_values(values, tmp_path))
    assert re.search(r"location /internal/ \{\s*return 404;", site)  # the same refusal
    nginx_test(site, tmp_path)


def test_every_placeholder_has_a_value_wherever_the_template_is_rendered() -> None:
    # The nginx image leaves a ${CFA_...} that is not set as it is: nginx would then refuse it.
    names = template_names()
    derived = set(render_module().DERIVED)  # made from other values (CFA_TRUSTED_PROXIES)
    # docker/gateway-resolver.envsh: CFA_RESOLVER when not set, and the derived values
    envsh_sets = {"CFA_RESOLVER"} | derived
    assert names - set(compose_gateway_values()) - derived == set()
    assert names - set(dockerfile_gateway_values()) - envsh_sets == set()
    for overlay in ("dev", "production"):
        assert names - set(kubernetes_gateway_values(overlay)) - envsh_sets == set(), overlay
    assert names - set(render_module().DEFAULTS) - derived - {
        "CFA_STATIC_ROOT", "CFA_FRONTEND_ROOT"
    } == set()  # fmt: skip
    # Where the image makes them, their inputs are set (or empty: the script's default).
    for values in (compose_gateway_values(), kubernetes_gateway_values("production")):
        assert "CFA_TRUSTED_PROXIES" in values


def envsh_real_ip(trusted: str | None) -> subprocess.CompletedProcess[str]:
    """Source docker/gateway-resolver.envsh as the image's entrypoint does; print its result."""
    script = (ROOT / "docker" / "gateway-resolver.envsh").read_text()
    env = {"PATH": "/usr/bin:/bin", "CFA_RESOLVER": "127.0.0.11"}
    if trusted is not None:
        env["CFA_TRUSTED_PROXIES"] = trusted
    return subprocess.run(
        ["sh", "-c", script + '\nprintf "%s" "$CFA_SET_REAL_IP_FROM"'],
        capture_output=True, text=True, check=False, env=env, cwd=ROOT,
    )  # fmt: skip


def test_the_image_and_scripts_up_trust_the_same_proxies() -> None:
    """Issue 20, finding 3: the image's entrypoint script and nginx/render.py turn
    CFA_TRUSTED_PROXIES into the same set_real_ip_from lines, and refuse the same values."""
    render = render_module()
    for trusted in ["", "10.0.0.0/8", "10.0.0.0/8, 192.168.1.7  fd00::/8", "unix:"]:
        done = envsh_real_ip(trusted)
        assert done.returncode == 0, done.stderr
        assert done.stdout == render.real_ip_directives(trusted), trusted
    assert envsh_real_ip(None).stdout == ""  # unset: no proxy is trusted
    for bad in ["10.0.0.0/8;include /etc/passwd", "proxy.example.org", "*"]:
        assert envsh_real_ip(bad).returncode != 0, bad
        with pytest.raises(SystemExit):
            render.real_ip_directives(bad)


def test_the_rendered_gateway_takes_the_client_address_from_trusted_proxies_only() -> None:
    render = render_module()
    values = {**render.DEFAULTS, "CFA_STATIC_ROOT": "/s", "CFA_FRONTEND_ROOT": "/f"}
    plain = render.render(TEMPLATE.read_text(), values)
    assert not re.search(r"(?m)^\s*set_real_ip_from", plain)  # the default: nobody is trusted
    assert "real_ip_header X-Forwarded-For;" in plain
    assert "real_ip_recursive on;" in plain
    behind = render.render(TEMPLATE.read_text(), {**values, "CFA_TRUSTED_PROXIES": "10.1.0.0/16"})
    assert "set_real_ip_from 10.1.0.0/16;" in behind
    # What a client sent in X-Forwarded-For, tracestate or baggage never reaches a service.
    for line in ('proxy_set_header baggage "";', 'proxy_set_header tracestate "";'):
        assert plain.count(line) == plain.count("proxy_set_header X-Request-Id"), line
    assert "$proxy_add_x_forwarded_for" not in plain


def test_the_rate_limits_agree_with_scripts_up() -> None:
    defaults = render_module().DEFAULTS
    for values in (compose_gateway_values(), dockerfile_gateway_values(),
                   kubernetes_gateway_values("production")):  # fmt: skip
        for name in ("CFA_TOKEN_RATE", "CFA_TOKEN_BURST", "CFA_API_RATE", "CFA_API_BURST"):
            assert values[name] == defaults[name], name


def test_the_resolver_script_takes_the_first_name_server(tmp_path: Path) -> None:
    script = (ROOT / "docker" / "gateway-resolver.envsh").read_text()
    resolv = tmp_path / "resolv.conf"
    for content, expected in [
        ("search svc.cluster.local\nnameserver 10.96.0.10\nnameserver 10.96.0.11\n", "10.96.0.10"),
        ("nameserver fd00::a\n", "[fd00::a]"),
    ]:
        resolv.write_text(content)
        local = script.replace("/etc/resolv.conf", str(resolv))
        done = subprocess.run(
            ["sh", "-c", local + '\necho "$CFA_RESOLVER"'],
            capture_output=True, text=True, check=True, env={"PATH": "/usr/bin:/bin"},
        )  # fmt: skip
        assert done.stdout.strip() == expected
    done = subprocess.run(
        ["sh", "-c", script + '\necho "$CFA_RESOLVER"'],
        capture_output=True, text=True, check=True,
        env={"PATH": "/usr/bin:/bin", "CFA_RESOLVER": "127.0.0.11"},
    )  # fmt: skip
    assert done.stdout.strip() == "127.0.0.11"
