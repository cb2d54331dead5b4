""".github/workflows/ci.yml: valid, and it tests and builds only what changed."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from typing import Any

import yaml

from .conftest import ROOT
from .test_compose_schema import errors

WORKFLOW = ROOT / ".github" / "workflows" / "ci.yml"
TEST_JOBS = {"lint", "service", "common", "stripe_sandbox", "frontend", "deploy", "integration"}


def workflow() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(WORKFLOW.read_text())
    return loaded


def steps(job: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = workflow()["jobs"][job]["steps"]
    return found


def test_valid_against_the_github_workflow_schema() -> None:
    document = workflow()
    document["on"] = document.pop(True)  # as GitHub reads it (YAML 1.2: `on` is a string)
    assert errors("github-workflows", document) == []


def test_runs_on_pull_requests_and_on_main() -> None:
    triggers = workflow()[True]  # YAML 1.1 reads the key `on` as true
    assert set(triggers) == {"pull_request", "push"}
    assert triggers["push"]["branches"] == ["main"]


def test_the_changes_job_publishes_what_the_map_prints() -> None:
    job = workflow()["jobs"]["changes"]
    (mapping,) = [s for s in job["steps"] if s.get("id") == "map"]
    assert "scripts/changed_services.py --since" in mapping["run"]
    assert "--format github" in mapping["run"]
    printed = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "changed_services.py"), "--format", "github"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    keys = {line.split("=", 1)[0] for line in printed.splitlines()}
    for name, value in job["outputs"].items():
        assert value == f"${{{{ steps.map.outputs.{name} }}}}"
        assert name in keys, name
    runs = " ".join(s.get("run", "") for s in job["steps"])
    assert "changed_services.py --versions" in runs
    assert "--require-bump" in runs


def test_each_test_job_runs_only_when_its_part_changed() -> None:
    jobs = workflow()["jobs"]
    outputs = set(jobs["changes"]["outputs"])
    for name in TEST_JOBS:
        job = jobs[name]
        assert job["needs"] == "changes", name
        used = set(re.findall(r"needs\.changes\.outputs\.(\w+)", job["if"]))
        assert used, name
        assert used <= outputs, name


def test_one_job_per_changed_service() -> None:
    job = workflow()["jobs"]["service"]
    assert job["strategy"]["matrix"]["service"] == "${{ fromJSON(needs.changes.outputs.services) }}"
    runs = {s.get("name"): s for s in job["steps"]}
    assert "makemigrations --check" in runs["makemigrations --check"]["run"]
    assert runs["pytest"]["working-directory"] == "${{ matrix.service }}_service"


def test_only_changed_images_are_built_and_tagged_with_their_version() -> None:
    job = workflow()["jobs"]["images"]
    assert set(job["needs"]) == {"changes", *TEST_JOBS}
    assert "needs.changes.outputs.images != '[]'" in job["if"]
    assert "!failure()" in job["if"]
    assert job["strategy"]["matrix"]["image"] == "${{ fromJSON(needs.changes.outputs.images) }}"
    (build,) = [s for s in job["steps"] if s.get("uses", "").startswith("docker/build-push-action")]
    options = build["with"]
    assert options["target"] == "${{ matrix.image.target }}"
    assert options["build-args"] == "VERSION=${{ matrix.image.version }}"
    tags = options["tags"].splitlines()
    assert tags[0] == "${{ env.IMAGE_PREFIX }}/${{ matrix.image.name }}:${{ matrix.image.version }}"
    assert "github.ref == 'refs/heads/main'" in options["push"]  # pull requests build only


def test_the_image_matrix_names_real_targets() -> None:
    script = str(ROOT / "scripts" / "changed_services.py")
    printed = subprocess.run(
        [sys.executable, script, "--format", "github", "Dockerfile"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    images = json.loads(dict(line.split("=", 1) for line in printed.splitlines())["images"])
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert len(images) == 7
    for image in images:
        assert re.search(rf"^FROM \S+ AS {image['target']}$", dockerfile, re.MULTILINE), image


def test_actions_are_pinned_and_scripts_exist() -> None:
    for job in workflow()["jobs"].values():
        for step in job["steps"]:
            if "uses" in step:
                assert re.fullmatch(r"[\w-]+/[\w-]+@v\d+", step["uses"]), step["uses"]
            for path in re.findall(r"scripts/[\w.-]+", step.get("run", "")):
                assert (ROOT / path).exists(), path


def test_the_schema_refuses_a_misspelt_key() -> None:
    document = workflow()
    document["on"] = document.pop(True)
    document["jobs"]["deploy"]["run-on"] = document["jobs"]["deploy"].pop("runs-on")
    assert errors("github-workflows", document)
