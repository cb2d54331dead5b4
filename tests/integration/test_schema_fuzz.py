"""Fuzz the public API from its OpenAPI schema (schemathesis): no 5xx, every error a problem.

The schema is the checked-in one the gateway serves at /api/schema/ (scripts/openapi; the first
test checks they are the same), read from the file so that the operations are known when pytest
collects, before the platform runs. Each operation gets a bounded number of generated requests,
as a guest and as a signed-in donor, sent to the gateway.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, settings

from integration.support import Donor, bearer

EXAMPLES = 15
SCHEMA = (
    Path(__file__).resolve().parents[2]
    / "common/src/careforall_common/static/careforall/openapi.json"
)
schema = schemathesis.openapi.from_path(str(SCHEMA))


@pytest.fixture(scope="module")
def fuzz_donor(gateway: str) -> Donor:
    from integration.support import register_donor

    return register_donor(gateway)


def test_the_schema_and_its_docs_are_served(gateway: str) -> None:
    served = requests.get(f"{gateway}/api/schema/", timeout=10)
    docs = requests.get(f"{gateway}/api/docs/", timeout=10)
    script = requests.get(f"{gateway}/static/careforall/api-docs.js", timeout=10)
    ui = requests.get(
        f"{gateway}/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js",
        timeout=10,
    )

    assert served.status_code == 200
    assert served.json() == json.loads(SCHEMA.read_text())
    assert served.json()["openapi"].startswith("3.")
    assert "/api/pledges" in served.json()["paths"]
    assert docs.status_code == 200
    assert "swagger-ui" in docs.text
    assert (script.status_code, ui.status_code) == (200, 200)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_no_5xx_and_every_error_is_a_problem(case: Any, gateway: str, fuzz_donor: Donor) -> None:
    for headers in ({}, bearer(fuzz_donor.access)):
        response = case.call(base_url=gateway, headers=headers, timeout=30)

        where = f"{case.method} {case.formatted_path} -> {response.status_code}"
        assert response.status_code < 500, f"{where}: {response.text[:500]}"
        if response.status_code >= 400:
            content_type = response.headers.get("content-type", [""])[0]  # lower-cased, lists
            assert content_type.startswith("application/problem+json"), (
                f"{where}: {content_type}: {response.text[:300]}"
            )
