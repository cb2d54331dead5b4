"""Render nginx/*.template with the ``${CFA_*}`` values of the environment (defaults below)."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

DEFAULTS = {
    "CFA_LISTEN": "8080",
    "CFA_USER_UPSTREAM": "127.0.0.1:8001",
    "CFA_CAMPAIGN_UPSTREAM": "127.0.0.1:8002",
    "CFA_PLEDGE_UPSTREAM": "127.0.0.1:8003",
    "CFA_PAYMENT_UPSTREAM": "127.0.0.1:8004",
    "CFA_FLOWER_UPSTREAM": "127.0.0.1:5555",
    "CFA_MEMCACHED_UPSTREAM": "127.0.0.1:11211",
    "CFA_TOKEN_RATE": "120r/m",
    "CFA_TOKEN_BURST": "20",
    "CFA_API_RATE": "20000r/s",
    "CFA_API_BURST": "20000",
    "CFA_ACCESS_LOG": "off",
    # nginx's own counters (stub_status), for Prometheus through nginx-prometheus-exporter, on a
    # listener of their own; scripts/up puts it on a unix socket of its var/ directory.
    "CFA_STATUS_LISTEN": "127.0.0.1:8081",
    # The donor site's Content-Security-Policy admits Stripe.js (Stripe's documented origins);
    # scripts/up points them at the sandbox while it is the provider.
    "CFA_PAYMENT_SCRIPT_SRC": "https://js.stripe.com https://challenges.cloudflare.com",
    "CFA_PAYMENT_FRAME_SRC": "https://js.stripe.com https://hooks.stripe.com https://challenges.cloudflare.com",
    "CFA_PAYMENT_CONNECT_SRC": "https://api.stripe.com",
    # Fixed addresses locally: nothing to look up while nginx runs (compose sets both).
    "CFA_RESOLVER": "127.0.0.1",
    "CFA_UPSTREAM_RESOLVE": "",
    # The proxies (addresses or CIDRs, separated by spaces or commas) whose X-Forwarded-For the
    # gateway believes: the client's address, for the rate limits and the access log, is then the
    # last one in that header that none of them added. Empty: nobody's (the gateway is reached
    # directly, as under scripts/up and in compose). The production overlay names its load
    # balancer's range.
    "CFA_TRUSTED_PROXIES": "",
}
PLACEHOLDER = re.compile(r"\$\{(CFA_[A-Z_]+)\}")
# An IPv4 or IPv6 address or CIDR (nginx checks it further when it loads), or `unix:`; the same
# rule as docker/gateway-resolver.envsh.
PROXY = re.compile(r"unix:|[0-9A-Fa-f:./]+")


def real_ip_directives(trusted: str) -> str:
    """``set_real_ip_from`` for each trusted proxy; the image's docker/gateway-resolver.envsh
    makes the same line from ``CFA_TRUSTED_PROXIES`` (tests/deploy checks that they agree)."""
    proxies = trusted.replace(",", " ").split()
    for proxy in proxies:
        if not PROXY.fullmatch(proxy):
            raise SystemExit(f"nginx/render.py: CFA_TRUSTED_PROXIES: {proxy!r} is no address")
    return " ".join(f"set_real_ip_from {proxy};" for proxy in proxies)


# Placeholders made from other values, never set by hand.
DERIVED = {"CFA_SET_REAL_IP_FROM": lambda values: real_ip_directives(values["CFA_TRUSTED_PROXIES"])}


def render(template: str, values: dict[str, str]) -> str:
    """Replace every ``${CFA_NAME}``; an unknown name is an error, not an empty string."""
    values = {**values}
    for name, derive in DERIVED.items():
        if name not in values:
            values[name] = derive({"CFA_TRUSTED_PROXIES": "", **values})

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise SystemExit(f"nginx/render.py: {name} is not set")
        return values[name]

    return PLACEHOLDER.sub(value, template)


if __name__ == "__main__":
    source, target = Path(sys.argv[1]), Path(sys.argv[2])
    values = {**DEFAULTS, **{k: v for k, v in os.environ.items() if k.startswith("CFA_")}}
    target.write_text(render(source.read_text(), values))
