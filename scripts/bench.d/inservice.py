"""Measurements that need a service's own settings: run by ``sides.in_service`` with the
environment and directory of the platform's ``web-<service>`` process; prints one JSON line.

- ``gate COUNT``: the card-testing gate's in-process cost (payment_service): ``attempt_admit``
  against the bench's Redis, COUNT calls per case, each with an address and email of its own
  (no limit trips), for a guest and for a signed-in donor, limits on and off; µs per call, the
  best of three loops (the least disturbed by the rest of the machine).
- ``salt COUNT``: what a capture adds for the transparency log (payment_service): a salt and its
  commitment (µs), and ``capture_commitment_make``'s two statements (a look-up that misses and
  the insert) in a transaction that is rolled back, over existing captured payments.
- ``events URL SECONDS THREADS BATCH CAMPAIGNS FIRST_ID``: signed batches of
  ``PAYMENT_CAPTURED`` events (built with the contracts, signed as payment_service's relay signs
  them) POSTed to ``URL/internal/events`` for SECONDS from THREADS threads, payment ids from
  FIRST_ID on, cycling over the campaign ids CAMPAIGNS (comma-separated).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import threading
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from typing import Any

sys.path.insert(0, os.getcwd())
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402


def best_us(loop: Any, count: int) -> float:
    """The best of three timings of ``loop(count)``, in µs per call (wall time)."""
    return min(timed(loop, count, repeat)[0] for repeat in range(3))


def timed(loop: Any, count: int, repeat: int) -> tuple[float, float]:
    """µs per call of ``loop(count, repeat)``: wall time, and this process's CPU time."""
    wall, cpu = time.perf_counter(), time.process_time()
    loop(count, repeat)
    return (
        (time.perf_counter() - wall) / count * 1e6,
        (time.process_time() - cpu) / count * 1e6,
    )


def gate(count: int) -> dict[str, Any]:
    from careforall_common.defence.attempts import Attempt, attempt_admit
    from careforall_common.defence.challenge import challenge_state

    state = challenge_state()
    base = int(time.time())

    def attempts(guest: bool, limits: str) -> dict[str, float]:
        settings.PAYMENT_LIMITS = limits

        def loop(n: int, repeat: int) -> None:
            for i in range(n):
                number = (repeat * n + i) % 60_000
                attempt_admit(
                    Attempt(
                        address=f"10.{200 + repeat}.{number // 250}.{number % 250 + 1}",
                        user_id=None if guest else 10**9 + base % 1000 * 1000 + i % 1000,
                        email=f"gate-{base}-{repeat}-{i}@example.org" if guest else "",
                        campaign_id=1_000_000 + number % 10_000,
                        payment_method="pm_card_visa",
                    )
                )

        runs = [timed(loop, count, repeat) for repeat in range(3)]
        return {"wall": min(r[0] for r in runs), "cpu": min(r[1] for r in runs)}

    result: dict[str, Any] = {
        "challenge": {"mode": state.mode, "active": state.active},
        "guest_on": attempts(True, "on"),
        "guest_off": attempts(True, "off"),
        "account_on": attempts(False, "on"),
        "account_off": attempts(False, "off"),
    }
    result["challenge_after"] = challenge_state().active
    return result


class Rollback(Exception):
    pass


def salt(count: int) -> dict[str, Any]:
    import secrets

    from django.db import transaction

    from payments.models import Payment
    from transparency.models import CaptureCommitment
    from transparency.services import capture_commitment_make, commitment_of

    def loop(n: int, repeat: int) -> None:
        for i in range(n):
            commitment_of(secrets.token_hex(32), 10**9 + i)

    result: dict[str, Any] = {"salt_us": best_us(loop, count * 10)}
    payments = list(Payment.objects.filter(commitment__isnull=False).order_by("-pk")[:count])
    result["db_payments"] = len(payments)
    if payments:
        timings = []
        for _ in range(3):
            try:
                with transaction.atomic():
                    CaptureCommitment.objects.filter(pk__in=[p.pk for p in payments]).delete()
                    started = time.perf_counter()
                    for payment in payments:
                        capture_commitment_make(payment)
                    timings.append((time.perf_counter() - started) / len(payments) * 1e6)
                    raise Rollback
            except Rollback:
                pass
        result["db_us"] = min(timings)
    return result


def events(
    url: str, seconds: float, threads: int, batch: int, campaigns: list[int], first_id: int
) -> dict[str, Any]:
    import requests

    from careforall_common import signing
    from careforall_common.contracts.events import Envelope, PaymentCaptured
    from careforall_common.internal import signature_header

    path = "/internal/events"
    statuses: Counter[str] = Counter()
    failures: list[str] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def worker(number: int) -> None:
        session = requests.Session()
        session.trust_env = False
        payment_id = first_id + number * 10_000_000
        while time.monotonic() < deadline:
            envelopes = []
            for _ in range(batch):
                payment_id += 1
                event = PaymentCaptured(
                    payment_id=payment_id,
                    pledge_id=payment_id,
                    campaign_id=campaigns[payment_id % len(campaigns)],
                    amount=1_000,
                    currency="usd",
                    card_brand="visa",
                    card_last4="4242",
                    commitment=hashlib.sha256(
                        f"{uuid.uuid4().hex}:{payment_id}".encode()
                    ).hexdigest(),
                )
                envelopes.append(
                    Envelope(
                        event_id=str(uuid.uuid4()),
                        event_type=event.EVENT_TYPE,
                        event_version=1,
                        occurred_at=datetime.now(UTC),
                        source="payment",
                        aggregate_id=event.aggregate_id,
                        request_id="",
                        payload=event.to_payload(),
                    ).to_dict()
                )
            body = json.dumps({"events": envelopes}).encode()
            response = session.post(
                url + path,
                data=body,
                headers={
                    signing.HEADER: signature_header("POST", path, body),
                    "Content-Type": "application/json",
                },
                timeout=30,
            )
            with lock:
                if response.status_code != 200:
                    statuses["http_" + str(response.status_code)] += batch
                    failures.append(response.text[:300])
                    continue
                for item in response.json()["results"]:
                    statuses[item["status"]] += 1
                    if item["status"] != "processed":
                        failures.append(str(item)[:300])

    started = time.monotonic()
    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    elapsed = time.monotonic() - started
    return {
        "events": sum(statuses.values()),
        "processed": statuses["processed"],
        "statuses": dict(statuses),
        "elapsed": elapsed,
        "failures": failures[:3],
    }


def main() -> None:
    command, *args = sys.argv[1:]
    if command == "gate":
        result = gate(int(args[0]))
    elif command == "salt":
        result = salt(int(args[0]))
    elif command == "events":
        url, seconds, threads, batch, campaigns, first_id = args
        result = events(
            url,
            float(seconds),
            int(threads),
            int(batch),
            [int(c) for c in campaigns.split(",")],
            int(first_id),
        )
    else:
        sys.exit(f"inservice.py: unknown command {command}")
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
