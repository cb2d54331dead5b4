"""The client's address, as the gateway decided it (SPEC §3 "Card-testing defence").

The gateway (nginx/careforall.conf.template) takes the real client address from the
``X-Forwarded-For`` of trusted proxies only (``CFA_TRUSTED_PROXIES``) and sends it alone in
``X-Forwarded-For``: whatever a client put there itself stops at the gateway. A request that
did not come through the gateway (tests, a peer) has none: its connection's address counts.
"""

from __future__ import annotations

import ipaddress

from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    """The address the per-address limits count: the gateway's decision, else the socket's."""
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    # The gateway sends one address; if a chain ever arrives, the nearest hop's entry is the one
    # a proxy of ours wrote.
    candidate = forwarded.rsplit(",", 1)[-1].strip()
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return str(request.META.get("REMOTE_ADDR") or "")
