"""Time from a pledge's commit to its appearance in the campaign totals (issue: event pipeline).

Makes N sequential pledges, then a burst of M concurrent ones, through the gateway as a signed-in
donor, and reads, for each pledge, when pledge_service committed it (``Pledge.created_at``) and
when campaign_service applied it to the read model (``PledgeProjection.updated_at``, written in
the same transaction as the campaign's totals). Both timestamps come from this machine's clock.
Also reports how fast the outbox rows were delivered during the burst.

usage: pipeline.py URL DOC --commit C [--sequential 200] [--burst 500]
(environment: BENCH_TOKEN, BENCH_CAMPAIGN_IDS, DATABASE_URL, DATABASE_PREFIX)
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
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import environ
import MySQLdb

sys.path.insert(0, str(Path(__file__).parent))
from bench import machine


def pledge(url: str, token: str, campaign_id: int) -> int:
    body = json.dumps({"campaign_id": campaign_id, "amount": 100}).encode()
    request = urllib.request.Request(  # noqa: S310
        f"{url}/api/pledges",
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "Authorization": f"Bearer {token}",
            "Idempotency-Key": uuid.uuid4().hex,
        },
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        return int(json.load(response)["id"])


def connect(database: str) -> MySQLdb.Connection:
    config = environ.Env.db_url_config(
        os.environ.get("DATABASE_URL", "mysql://root@127.0.0.1:3306")
    )
    return MySQLdb.connect(
        host=config["HOST"] or "127.0.0.1",
        port=int(config["PORT"] or 3306),
        user=config["USER"],
        password=config["PASSWORD"] or "",
        database=database,
        autocommit=True,
    )


def select(conn: MySQLdb.Connection, sql: str, ids: list[int]) -> list[tuple[Any, ...]]:
    """Run ``sql`` with its ``{}`` replaced by one placeholder per id."""
    cursor = conn.cursor()
    cursor.execute(sql.format(",".join(["%s"] * len(ids))), ids)
    return list(cursor.fetchall())


def timestamps(conn: MySQLdb.Connection, sql: str, ids: list[int]) -> dict[int, datetime]:
    return {int(row[0]): row[1] for row in select(conn, sql, ids)}


def measure(url: str, token: str, campaign_id: int, count: int, workers: int) -> dict[str, float]:
    prefix = os.environ.get("DATABASE_PREFIX", "careforall_")
    pledges, campaigns = connect(f"{prefix}pledge"), connect(f"{prefix}campaign")
    started = time.monotonic()
    if workers == 1:
        ids = [pledge(url, token, campaign_id) for _ in range(count)]
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            ids = list(pool.map(lambda _: pledge(url, token, campaign_id), range(count)))
    made = time.monotonic() - started
    applied: dict[int, datetime] = {}
    deadline = time.monotonic() + 120
    while len(applied) < count and time.monotonic() < deadline:
        applied = timestamps(
            campaigns,
            "SELECT pledge_id, updated_at FROM campaigns_pledgeprojection WHERE pledge_id IN ({})",
            ids,
        )
        time.sleep(0.05)
    if len(applied) < count:
        sys.exit(f"pipeline.py: only {len(applied)} of {count} pledges reached the read model")
    committed = timestamps(
        pledges, "SELECT id, created_at FROM pledges_pledge WHERE id IN ({})", ids
    )
    delays = sorted((applied[i] - committed[i]).total_seconds() * 1000 for i in ids)
    ((first, last, rows),) = select(
        pledges,
        "SELECT MIN(occurred_at), MAX(sent_at), COUNT(*) FROM outbox_outboxevent "
        "WHERE event_type = 'PLEDGE_CREATED' AND aggregate_id IN ({})",
        ids,
    )
    return {
        "pledges": count,
        "made_per_s": count / made,
        "p50_ms": statistics.median(delays),
        "p99_ms": delays[max(0, round(0.99 * count) - 1)],
        "max_ms": delays[-1],
        "rows_per_s": rows / max((last - first).total_seconds(), 1e-3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url")
    parser.add_argument("doc", type=Path)
    parser.add_argument("--commit", required=True)
    parser.add_argument("--sequential", type=int, default=200)
    parser.add_argument("--burst", type=int, default=500)
    args = parser.parse_args()
    url, token = args.url.rstrip("/"), os.environ["BENCH_TOKEN"]
    campaign_id = int(os.environ["BENCH_CAMPAIGN_IDS"].split(",")[0])
    runs = {
        f"{args.sequential} sequential pledges": measure(
            url, token, campaign_id, args.sequential, 1
        ),
        f"burst of {args.burst} concurrent pledges (64 at a time)": measure(
            url, token, campaign_id, args.burst, 64
        ),
    }
    rows = [
        "| run | pledges made/s | commit → totals p50 ms | p99 ms | max ms "
        "| outbox rows delivered/s |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, r in runs.items():
        rows.append(
            f"| {name} | {r['made_per_s']:,.0f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} "
            f"| {r['max_ms']:.1f} | {r['rows_per_s']:,.0f} |"
        )
    table = "\n".join(rows) + "\n"
    sys.stdout.write(table)
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    section = (
        f"\n## Pipeline latency, {now}, commit {args.commit}\n\n- Machine: {machine()}.\n"
        "- Commit → totals: `PledgeProjection.updated_at - Pledge.created_at` per pledge (the "
        "projection row and the campaign totals commit together). Rows/s: PLEDGE_CREATED rows "
        "of the run over the time from the first event to the last delivery.\n\n"
    )
    args.doc.write_text(args.doc.read_text().rstrip("\n") + "\n" + section + table)


if __name__ == "__main__":
    main()
