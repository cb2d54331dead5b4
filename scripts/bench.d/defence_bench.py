"""The ``defence`` scenario: what the card-testing limits cost the payment create (issue 22).

Two gunicorns of payment_service (``sides.side_start``: web-payment's command, environment and
database), one with ``PAYMENT_LIMITS=on``, one with ``off``, both ``CHALLENGE_MODE=auto`` and
calm (no declines: the challenge stays off, checked before and after). wrk straight at each, 16
connections: guests paying pledges made for the run through the gateway (each its own email),
with ``pm_card_visa`` confirmed by the platform against the bench's sandbox, each request from
an address of its own (``payment-create.lua``). So the gate does all of a guest's work: the
challenge state read, one Redis script call for the address, email and campaign limits, the
card look-up, the outcome record. The campaign's guest limit (600 per 10 minutes) is raised on
both sides: the bench pays more than that into one campaign; raising a limit changes no work.

``BENCH_DEFENCE_ROUNDS`` (6) runs of each side, alternating; before each warm-up and run the
pipeline is left to finish (pledges projected, payments captured, outboxes delivered), so one
run's captures are not the next one's load. CPU of each side's gunicorn per payment created
(rows counted in the database). ``BENCH_DEFENCE_CONTROL=1``: both sides with the limits on.
Also the gate's in-process cost (``inservice.py gate``).
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from pipeline import connect, select
from sides import (
    adjacent_pairs,
    alternate,
    cpu_seconds,
    difference,
    in_service,
    load_average,
    medians,
    side_pids,
    side_start,
)

PORTS = {"on": int(os.environ.get("BENCH_DEFENCE_ON_PORT", "9024")), "off": 9014}
ROUNDS = int(os.environ.get("BENCH_DEFENCE_ROUNDS", "6"))
CONNECTIONS = 16
COMMON = {"CHALLENGE_MODE": "auto", "PAYMENT_LIMIT_CAMPAIGN": "100000000/600"}


def guest_pledges(url: str, count: int, campaigns: list[int]) -> list[tuple[int, str]]:
    """``count`` guest pledges through the gateway: (id, receipt token)."""

    def one(n: int) -> tuple[int, str]:
        body = {
            "campaign_id": campaigns[n % len(campaigns)],
            "amount": 1_000,
            "donor_name": "Bench guest",
            "donor_email": f"guest-{uuid.uuid4().hex[:16]}@example.org",
        }
        request = urllib.request.Request(  # noqa: S310
            f"{url}/api/pledges",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json", "Idempotency-Key": uuid.uuid4().hex},
        )
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            made = json.load(response)
        return int(made["id"]), str(made["receipt_token"])

    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(one, range(count)))


class Quiet:
    """Waits until the pipeline behind the payments has finished its work."""

    def __init__(self) -> None:
        prefix = os.environ.get("DATABASE_PREFIX", "careforall_")
        self.db = {name: connect(f"{prefix}{name}") for name in ("pledge", "campaign", "payment")}
        ((self.first_payment,),) = self.one(
            "payment", "SELECT COALESCE(MAX(id), 0) FROM payments_payment"
        )
        self.late = 0

    def one(self, name: str, sql: str) -> list[tuple[Any, ...]]:
        return select(self.db[name], sql, [])

    def payments(self) -> int:
        ((count,),) = self.one("payment", "SELECT COUNT(*) FROM payments_payment")
        return int(count)

    def wait(self, timeout: float = 180.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ((made,),) = self.one("pledge", "SELECT COUNT(*) FROM pledges_pledge")
            ((seen,),) = self.one("campaign", "SELECT COUNT(*) FROM campaigns_pledgeprojection")
            ((open_payments,),) = select(
                self.db["payment"],
                "SELECT COUNT(*) FROM payments_payment WHERE id > %s "
                "AND status IN ('PROCESSING', 'AUTHORIZED')",
                [self.first_payment],
            )
            waiting = sum(
                self.one(
                    name,
                    "SELECT COUNT(*) FROM outbox_outboxevent "
                    "WHERE status = 'pending' AND attempts = 0",
                )[0][0]
                for name in self.db
            )
            if seen >= made and not open_payments and not waiting:
                return
            time.sleep(0.5)
        self.late += 1  # measured anyway; the line says how often


def us(timing: dict[str, float]) -> str:
    return f"{timing['wall']:.0f} / {timing['cpu']:.0f} µs"


def defence_run(url: str, run: Path, duration: int, warmup: int, wrk: Any) -> list[str]:
    control = os.environ.get("BENCH_DEFENCE_CONTROL") == "1"
    campaigns = [int(c) for c in os.environ["BENCH_CAMPAIGN_IDS"].split(",")]
    load_before = load_average()
    gate = in_service(run, "payment", ["gate", "3000"], COMMON)
    if gate["challenge"]["active"]:
        sys.exit("defence_bench.py: the challenge is active; the scenario needs it calm")
    servers = {
        side: side_start(
            run,
            "payment",
            port,
            {**COMMON, "PAYMENT_LIMITS": "on" if control or side == "on" else "off"},
            "/api/health/payment",
        )
        for side, port in PORTS.items()
    }
    quiet = Quiet()
    expected_rps = [40.0]
    files = run / "defence-pledges"
    files.mkdir(exist_ok=True)

    def pledges_file(name: str, seconds: int) -> str:
        count = int(max(expected_rps) * seconds * 1.6) + 50
        made = guest_pledges(url, count, campaigns)
        path = files / f"{name}.txt"
        path.write_text("".join(f"{pledge_id} {token}\n" for pledge_id, token in made))
        return str(path)

    def one_run(side: str) -> dict[str, float]:
        target = f"http://127.0.0.1:{PORTS[side]}/"
        warm, measured = pledges_file("warm-up", warmup), pledges_file("run", duration)
        quiet.wait()
        os.environ["BENCH_PLEDGES_FILE"] = warm
        wrk(target, CONNECTIONS, warmup, "payment-create.lua")
        quiet.wait()
        os.environ["BENCH_PLEDGES_FILE"] = measured
        pids = side_pids(servers[side])
        payments, cpu = quiet.payments(), cpu_seconds(pids)
        result = wrk(target, CONNECTIONS, duration, "payment-create.lua")
        spent, created = cpu_seconds(pids) - cpu, quiet.payments() - payments
        expected_rps.append(created / duration)
        return {
            "rps": created / duration,
            "p99": result["p99"],
            "cpu_ms": 1000 * spent / max(created, 1),
            "errors": float(result["errors"]),
        }

    try:
        results = alternate(("on", "off"), ROUNDS, one_run)
    finally:
        for server in servers.values():
            server.terminate()
            server.wait(timeout=30)
    gate_after = in_service(run, "payment", ["gate", "1000"], COMMON)
    on, off = medians(results["on"]), medians(results["off"])
    pairs = adjacent_pairs(results, ("on", "off"), "cpu_ms")
    errors = sum(r["errors"] for runs in results.values() for r in runs)
    runs_text = "; ".join(
        f"{side} " + ", ".join(f"{r['cpu_ms']:.2f}" for r in runs) for side, runs in results.items()
    )
    share = (gate["guest_on"]["cpu"] - gate["guest_off"]["cpu"]) / 1000 / off["cpu_ms"] * 100
    return [
        ("CONTROL, both sides with the limits on: " if control else "")
        + "defence on the payment create (POST /api/payments straight at payment_service, guests, "
        f"pm_card_visa confirmed against the sandbox, {CONNECTIONS} connections, {ROUNDS} runs "
        f"of {duration} s each side, alternating; medians): PAYMENT_LIMITS=on {on['rps']:,.1f} "
        f"creates/s, p99 {on['p99']:,.1f} ms, {on['cpu_ms']:.2f} ms CPU per create; off "
        f"{off['rps']:,.1f} creates/s, p99 {off['p99']:,.1f} ms, {off['cpu_ms']:.2f} ms; cost "
        f"{difference(on['cpu_ms'], off['cpu_ms'])} CPU per create, "
        f"{difference(on['rps'], off['rps'])} rps; adjacent pairs (on - off) "
        + ", ".join(f"{p:+.2f}" for p in pairs)
        + f" ms, mean {statistics.mean(pairs):+.2f} ms; errors {errors:.0f}; runs that did "
        f"not wait for a quiet pipeline {quiet.late} (CPU ms per create of each run: "
        f"{runs_text}) — target ≤ 5 %",
        "defence gate in-process (attempt_admit against the bench's Redis, payment_service "
        "settings, µs per call as wall time / this process's CPU time (Redis's own not "
        "counted), best of 3 loops of 3,000 calls): guest "
        f"{us(gate['guest_on'])} with the limits, {us(gate['guest_off'])} without (challenge "
        f"state read and outcome record only); signed-in donor {us(gate['account_on'])} / "
        f"{us(gate['account_off'])}; after the runs: guest {us(gate_after['guest_on'])} / "
        f"{us(gate_after['guest_off'])}; the limits' CPU in a guest create = {share:.2f} % of "
        "the off side's CPU per create; challenge mode "
        f"{gate['challenge']['mode']}, active {gate['challenge']['active']} before, "
        f"{gate_after['challenge_after']} after; load average {load_before} at the start, "
        f"{load_average()} at the end",
    ]
