from __future__ import annotations

from typing import Any

import pytest


@pytest.mark.django_db
def test_health_ok(client: Any) -> None:
    response = client.get("/api/health/payment")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "service": "payment", "database": "ok"}


def test_unknown_path_is_a_problem(client: Any) -> None:
    response = client.get("/api/nothing-here")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
