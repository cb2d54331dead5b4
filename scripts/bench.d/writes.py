# ruff: noqa: S603, S607  (runs wrk, pgrep and the write reference: fixed programs)
"""The ``payment-32`` and ``webhook-32`` scenarios: the writes after the pledge, each against
the bare Django + DRF write reference (scripts/bench.d/reference, started by scripts/bench).

- ``payment-32``: ``POST /api/payments`` straight at the platform's web-payment (the gateway
  would send every request from 127.0.0.1, and the card-testing limits per address would refuse
  them): guests paying pledges made for the run through the gateway, ``pm_card_visa`` confirmed
  by the platform against the bench's sandbox, each request from an address of its own
  (payment-create.lua; the campaign's guest limit is raised by scripts/bench). Against the
  reference's ``POST /payments``: the same SDK call, then the payment, its idempotency record
  and an outbox row in one transaction. The pipeline is left to finish before each run.
- ``webhook-32``: Stripe-signed ``payment_intent.succeeded`` events through the gateway, each
  with its own id, naming the intents of payments already captured (a redelivery's work:
  verified, stored, matched to its payment, closed as ``no_change``). Against the reference's
  ``POST /webhook``: the same bodies, verified with the SDK, the event row and an outbox row.

Rates count 2xx answers only; CPU per request is that of web-payment's gunicorn and of the
reference's, over the measured run.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import sys
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from defence_bench import Quiet, guest_pledges
from pipeline import select
from servers import measured
from sides import processes

CONNECTIONS = 32
PAYMENT_PORT = os.environ.get("PAYMENT_PORT", "9004")
STATE = Path(os.environ.get("BENCH_WRITES_STATE", "/tmp/bench-reference-writes"))  # noqa: S108


def reference_pids() -> list[int]:
    import subprocess

    main = int((STATE / "gunicorn.pid").read_text())
    out = subprocess.run(["pgrep", "-P", str(main)], capture_output=True, text=True, check=False)
    return [main, *map(int, out.stdout.split())]


def payment_run(
    url: str, reference: str, run: Path, duration: int, warmup: int, wrk: Any
) -> dict[str, Any]:
    campaigns = [int(c) for c in os.environ["BENCH_CAMPAIGN_IDS"].split(",")]
    wrk(reference + "/payments", CONNECTIONS, warmup, "reference-payment.lua")
    ref = measured(
        wrk, reference + "/payments", CONNECTIONS, duration, "reference-payment.lua",
        reference_pids(),
    )  # fmt: skip
    files = run / "payment-pledges"
    files.mkdir(exist_ok=True)
    for name, seconds in (("warm-up", warmup), ("run", duration)):
        made = guest_pledges(url, 120 * seconds + 50, campaigns)
        (files / f"{name}.txt").write_text("".join(f"{i} {token}\n" for i, token in made))
    target = f"http://127.0.0.1:{PAYMENT_PORT}/"
    quiet = Quiet()
    quiet.wait()
    os.environ["BENCH_PLEDGES_FILE"] = str(files / "warm-up.txt")
    wrk(target, CONNECTIONS, warmup, "payment-create.lua")
    quiet.wait()
    os.environ["BENCH_PLEDGES_FILE"] = str(files / "run.txt")
    events_before = provider_events(quiet)
    ours = measured(
        wrk, target, CONNECTIONS, duration, "payment-create.lua",
        processes(run).get("web-payment", []),
    )  # fmt: skip
    # web-payment's CPU also pays for the sandbox's webhooks about these payments (authorized,
    # then captured by the pipeline) that arrive during the run: counted, to read it by.
    webhooks = provider_events(quiet) - events_before
    ours["cpu_of"] = f"web-payment's gunicorn, which also took {webhooks:,} provider webhooks"
    ours["late"] = quiet.late
    return {"reference": ref, "platform": ours}


def provider_events(quiet: Quiet) -> int:
    ((count,),) = select(quiet.db["payment"], "SELECT COUNT(*) FROM payments_providerevent", [])
    return int(count)


def signed_events(intents: list[tuple[str, int]], count: int, path: Path) -> None:
    """``count`` signed ``payment_intent.succeeded`` events about ``intents``, one per line."""
    secret = os.environ.get("STRIPE_WEBHOOK_SECRET", "whsec_careforall_local").encode()
    now = int(time.time())
    with path.open("w") as out:
        for n in range(count):
            intent, payment_id = intents[n % len(intents)]
            body = json.dumps(
                {
                    "id": f"evt_bench_{uuid.uuid4().hex}",
                    "object": "event",
                    "type": "payment_intent.succeeded",
                    "created": now,
                    "data": {
                        "object": {
                            "id": intent,
                            "object": "payment_intent",
                            "status": "succeeded",
                            "amount": 1000,
                            "amount_received": 1000,
                            "currency": "usd",
                            "metadata": {"payment_id": str(payment_id)},
                        }
                    },
                },
                separators=(",", ":"),
            )
            mac = hmac.new(secret, f"{now}.{body}".encode(), hashlib.sha256).hexdigest()
            out.write(f"t={now},v1={mac}\t{body}\n")


def webhook_run(
    url: str, reference: str, run: Path, duration: int, warmup: int, wrk: Any
) -> dict[str, Any]:
    quiet = Quiet()
    quiet.wait()
    intents = [
        (str(intent), int(pk))
        for pk, intent in select(
            quiet.db["payment"],
            "SELECT id, provider_payment_id FROM payments_payment "
            "WHERE status = 'CAPTURED' AND provider_payment_id IS NOT NULL "
            "ORDER BY id DESC LIMIT 5000",
            [],
        )
    ]
    if not intents:
        sys.exit("writes.py: webhook-32 needs captured payments (run payment-32 or capture first)")
    files = run / "webhook-events"
    files.mkdir(exist_ok=True)
    sides = (
        ("reference", reference + "/", "/webhook"),
        ("platform", url + "/", "/api/payments/webhook"),
    )
    results: dict[str, Any] = {}
    for side, target, path in sides:
        os.environ["BENCH_WEBHOOK_PATH"] = path
        for name, seconds in (("warm-up", warmup), ("run", duration)):
            signed_events(intents, 1500 * seconds, files / f"{side}-{name}.txt")
        os.environ["BENCH_EVENTS_FILE"] = str(files / f"{side}-warm-up.txt")
        wrk(target, CONNECTIONS, warmup, "webhook.lua")
        os.environ["BENCH_EVENTS_FILE"] = str(files / f"{side}-run.txt")
        pids = reference_pids() if side == "reference" else processes(run)["web-payment"]
        results[side] = measured(wrk, target, CONNECTIONS, duration, "webhook.lua", pids)
    results["platform"]["cpu_of"] = "web-payment's gunicorn; the gateway's not counted"
    return results
