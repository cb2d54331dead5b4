"""scripts/changed_services.py: which parts a change touches, and the images' versions."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from .conftest import ROOT

SCRIPT = ROOT / "scripts" / "changed_services.py"
ALL_PYTHON_IMAGES = {"user", "campaign", "pledge", "payment", "stripe_sandbox", "gateway"}
SHARED = {"common", "deploy", "integration"}


def load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("changed_services", SCRIPT)
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["changed_services"] = module  # dataclasses and typing look it up
    spec.loader.exec_module(module)
    return module


changed = load()


@pytest.mark.parametrize(
    ("paths", "expected"),
    [
        (["docs/deploy.md"], set()),
        (["README.md", "docs/architecture.md", "pledge_service/README.md"], set()),
        (["pledge_service/pledges/services.py"], {"pledge", "integration"}),
        (["payment_service/VERSION"], {"payment", "integration"}),
        (["stripe_sandbox/server.py"], {"stripe_sandbox", "integration"}),
        (["frontend/src/App.tsx"], {"frontend", "gateway", "deploy", "integration"}),
        (["nginx/careforall.conf.template"], {"gateway", "deploy", "integration"}),
        (["common/src/careforall_common/outbox/relay.py"], ALL_PYTHON_IMAGES | SHARED),
        (["requirements/base.txt"], ALL_PYTHON_IMAGES | SHARED),
        (["Dockerfile"], ALL_PYTHON_IMAGES | {"frontend", "deploy", "integration"}),
        (["deploy/k8s/base/gateway.yaml", "compose.yaml", ".github/workflows/ci.yml"], {"deploy"}),
        (["tests/integration/test_pledges.py"], {"integration"}),
        (["scripts/test"], set(changed.PARTS)),  # a path no rule knows: everything
        (["pledge_service/x.py", "docs/x.md"], {"pledge", "integration"}),
    ],
)  # fmt: skip
def test_paths_to_parts(paths: list[str], expected: set[str]) -> None:
    assert changed.touched(paths) == expected


def test_the_shared_package_touches_every_service() -> None:
    assert {"user", "campaign", "pledge", "payment"} <= changed.touched(["common/pyproject.toml"])


def test_cli_prints_parts_and_the_ci_matrix() -> None:
    def cli(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, check=True
        )
        return done.stdout

    assert cli("pledge_service/a.py").split() == ["pledge", "integration"]
    assert cli("docs/a.md") == ""
    assert json.loads(cli("--format", "json", "user_service/a.py")) == ["user", "integration"]
    github = dict(
        line.split("=", 1) for line in cli("--format", "github", "pledge_service/a.py").splitlines()
    )
    assert json.loads(github["services"]) == ["pledge"]
    (image,) = json.loads(github["images"])
    version = (ROOT / "pledge_service" / "VERSION").read_text().strip()
    assert image == {
        "image": "pledge",
        "target": "pledge_service",
        "name": "pledge-service",
        "version": version,
    }
    assert github["pledge"] == "true"
    assert github["user"] == "false"


def test_every_version_file_is_semver() -> None:
    assert set(changed.versions()) == set(changed.IMAGES)


@pytest.mark.parametrize("text", ["1.2.3", "0.1.0", "1.0.0-rc.1", "2.0.0+build.5", "10.20.30"])
def test_semver_accepted(text: str) -> None:
    changed.parse_version(text)


@pytest.mark.parametrize("text", ["1.2", "v1.2.3", "01.2.3", "1.2.3-", "1.2.3.4", ""])
def test_semver_refused(text: str) -> None:
    with pytest.raises(ValueError, match="semantic version"):
        changed.parse_version(text)


@pytest.mark.parametrize(
    ("new", "old", "expected"),
    [
        ("0.1.1", "0.1.0", True),
        ("0.2.0", "0.1.9", True),
        ("1.0.0", "1.0.0", False),
        ("0.9.0", "1.0.0", False),
        ("1.0.0", "1.0.0-rc.1", True),
        ("1.0.0-rc.2", "1.0.0-rc.1", True),
        ("1.0.0-rc.10", "1.0.0-rc.9", True),
        ("1.0.0-rc.1", "1.0.0", False),
        ("1.0.0-beta", "1.0.0-alpha", True),
    ],
)
def test_version_order(new: str, old: str, expected: bool) -> None:
    assert changed.newer(new, old) is expected


def git(tree: Path, *args: str) -> str:
    identity = ["-c", "user.email=ci@careforall.invalid", "-c", "user.name=ci"]
    return subprocess.run(
        ["git", "-C", str(tree), *identity, *args],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip


def test_since_a_ref_and_the_bump_check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # given a repository with the images' VERSION files at 0.1.0
    for file, _, _ in changed.IMAGES.values():
        (tmp_path / file).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / file).write_text("0.1.0\n")
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-qm", "start")
    monkeypatch.setattr(changed, "ROOT", tmp_path)

    # when pledge_service changes (a commit and an untracked file) without a new version
    (tmp_path / "pledge_service" / "a.py").write_text("")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "x.md").write_text("")
    paths = changed.changed_since("HEAD")
    assert paths == ["docs/x.md", "pledge_service/a.py"]
    assert changed.bump_errors("HEAD", {"pledge"}) == [
        "pledge changed but pledge_service/VERSION is still 0.1.0 (was 0.1.0)"
    ]

    # then a bump satisfies the check
    (tmp_path / "pledge_service" / "VERSION").write_text("0.1.1\n")
    assert changed.bump_errors("HEAD", {"pledge"}) == []
    assert changed.main(["--since", "HEAD", "--require-bump"]) == 0


def test_every_step_of_scripts_test_names_a_part() -> None:
    # scripts/test --changed-since keeps a step when the part its name ends with changed
    # (`selected` there); a step named after no part would never run with the option.
    names = re.findall(r'^step "([^"]+)"', (ROOT / "scripts" / "test").read_text(), re.MULTILINE)
    names += [
        f"makemigrations --check {s}" for s in ("user", "campaign", "pledge", "payment")
    ]  # the loops: step "makemigrations --check $service", step "pytest $service"
    always = ("ruff", "mypy", "import cycles", "openapi", "audit")  # selected(): any change
    parts = set(changed.PARTS)
    for name in names:
        if name.startswith(always) or "$" in name:
            continue
        part = "integration" if name == "pytest end-to-end and browser" else name.split()[-1]
        assert part in parts, name
    assert "pytest deploy" in names
