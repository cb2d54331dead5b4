"""An event handler for the inbox tests: it remembers what it applied, in order."""

from __future__ import annotations

from typing import Any

from careforall_common.inbox.handlers import RejectEvent

applied: list[dict[str, Any]] = []


def thing_happened(event: dict[str, Any]) -> None:
    if event["payload"].get("poison"):
        raise RejectEvent("poison")
    if event["payload"].get("explode"):
        raise RuntimeError("the consumer broke")
    applied.append(event)
