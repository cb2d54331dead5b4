"""Throughput check, run by hand (not a test): `python -m stripe_sandbox.tests.throughput`.

Starts `python -m stripe_sandbox` in its own process (request logging on, as in development,
its log sent to /dev/null), creates one PaymentIntent, then times GET /v1/payment_intents/{id}
from one client over one keep-alive connection: raw http.client first, then the stripe SDK.
"""

from __future__ import annotations

import argparse
import http.client
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import stripe

API_KEY = "sk_test_careforall"
ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_healthy(port: int) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            connection.request("GET", "/_sandbox/health")
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("the sandbox did not start")


def _raw(port: int, intent_id: str, seconds: float) -> float:
    connection = http.client.HTTPConnection("127.0.0.1", port)
    headers = {"Authorization": f"Bearer {API_KEY}"}
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        connection.request("GET", f"/v1/payment_intents/{intent_id}", headers=headers)
        response = connection.getresponse()
        response.read()
        if response.status != 200:
            raise SystemExit(f"unexpected status {response.status}")
        count += 1
    return count / (time.perf_counter() - started)


def _sdk(client: stripe.StripeClient, intent_id: str, seconds: float) -> float:
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        client.v1.payment_intents.retrieve(intent_id)
        count += 1
    return count / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--quiet-log", action="store_true", help="run with SANDBOX_LOG=0")
    args = parser.parse_args()
    port = _free_port()
    env = {
        **os.environ,
        "SANDBOX_PORT": str(port),
        "SANDBOX_WEBHOOK_URL": "",
        "SANDBOX_LOG": "0" if args.quiet_log else "1",
    }
    sandbox = subprocess.Popen(
        [sys.executable, "-m", "stripe_sandbox"],
        cwd=ROOT,
        env=env,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_healthy(port)
        client = stripe.StripeClient(API_KEY, base_addresses={"api": f"http://127.0.0.1:{port}"})
        intent = client.v1.payment_intents.create(
            {
                "amount": 1000,
                "currency": "usd",
                "payment_method": "pm_card_visa",
                "confirm": True,
                "capture_method": "manual",
                "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"},
            }
        )
        raw = _raw(port, intent.id, args.seconds)
        sdk = _sdk(client, intent.id, args.seconds)
    finally:
        sandbox.terminate()
        sandbox.wait(10)
    sys.stdout.write(
        f"GET /v1/payment_intents/{{id}}, one client, keep-alive, {args.seconds:g} s each:\n"
        f"  http.client: {raw:,.0f} requests/s\n"
        f"  stripe SDK:  {sdk:,.0f} requests/s\n"
    )


if __name__ == "__main__":
    main()
