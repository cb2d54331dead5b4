"""HMAC signatures for internal calls (SPEC §4): ``X-CareForAll-Signature: t=<unix>,v1=<hex>``."""

from __future__ import annotations

import hashlib
import hmac
import time

HEADER = "X-CareForAll-Signature"


def sign(body: bytes, *, secret: str, timestamp: int | None = None) -> str:
    """Return the signature header value for ``body``."""
    t = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


def verify(header: str | None, body: bytes, *, secret: str, tolerance: int = 300) -> bool:
    """Return whether ``header`` signs ``body`` with ``secret`` within ``tolerance`` seconds."""
    if not header or not secret or not header.isascii():
        return False  # compare_digest refuses non-ASCII text with a TypeError
    parts: dict[str, list[str]] = {}
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        parts.setdefault(key, []).append(value)
    try:
        t = int(parts["t"][0])
    except (KeyError, ValueError):
        return False
    if abs(time.time() - t) > tolerance:
        return False
    expected = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return any(hmac.compare_digest(expected, candidate) for candidate in parts.get("v1", []))
