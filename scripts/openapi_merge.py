"""Merge the services' OpenAPI schemas (scripts/openapi) into one, deterministically."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def merge(schemas: list[dict[str, Any]]) -> dict[str, Any]:
    merged: dict[str, Any] = {
        "openapi": schemas[0]["openapi"],
        "info": schemas[0]["info"],
        "servers": [{"url": "/", "description": "the gateway"}],
        "paths": {},
        "components": {"schemas": {}, "securitySchemes": {}},
    }
    for schema in schemas:
        for path, operations in schema["paths"].items():
            if path in merged["paths"]:
                raise SystemExit(f"{path} is served by two services")
            merged["paths"][path] = operations
        for kind in ("schemas", "securitySchemes"):
            for name, value in schema.get("components", {}).get(kind, {}).items():
                known = merged["components"][kind].get(name)
                if known is not None and known != value:
                    raise SystemExit(f"two services define the component {name} differently")
                merged["components"][kind][name] = value
    operation_ids = [
        operation["operationId"]
        for operations in merged["paths"].values()
        for operation in operations.values()
    ]
    duplicates = {name for name in operation_ids if operation_ids.count(name) > 1}
    if duplicates:
        raise SystemExit(f"operation ids used twice: {sorted(duplicates)}")
    return merged


if __name__ == "__main__":
    loaded = [json.loads(Path(name).read_text()) for name in sys.argv[1:]]
    sys.stdout.write(json.dumps(merge(loaded), indent=2, sort_keys=True, ensure_ascii=False) + "\n")
