"""The ``transparency`` scenario: what the transparency log costs ingestion and capture (issue 23).

Two gunicorns of campaign_service (``sides.side_start``: web-campaign's command, environment
and database), one with ``TRANSPARENCY_LOG=true``, one with ``false`` (taken: the bench runs
with ``CAREFORALL_SANDBOX=true``). Each run POSTs signed batches of ``PAYMENT_CAPTURED``
events (``BENCH_TRANSPARENCY_BATCH``, 20 events, from 4 threads; new payment ids, cycling over
the first ``BENCH_TRANSPARENCY_CAMPAIGNS`` (50) seeded campaigns; built with the contracts and
signed as payment_service's relay signs them: ``inservice.py events``) to ``/internal/events``
of one side for ``BENCH_DURATION`` seconds. ``BENCH_TRANSPARENCY_ROUNDS`` (6) runs of each
side, alternating. Reported: the CPU of each side's gunicorn per event applied; for
information, the campaign worker's CPU per event over the run and until campaign_service's
outbox is delivered again (with the log on it relays one ``CAPTURE_LOGGED`` per capture to
payment_service, which rejects these: their payments do not exist there; and it signs the
logs' checkpoints). ``BENCH_TRANSPARENCY_CONTROL=1``: both sides with the log on. Also the
capture path's extra in payment_service (``inservice.py salt``): the salt and commitment, and
the look-up and insert of their row.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

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
    processes,
    side_pids,
    side_start,
)

PORTS = {"on": int(os.environ.get("BENCH_TRANSPARENCY_ON_PORT", "9025")), "off": 9015}
ROUNDS = int(os.environ.get("BENCH_TRANSPARENCY_ROUNDS", "6"))
BATCH = int(os.environ.get("BENCH_TRANSPARENCY_BATCH", "20"))
THREADS = 4


def worker_pids(run: Path, name: str) -> list[int]:
    return processes(run).get(name, [])


def transparency_run(run: Path, duration: int) -> list[str]:
    control = os.environ.get("BENCH_TRANSPARENCY_CONTROL") == "1"
    spread = int(os.environ.get("BENCH_TRANSPARENCY_CAMPAIGNS", "50"))
    campaigns = ",".join(os.environ["BENCH_CAMPAIGN_IDS"].split(",")[:spread])
    load_before = load_average()
    salt = in_service(run, "payment", ["salt", "500"])
    servers = {
        side: side_start(
            run,
            "campaign",
            port,
            {"TRANSPARENCY_LOG": "true" if control or side == "on" else "false"},
            "/api/health/campaign",
        )
        for side, port in PORTS.items()
    }
    prefix = os.environ.get("DATABASE_PREFIX", "careforall_")
    outbox = connect(f"{prefix}campaign")
    worker = worker_pids(run, "worker-campaign")

    def delivered(timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ((waiting,),) = select(
                outbox,
                "SELECT COUNT(*) FROM outbox_outboxevent WHERE status = 'pending' AND attempts = 0",
                [],
            )
            if not waiting:
                return
            time.sleep(0.5)

    def one_run(side: str) -> dict[str, float]:
        delivered()
        pids = side_pids(servers[side])
        cpu, worker_cpu = cpu_seconds(pids), cpu_seconds(worker)
        first_id = int(time.time() * 1000) * 100
        sent = in_service(
            run,
            "payment",
            [
                "events",
                f"http://127.0.0.1:{PORTS[side]}",
                str(duration),
                str(THREADS),
                str(BATCH),
                campaigns,
                str(first_id),
            ],
        )
        spent = cpu_seconds(pids) - cpu
        delivered()
        worker_spent = cpu_seconds(worker) - worker_cpu
        processed = max(sent["processed"], 1)
        if sent["failures"]:
            sys.stderr.write(f"transparency_bench.py: {side}: {sent['failures']}\n")
        return {
            "events_s": sent["processed"] / sent["elapsed"],
            "cpu_ms": 1000 * spent / processed,
            "worker_ms": 1000 * worker_spent / processed,
            "others": float(sent["events"] - sent["processed"]),
        }

    try:
        results = alternate(("on", "off"), ROUNDS, one_run)
    finally:
        for server in servers.values():
            server.terminate()
            server.wait(timeout=30)
    on, off = medians(results["on"]), medians(results["off"])
    pairs = adjacent_pairs(results, ("on", "off"), "cpu_ms")
    others = sum(r["others"] for runs in results.values() for r in runs)
    runs_text = "; ".join(
        f"{side} " + ", ".join(f"{r['cpu_ms']:.3f}" for r in runs) for side, runs in results.items()
    )
    db_text = (
        f", its row (look-up + insert, in a transaction rolled back, {salt['db_payments']} "
        f"captured payments) {salt['db_us']:.0f} µs"
        if salt.get("db_us") is not None
        else ", its row not measured (no captured payment in the bench's database)"
    )
    return [
        ("CONTROL, both sides with the log on: " if control else "")
        + "transparency log on ingestion (signed batches of "
        f"{BATCH} PAYMENT_CAPTURED events of {len(campaigns.split(','))} campaigns to "
        "/internal/events straight at campaign_service, "
        f"{THREADS} threads, {ROUNDS} runs of {duration} s each side, alternating; medians): "
        f"TRANSPARENCY_LOG=true {on['events_s']:,.0f} events/s, {on['cpu_ms']:.3f} ms CPU per "
        f"event; false {off['events_s']:,.0f} events/s, {off['cpu_ms']:.3f} ms; ratio "
        f"{on['cpu_ms'] / off['cpu_ms']:.2f}x CPU per event "
        f"({difference(on['cpu_ms'], off['cpu_ms'])}), "
        f"{difference(on['events_s'], off['events_s'])} events/s; adjacent pairs (on - off) "
        + ", ".join(f"{p:+.3f}" for p in pairs)
        + f" ms, mean {statistics.mean(pairs):+.3f} ms; campaign worker (CAPTURE_LOGGED relay, "
        f"checkpoints) {on['worker_ms']:.3f} vs {off['worker_ms']:.3f} ms per event; events not "
        f"processed {others:.0f} (CPU ms per event of each run: {runs_text})",
        "transparency on the capture path (payment_service, in-process): salt + commitment "
        f"{salt['salt_us']:.1f} µs{db_text}; load average {load_before} at the start, "
        f"{load_average()} at the end",
    ]
