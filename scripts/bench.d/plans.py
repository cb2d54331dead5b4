# ruff: noqa: S603  (runs manage.py of the platform's services: fixed programs)
"""The ``plans`` scenario of scripts/bench: N recurring plans fall due at the same moment (a
calendar day's plans, all at once: the worst case) and are all charged, each once.

``plans.py URL RUN_DIR --count N`` (``BENCH_PLANS``, 10,000 by default, through suite.py):

1. **Plans, written straight to the databases** (a set-up through ``POST /api/recurring`` takes
   a provider round trip per plan, hours for 10,000 on this machine): pledge_service's
   ``manage.py bench_plans`` writes N active monthly guest plans of the first benchmark campaign
   whose first installment was charged a month ago, period 1 not yet scheduled; payment_service's
   ``manage.py bench_plan_cards`` makes, for each, a Customer at the sandbox with ``pm_card_visa``
   attached through the SDK, and the plan's ``PlanCard``. Both run with the environment of the
   platform's own processes (read from /proc), as those services would.
2. The sandbox's pending webhooks (``customer.created``, ``payment_method.attached``) are
   delivered (``/_sandbox/flush``) so that they are not part of the measurement.
3. **Due together**: one UPDATE sets every plan's ``next_charge_at`` to 5 s from now.
4. From then on nothing is shortcut: beat's look (every ``RECURRING_SWEEP_SECONDS``) sends
   ``plans.charge_due``, the pledge worker makes each installment, its pledge and
   ``INSTALLMENT_DUE``; the outbox relays the events to payment_service, whose inbox inserts each
   payment and the payment worker charges it off-session at the sandbox (authorize, then
   capture); ``PAYMENT_CAPTURED`` comes back, the installment is counted and the receipt sent.
5. Measured: from the due moment until every installment is made, until every one is captured,
   and until every email is sent (quiet); the CPU time of the pledge and payment workers
   (``worker-pledge``, ``worker-payment`` and their pool processes, /proc) over that time,
   divided by N; for information the other processes that took part (beat-pledge, the web
   services: the internal event ingestion, webhooks and reads).
6. Checked: each plan has exactly one installment of period 1, captured, one payment of it, and
   the sandbox made exactly N new PaymentIntents; else the scenario fails.

(environment: BENCH_CAMPAIGN_IDS, DATABASE_PREFIX, DATABASE_URL, SANDBOX_PORT,
BENCH_PLANS_TIMEOUT (seconds, 1800))
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from pipeline import connect
from sides import cpu_seconds, processes

SANDBOX = f"http://127.0.0.1:{os.environ.get('SANDBOX_PORT', '13111')}"
TIMEOUT = float(os.environ.get("BENCH_PLANS_TIMEOUT", "1800"))
WORKERS = ("worker-pledge", "worker-payment")
OTHERS = ("beat-pledge", "web-pledge", "web-payment", "web-campaign")


def query(conn: Any, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    cursor = conn.cursor()
    cursor.execute(sql, params)
    return list(cursor.fetchall())


def manage(run: Path, service: str, *args: str) -> str:
    """``manage.py args`` of ``service`` with the environment and directory of its web process."""
    proc = Path(f"/proc/{int((run / f'web-{service}.pid').read_text())}")
    items = proc.joinpath("environ").read_text().split("\0")
    env = dict(item.split("=", 1) for item in items if "=" in item)
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    python = str(Path(sys.executable))
    done = subprocess.run(
        [python, "manage.py", *args],
        cwd=os.readlink(proc / "cwd"),
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        sys.exit(f"plans.py: manage.py {args[0]} failed:\n{done.stderr[-2000:]}")
    return done.stdout


def sandbox(method: str, path: str) -> dict[str, Any]:
    request = urllib.request.Request(f"{SANDBOX}{path}", method=method)  # noqa: S310
    with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310
        body: dict[str, Any] = json.load(response)
        return body


def campaign_currency(url: str, campaign_id: int) -> str:
    with urllib.request.urlopen(f"{url}/api/campaigns/{campaign_id}", timeout=30) as answer:  # noqa: S310
        return str(json.load(answer)["currency"])


def seed(url: str, run: Path, count: int) -> tuple[list[int], str]:
    campaign_id = int(os.environ["BENCH_CAMPAIGN_IDS"].split(",")[0])
    tag = uuid.uuid4().hex[:10]
    out = manage(
        run,
        "pledge",
        "bench_plans",
        "--campaign",
        str(campaign_id),
        "--count",
        str(count),
        "--tag",
        tag,
        "--currency",
        campaign_currency(url, campaign_id),
    )
    ids = [int(line) for line in out.split()]
    if len(ids) != count:
        sys.exit(f"plans.py: bench_plans made {len(ids)} plans, not {count}")
    plans_file = run / f"bench-plans-{tag}.txt"
    plans_file.write_text("\n".join(map(str, ids)) + "\n")
    manage(run, "payment", "bench_plan_cards", "--plans", str(plans_file))
    return ids, tag


def measure(url: str, run: Path, count: int) -> dict[str, Any]:
    prefix = os.environ.get("DATABASE_PREFIX", "careforall_")
    pledges, payments = connect(f"{prefix}pledge"), connect(f"{prefix}payment")
    seeding = time.monotonic()
    ids, tag = seed(url, run, count)
    seeded_s = time.monotonic() - seeding
    sandbox("POST", "/_sandbox/flush?wait_ms=120000")
    low, high, mine = min(ids), max(ids), f"%-{tag}@example.org"
    intents_before = int(sandbox("GET", "/_sandbox/stats")["objects"]["payment_intents"])
    procs = processes(run)
    groups = {name: procs.get(name, []) for name in (*WORKERS, *OTHERS)}
    cpu_before = {name: cpu_seconds(pids) for name, pids in groups.items()}

    due = datetime.now(UTC) + timedelta(seconds=5)
    cursor = pledges.cursor()
    cursor.execute(
        "UPDATE plans_recurringplan SET next_charge_at = %s"
        " WHERE id BETWEEN %s AND %s AND donor_email LIKE %s",
        (due.replace(tzinfo=None), low, high, mine),
    )
    if cursor.rowcount != count:
        sys.exit(f"plans.py: {cursor.rowcount} plans set due, not {count}")
    time.sleep(max(0.0, (due - datetime.now(UTC)).total_seconds()))
    started = time.monotonic()
    made_s = captured_s = None
    installments = (
        "SELECT COUNT(*), COALESCE(SUM(status = 'captured'), 0) FROM plans_installment"
        " WHERE plan_id BETWEEN %s AND %s AND period = 1"
    )
    while captured_s is None:
        if time.monotonic() - started > TIMEOUT:
            sys.exit(f"plans.py: not every installment was captured in {TIMEOUT:.0f} s")
        ((made, captured),) = query(pledges, installments, (low, high))
        now = time.monotonic() - started
        if made_s is None and made >= count:
            made_s = now
        if captured >= count:
            captured_s = now
        time.sleep(0.25)
    while query(pledges, "SELECT COUNT(*) FROM notices_notice WHERE status = 'pending'")[0][0]:
        if time.monotonic() - started > TIMEOUT:
            sys.exit("plans.py: the emails were not all sent")
        time.sleep(0.25)
    quiet_s = time.monotonic() - started
    cpu = {name: cpu_seconds(pids) - cpu_before[name] for name, pids in groups.items()}

    twice = query(
        pledges,
        "SELECT COUNT(*) FROM (SELECT plan_id FROM plans_installment WHERE plan_id BETWEEN %s"
        " AND %s GROUP BY plan_id, period HAVING COUNT(*) > 1) AS doubled",
        (low, high),
    )[0][0]
    paid = query(
        payments,
        "SELECT COUNT(*), COUNT(DISTINCT plan_id) FROM payments_payment"
        " WHERE plan_id BETWEEN %s AND %s AND plan_period = 1",
        (low, high),
    )[0]
    charged = query(
        pledges,
        "SELECT COUNT(*) FROM plans_recurringplan WHERE id BETWEEN %s AND %s"
        " AND donor_email LIKE %s AND installments_charged = 2",
        (low, high, mine),
    )[0][0]
    intents = int(sandbox("GET", "/_sandbox/stats")["objects"]["payment_intents"]) - intents_before
    problems = []
    if twice:
        problems.append(f"{twice} plans with a period made twice")
    if tuple(paid) != (count, count):
        problems.append(f"payments of period 1: {paid[0]} for {paid[1]} plans")
    if charged != count:
        problems.append(f"{charged} plans counted 2 installments")
    if intents != count:
        problems.append(f"{intents} new intents at the sandbox")
    if problems:
        sys.exit("plans.py: " + "; ".join(problems))
    return {
        "count": count,
        "seeded_s": seeded_s,
        "made_s": made_s,
        "captured_s": captured_s,
        "quiet_s": quiet_s,
        "intents": intents,
        "cpu_ms": {name: 1000 * spent / count for name, spent in cpu.items()},
    }


def line(result: dict[str, Any]) -> str:
    cpu = result["cpu_ms"]
    workers = sum(cpu[name] for name in WORKERS)
    others = ", ".join(f"{name} {cpu[name]:.2f}" for name in OTHERS)
    return (
        f"plans: {result['count']:,} monthly plans due at the same moment, each charged once "
        f"({result['intents']:,} intents at the provider, no period made twice); from the due "
        f"moment: all installments made in {result['made_s']:.1f} s, all captured in "
        f"{result['captured_s']:.1f} s ({result['count'] / result['captured_s']:,.0f} per s), "
        f"every receipt sent in {result['quiet_s']:.1f} s; CPU per installment "
        f"(charged, captured, receipt sent): pledge + payment workers {workers:.2f} ms "
        f"(worker-pledge {cpu['worker-pledge']:.2f}, worker-payment {cpu['worker-payment']:.2f}); "
        f"also {others} ms (seeding {result['seeded_s']:.0f} s, not measured)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url")
    parser.add_argument("run", type=Path)
    parser.add_argument("--count", type=int, default=int(os.environ.get("BENCH_PLANS", "10000")))
    args = parser.parse_args()
    sys.stdout.write(line(measure(args.url.rstrip("/"), args.run, args.count)) + "\n")


if __name__ == "__main__":
    main()
