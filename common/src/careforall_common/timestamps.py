from __future__ import annotations

from datetime import datetime


def timestamp(value: datetime) -> str:
    """ISO-8601 UTC with a ``Z`` (SPEC §2)."""
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text
