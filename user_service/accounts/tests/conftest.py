from __future__ import annotations

import uuid
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _own_sign_in_counters(settings: Any) -> None:
    """Give each test its own sign-in counters in the shared Redis (never a flush)."""
    caches = {name: dict(config) for name, config in settings.CACHES.items()}
    caches["sign_in"]["KEY_PREFIX"] = f"test-{uuid.uuid4().hex}"
    settings.CACHES = caches
