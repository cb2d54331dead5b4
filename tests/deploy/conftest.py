"""Helpers of the deployment checks: the repository, compose's own view of compose.yaml, and the
rendered Kubernetes objects."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
OVERLAYS = ("dev", "production")
SERVICES = ("user", "campaign", "pledge", "payment")


def tool(name: str) -> str:
    """The path of a command the virtualenv installs (requirements/dev.txt), else from PATH."""
    path = BIN / name
    if path.exists():
        return str(path)
    found = shutil.which(name)
    assert found, f"{name} is not installed (requirements/dev.txt)"
    return found


def run(*command: str, cwd: Path = ROOT, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


# Compose interpolates from the shell and from ./.env: neither may change what is checked.
CLEAN_ENV = {"PATH": "/usr/bin:/bin", "HOME": str(ROOT / "var")}


@cache
def compose_config(*files: str) -> dict[str, Any]:
    """Return `docker compose config` of the files: Compose v2 itself loads them, validates them
    against the Compose specification's JSON schema and resolves anchors, merges and defaults."""
    empty_env = ROOT / "var" / "deploy-tests.env"
    empty_env.parent.mkdir(exist_ok=True)
    empty_env.write_text("")
    command = [tool("docker-compose"), "--env-file", str(empty_env)]
    for file in files:
        command += ["-f", file]
    return json.loads(run(*command, "config", "--format", "json", env=CLEAN_ENV))


@cache
def kustomize(overlay: str) -> str:
    """Return `kubectl kustomize` of an overlay (or "base")."""
    path = ROOT / "deploy" / "k8s" / ("base" if overlay == "base" else f"overlays/{overlay}")
    kubectl = shutil.which("kubectl")
    assert kubectl, "kubectl (1.32 or later, with Kustomize) is not on PATH: docs/deploy.md"
    return run(kubectl, "kustomize", str(path))


def objects(overlay: str) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(kustomize(overlay)) if doc]
