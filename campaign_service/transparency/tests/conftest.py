from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from transparency.signing import key_create


@pytest.fixture(autouse=True)
def transparency_key(settings: Any, tmp_path: Path) -> Path:
    """A key of the test's own, and the public address that names the logs."""
    path = tmp_path / "keys" / "transparency.pem"
    key_create(path)
    settings.TRANSPARENCY_KEY_FILE = str(path)
    settings.PUBLIC_BASE_URL = "http://localhost:8080"
    return path
