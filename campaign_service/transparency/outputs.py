from __future__ import annotations

from typing import Any

from transparency import tree


def path_output(path: list[tree.Node]) -> list[dict[str, Any]]:
    """Proof nodes as served: ``{"hash": lowercase hex, "sum": int}``."""
    return [{"hash": node.hash.hex(), "sum": node.sum} for node in path]
