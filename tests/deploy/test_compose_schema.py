"""compose.yaml and compose.dev.yaml against the Compose Specification's JSON schema.

The schema is the one the PyPI package check-jsonschema ships (its vendored copy of the
compose-spec project's schema/compose-spec.json, requirements/dev.txt); Compose v2 itself checks
the files against the copy it embeds in test_compose.py (`docker compose config`).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import check_jsonschema
import jsonschema
import pytest
import yaml

from .conftest import ROOT

VENDOR = Path(check_jsonschema.__file__).parent / "builtin_schemas" / "vendor"


@cache
def validator(name: str) -> jsonschema.protocols.Validator:
    schema: dict[str, Any] = json.loads((VENDOR / f"{name}.json").read_text())
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def errors(name: str, document: Any) -> list[str]:
    return [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in validator(name).iter_errors(document)
    ]


@pytest.mark.parametrize("file", ["compose.yaml", "compose.dev.yaml"])
def test_valid_against_the_compose_specification(file: str) -> None:
    assert errors("compose-spec", yaml.safe_load((ROOT / file).read_text())) == []


def test_the_schema_refuses_a_misspelt_key() -> None:
    document = yaml.safe_load((ROOT / "compose.yaml").read_text())
    document["services"]["gateway"]["stop_grace"] = "35s"
    assert errors("compose-spec", document)
