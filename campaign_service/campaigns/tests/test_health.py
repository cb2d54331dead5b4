"""Health (SPEC §3) answers 200 with the database up and migrated."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.mark.django_db
def test_health_ok(client: Any) -> None:
    response = client.get("/api/health/campaign")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "service": "campaign", "database": "ok"}
