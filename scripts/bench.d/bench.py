"""Helpers of scripts/bench: seed campaigns through the API, and report wrk's results.

``bench.py seed URL COUNT`` signs in once as the staff account, makes sure COUNT active campaigns
titled "Benchmark campaign NN" exist (reusing those of earlier runs) and prints their ids,
comma-separated.

``bench.py report DOC RESULTS_DIR --commit C --setting TEXT... SCENARIO...`` reads
RESULTS_DIR/SCENARIO.txt (wrk's output with the BENCH_RESULT line of report.lua), prints the
Markdown table and appends a dated section to DOC (with its header if DOC is new).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import urllib.error
import urllib.request
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

TITLE = "Benchmark campaign {:02d}"
DESCRIPTION = (
    "A campaign created by scripts/bench to measure the campaign API. It has a description of a "
    "realistic length, so that the list and detail responses carry a realistic body. " * 2
).strip()

HEADER = """\
# Benchmarks

`scripts/bench [scenario...]` measures the public API through the nginx gateway with
[wrk](https://github.com/wg/wrk) over loopback, prints a table and appends a dated section below.
Without arguments it runs every scenario; the scenarios are listed in `scripts/bench` (a name and
either a path or a wrk Lua script in `scripts/bench.d/`).

- **Platform.** It uses the one already answering at <http://localhost:8080>, or starts its own with
  `scripts/up` (databases `careforall_bench_*`, files in `var/bench/`) and stops it afterwards.
- **Data.** Seeded through the API only: one staff sign-in, then up to 50 active campaigns
  ("Benchmark campaign NN"), reused by later runs.
- **Load.** Per scenario a 2 s warm-up (not reported), then `BENCH_DURATION` seconds (default 10)
  with `BENCH_CONNECTIONS` connections (default 64) on `BENCH_THREADS` wrk threads (default 2),
  each connection sending its next request as soon as the previous answer arrives.
- **Measured.** requests/s = completed requests / duration; p50 and p99 = latency percentiles of the
  completed requests (from sending a request to its full response); errors = socket errors
  (connect, read, write, timeout) + non-2xx responses; requests = completed requests.
- wrk runs on the same machine as the platform and takes CPU from it: compare figures of the same
  machine and configuration only.

| scenario | request |
|---|---|
| campaign-list | `GET /api/campaigns?status=active&page_size=20` |
| campaign-detail | `GET /api/campaigns/{id}`, cycling over the seeded campaigns |
| pledge-create | `POST /api/pledges` as a signed-in donor, a new Idempotency-Key per request |
"""


def fail(message: str) -> NoReturn:
    sys.exit(f"bench.py: {message}")


def call(method: str, url: str, body: Any = None, token: str | None = None) -> Any:
    headers = {"Accept": "application/json"}
    data = None
    if body is not None:
        headers["Content-Type"] = "application/json"
        data = json.dumps(body).encode()
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=data, headers=headers, method=method)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return json.load(response)
    except urllib.error.HTTPError as error:
        fail(f"{method} {url} answered {error.code}: {error.read().decode(errors='replace')[:500]}")
    except urllib.error.URLError as error:
        fail(f"{method} {url} failed: {error.reason}")


def seed(url: str, count: int) -> list[int]:
    titles = {TITLE.format(n): n for n in range(1, count + 1)}
    found: dict[str, int] = {}
    page: str | None = f"{url}/api/campaigns?status=active&page_size=100"
    while page:
        data = call("GET", page)
        for campaign in data["results"]:
            if campaign["title"] in titles:
                found.setdefault(campaign["title"], campaign["id"])
        page = data["next"]
    missing = [title for title in titles if title not in found]
    if missing:
        token = call(
            "POST",
            f"{url}/api/auth/token",
            {
                "email": os.environ.get("ADMIN_EMAIL", "admin@careforall.local"),
                "password": os.environ.get("ADMIN_PASSWORD", "careforall-admin"),
            },
        )["access"]
        for title in missing:
            body = {
                "title": title,
                "description": DESCRIPTION,
                "goal_amount": 100_000 * titles[title],
                "status": "active",
            }
            found[title] = call("POST", f"{url}/api/campaigns", body, token)["id"]
    return sorted(found[title] for title in titles)


def donor(url: str) -> str:
    """Register a donor for the write scenarios and return its access token."""
    email = f"bench-{uuid.uuid4().hex[:12]}@example.org"
    password = uuid.uuid4().hex
    call(
        "POST", f"{url}/api/auth/register", {"email": email, "password": password, "name": "Bench"}
    )
    token: str = call("POST", f"{url}/api/auth/token", {"email": email, "password": password})[
        "access"
    ]
    return token


def read_result(path: Path) -> dict[str, Any]:
    for line in path.read_text().splitlines():
        if line.startswith("BENCH_RESULT "):
            result: dict[str, Any] = json.loads(line.removeprefix("BENCH_RESULT "))
            return result
    fail(f"no BENCH_RESULT line in {path}")


def first_line(path: str, prefix: str) -> str | None:
    try:
        lines = Path(path).read_text().splitlines()
    except OSError:
        return None
    return next((line.split(prefix, 1)[1] for line in lines if line.startswith(prefix)), None)


def machine() -> str:
    cpu = first_line("/proc/cpuinfo", "model name\t: ") or platform.processor() or "unknown CPU"
    memory = first_line("/proc/meminfo", "MemTotal:")
    memory_text = f"{int(memory.split()[0]) / 1024**2:.1f} GiB RAM" if memory else "RAM unknown"
    system = (first_line("/etc/os-release", "PRETTY_NAME=") or platform.system()).strip('"')
    cpus = len(os.sched_getaffinity(0))
    return f"{cpus} CPUs (nproc), {cpu}, {memory_text}, {system}, kernel {platform.release()}"


def report(
    doc: Path, results: Path, commit: str, settings: list[str], scenarios: list[str]
) -> None:
    rows = [
        "| scenario | requests/s | p50 ms | p99 ms | errors | requests |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    notes = []
    for name in scenarios:
        r = read_result(results / f"{name}.txt")
        errors = r["errors"]
        total_errors = sum(errors.values())
        rate = r["requests"] / (r["duration_us"] / 1e6)
        rows.append(
            f"| {name} | {rate:,.1f} | {r['p50_us'] / 1000:.1f} | {r['p99_us'] / 1000:.1f} "
            f"| {total_errors:,} | {r['requests']:,} |"
        )
        if total_errors:
            kinds = ", ".join(f"{n:,} {kind.replace('_', '-')}" for kind, n in errors.items() if n)
            notes.append(f"- {name} errors: {kinds}.")
    table = "\n".join([*rows, *(["", *notes] if notes else [])]) + "\n"
    sys.stdout.write(table)

    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    section = (
        f"\n## {now}, commit {commit}\n\n"
        f"- Machine: {machine()}.\n" + "".join(f"- {setting}\n" for setting in settings) + "\n"
    )
    text = doc.read_text() if doc.exists() else HEADER
    doc.parent.mkdir(parents=True, exist_ok=True)
    doc.write_text(text.rstrip("\n") + "\n" + section + table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    seed_parser = commands.add_parser("seed")
    seed_parser.add_argument("url")
    seed_parser.add_argument("count", type=int)
    donor_parser = commands.add_parser("donor")
    donor_parser.add_argument("url")
    report_parser = commands.add_parser("report")
    report_parser.add_argument("doc", type=Path)
    report_parser.add_argument("results", type=Path)
    report_parser.add_argument("--commit", required=True)
    report_parser.add_argument("--setting", action="append", default=[])
    report_parser.add_argument("scenarios", nargs="+")
    args = parser.parse_args()
    if args.command == "seed":
        sys.stdout.write(",".join(map(str, seed(args.url.rstrip("/"), args.count))) + "\n")
    elif args.command == "donor":
        sys.stdout.write(donor(args.url.rstrip("/")) + "\n")
    else:
        report(args.doc, args.results, args.commit, args.setting, args.scenarios)


if __name__ == "__main__":
    main()
