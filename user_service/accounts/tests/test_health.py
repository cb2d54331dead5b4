"""Health (SPEC §3) answers 200 with the database up and 503 with it unreachable."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection


@pytest.mark.django_db
def test_health_ok(client: Any) -> None:
    response = client.get("/api/health/user")

    assert response.status_code == 200
    assert response.json()["status"] == "ok"


@pytest.mark.django_db(transaction=True)
def test_health_is_503_when_the_database_is_unreachable(client: Any) -> None:
    real_settings = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict["PORT"] = 1  # nothing listens there
    try:
        response = client.get("/api/health/user")
    finally:
        connection.close()
        connection.settings_dict.update(real_settings)

    assert response.status_code == 503
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["detail"] == "The database is unreachable."
