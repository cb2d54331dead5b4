"""Time from ``POST /api/payments`` to the captured amount showing in the campaign's totals.

For N sequential payments with the sandbox's Visa card, through the gateway as a signed-in donor:
make a pledge, wait until the read model shows it, then pay it and poll the public campaign
until ``captured_amount`` has risen by the amount (every 5 ms). Also reports the sandbox's own
request rate during the run, from its /_sandbox/stats.

usage: payments.py URL DOC --commit C [--count 100]
(environment: BENCH_TOKEN, BENCH_CAMPAIGN_IDS, SANDBOX_PORT)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import urllib.request
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from bench import machine
from pipeline import pledge


def call(url: str, body: Any = None, token: str | None = None) -> Any:
    headers = {"Content-Type": "application/json", "Idempotency-Key": uuid.uuid4().hex}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers=headers)  # noqa: S310
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        return json.load(response)


def captured(url: str, campaign_id: int) -> int:
    return int(call(f"{url}/api/campaigns/{campaign_id}")["captured_amount"])


def wait_for(check: Any, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            sys.exit("payments.py: timed out")
        time.sleep(0.005)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url")
    parser.add_argument("doc", type=Path)
    parser.add_argument("--commit", required=True)
    parser.add_argument("--count", type=int, default=100)
    args = parser.parse_args()
    url, token = args.url.rstrip("/"), os.environ["BENCH_TOKEN"]
    campaign_id = int(os.environ["BENCH_CAMPAIGN_IDS"].split(",")[-1])
    sandbox = f"http://127.0.0.1:{os.environ.get('SANDBOX_PORT', '12111')}/_sandbox/stats"
    before, started = call(sandbox)["requests"]["total"], time.monotonic()
    delays = []
    for _ in range(args.count):
        campaign = call(f"{url}/api/campaigns/{campaign_id}")
        pledges, total = int(campaign["total_pledges"]), int(campaign["captured_amount"])
        pledge_id = pledge(url, token, campaign_id)
        # the pledge reaches the read model first, so only the payment's path is timed
        wait_for(
            lambda pledges=pledges: (
                int(call(f"{url}/api/campaigns/{campaign_id}")["total_pledges"]) > pledges
            )
        )
        sent = time.monotonic()
        body = {"pledge_id": pledge_id, "payment_method": "pm_card_visa"}
        call(f"{url}/api/payments", body, token)
        wait_for(lambda total=total: captured(url, campaign_id) >= total + 100)
        delays.append((time.monotonic() - sent) * 1000)
    elapsed = time.monotonic() - started
    sandbox_requests = call(sandbox)["requests"]["total"] - before
    delays.sort()
    p99 = delays[max(0, round(0.99 * len(delays)) - 1)]
    table = (
        "| run | POST /api/payments → captured in totals p50 ms | p99 ms | max ms "
        "| sandbox requests/s (during the run) |\n|---|---:|---:|---:|---:|\n"
        f"| {args.count} sequential Visa payments | {statistics.median(delays):.1f} | {p99:.1f} "
        f"| {delays[-1]:.1f} | {sandbox_requests / elapsed:,.1f} |\n"
    )
    sys.stdout.write(table)
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    section = (
        f"\n## Payment latency, {now}, commit {args.commit}\n\n- Machine: {machine()}.\n"
        "- Measured from the client: the POST's start to the first poll (every 5 ms) of the "
        "public campaign that shows the captured amount. The flow inside: authorize "
        "(SDK → sandbox), commit, capture task, webhook, PAYMENT_CAPTURED → pledge_service → "
        "PLEDGE_STATUS_CHANGED → campaign_service.\n\n"
    )
    args.doc.write_text(args.doc.read_text().rstrip("\n") + "\n" + section + table)


if __name__ == "__main__":
    main()
