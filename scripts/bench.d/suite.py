# ruff: noqa: S603, S607  (runs wrk, pgrep and the reference: fixed programs, own arguments)
"""The benchmark suite: each scenario against the bare Django reference, in the same run.

``suite.py URL REFERENCE_URL RUN_DIR DOC --commit C [scenario...]`` runs the scenarios (all by
default) with wrk over loopback, prints one ratio line per scenario and appends a dated section
to DOC. RUN_DIR holds the pid files of ``scripts/up``'s children (web-pledge.pid, …): CPU time
and memory are read from /proc for them and their children.

Scenarios (issue: fast under a donation spike):

- ``pledge-32`` / ``pledge-128``: ``POST /api/pledges`` as a signed-in donor, a new key each,
  against the reference's three-insert ``POST /pledges``, at 32 and 128 connections, with the
  CPU of web-pledge's gunicorn and of the reference's per create. The whole pipeline runs
  behind it; after each run the suite waits until every pledge is in the read model, then
  reports commit → visible totals (``PledgeProjection.updated_at`` - ``Pledge.created_at``, the
  projection row commits with the totals) and the CPU time of the relay workers and
  campaign_service's web workers (which apply the events) per event.
- ``payment-32`` / ``webhook-32``: payment create and the provider's webhook, each against the
  write reference (scripts/bench.d/reference; scripts/bench.d/writes.py says what each side
  does), with the CPU of web-payment's gunicorn per request.
- ``detail-128`` / ``list-128``: guests' ``GET /api/campaigns/{id}`` (cycling over the seeded
  campaigns) and ``GET /api/campaigns?status=active&page_size=20``, against the reference's
  ``GET /pledges/{id}`` (one row by primary key).
- ``capture``: 50 sequential payments; ``POST /api/payments`` → the captured amount in the same
  public read (scripts/bench.d/payments.py).
- ``metrics``: the cost of the metrics on the pledge path (target ≤ 5 %). ``POST /api/pledges``
  straight at pledge_service, 32 connections, against two gunicorns of pledge_service started
  here with web-pledge's command, environment and database: one with ``MetricsMiddleware`` and
  a multiprocess directory of its own (as scripts/up runs it), one with
  ``METRICS_ENABLED=false`` and no directory. ``BENCH_METRICS_ROUNDS`` (3) runs of each side,
  alternating on, off, off, on, … (neither side always first), each ``BENCH_DURATION`` after a
  warm-up, the pipeline drained between runs; the medians of rps, p99 and the CPU of each side's
  gunicorn per create, and every run's CPU figure. ``BENCH_METRICS_CONTROL=1`` runs both sides
  without metrics: the difference two identical sides show on this machine.
- ``defence``: the card-testing limits' cost on ``POST /api/payments`` (target ≤ 5 %): two
  gunicorns of payment_service, ``PAYMENT_LIMITS=on`` and ``off``, alternating, and the gate's
  in-process cost (scripts/bench.d/defence_bench.py).
- ``transparency``: the transparency log's cost on ingestion of capture events, as a ratio: two
  gunicorns of campaign_service, ``TRANSPARENCY_LOG=true`` and ``false``, alternating, and the
  capture path's salt and commitment (scripts/bench.d/transparency_bench.py).
- ``servers``: pledge create under each server model (gunicorn gthread and sync, granian)
  behind a copy of the gateway, at 32 and 128 connections (scripts/bench.d/servers.py).
- ``idle``: CPU of every process of the platform over ``BENCH_IDLE_SECONDS`` (60) with no
  traffic, in % of one core.
- ``plans``: ``BENCH_PLANS`` (10,000) recurring plans fall due at the same moment and are all
  charged, each once, through the normal scheduler → ``INSTALLMENT_DUE`` → off-session charge
  path; the time to drain and the pledge and payment workers' CPU per installment
  (scripts/bench.d/plans.py, which says how the plans are made).

Memory: the RSS of every process before and after the run.
(environment: BENCH_TOKEN, BENCH_CAMPAIGN_IDS, BENCH_LUA_DIR, DATABASE_PREFIX, DATABASE_URL)
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from bench import machine
from defence_bench import defence_run
from pipeline import connect, select
from servers import measured, reference_pids, servers_run
from sides import bind_at, cpu_seconds, processes
from transparency_bench import transparency_run
from writes import payment_run, webhook_run

HERE = Path(__file__).parent
PAGE = os.sysconf("SC_PAGE_SIZE")
DURATION = int(os.environ.get("BENCH_DURATION", "20"))
WARMUP = 3
# The pipeline's consumers of pledge events: the relay (pledge worker) and the ingestion view.
PIPELINE = ("worker-pledge", "web-campaign")
TARGETS = {
    "pledge-32": "≥ 1.0x rps, p99 ≤ 1.5x",
    "pledge-128": "≥ 1.0x rps, p99 ≤ 1.5x",
    "payment-32": "≥ 1.0x rps",
    "webhook-32": "≥ 1.0x rps",
    "detail-128": "≥ 5x rps",
    "list-128": "≥ 5x rps",
}
SCENARIOS = [
    "pledge-32",
    "pledge-128",
    "payment-32",
    "webhook-32",
    "detail-128",
    "list-128",
    "capture",
    "metrics",
    "defence",
    "transparency",
    "idle",
    "servers",
    "plans",  # last: its emails keep the platform busy for a while after it
]
METRICS_ON_PORT = int(os.environ.get("BENCH_METRICS_ON_PORT", "9023"))
METRICS_ROUNDS = int(os.environ.get("BENCH_METRICS_ROUNDS", "3"))  # runs of each side
METRICS_OFF_PORT = int(os.environ.get("BENCH_METRICS_OFF_PORT", "9013"))


def rss_mib(pid: int) -> float:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE / 2**20
    except OSError:
        return 0.0


def wrk(url: str, connections: int, seconds: int, script: str | None = None) -> dict[str, Any]:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "--latency"]
    if script:
        command += ["-s", str(HERE / script)]
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1])  # type: ignore[index]
    p99 = _duration_ms(re.search(r"^\s+99%\s+(\S+)", out, re.M)[1])  # type: ignore[index]
    p50 = _duration_ms(re.search(r"^\s+50%\s+(\S+)", out, re.M)[1])  # type: ignore[index]
    non_2xx_found = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    non_2xx = int(non_2xx_found[1]) if non_2xx_found else 0
    errors = non_2xx + (sum(int(n) for n in socket.groups()) if socket else 0)
    # Only 2xx answers count as done: a 429 or a 5xx is fast and would inflate the rate.
    requests = int(re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)", out)[1])  # type: ignore[index]
    ok_rate = rate * (requests - non_2xx) / requests if requests else 0.0
    return {"rps": ok_rate, "all_rps": rate, "p50": p50, "p99": p99, "errors": errors,
            "non_2xx": non_2xx}  # fmt: skip


def _duration_ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def pair(
    url: str, reference: str, connections: int, script: str | None, ref_script: str | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    wrk(reference, connections, WARMUP, ref_script)
    ref = wrk(reference, connections, DURATION, ref_script)
    wrk(url, connections, WARMUP, script)
    return ref, wrk(url, connections, DURATION, script)


def pledge_run(url: str, reference: str, run: Path, connections: int) -> dict[str, Any]:
    prefix = os.environ.get("DATABASE_PREFIX", "careforall_")
    pledges, campaigns = connect(f"{prefix}pledge"), connect(f"{prefix}campaign")
    wrk(reference + "/pledges", connections, WARMUP, "reference-pledge.lua")
    ref = measured(
        wrk, reference + "/pledges", connections, DURATION, "reference-pledge.lua",
        reference_pids(),
    )  # fmt: skip
    wrk(url + "/", connections, WARMUP, "pledge-create.lua")
    drain(pledges, campaigns)
    ((first_id,),) = select(pledges, "SELECT COALESCE(MAX(id), 0) FROM pledges_pledge", [])
    procs = processes(run)
    pipeline_pids = [pid for name in PIPELINE for pid in procs.get(name, [])]
    cpu_before = cpu_seconds(pipeline_pids)
    ours = measured(
        wrk, url + "/", connections, DURATION, "pledge-create.lua", procs.get("web-pledge", [])
    )
    drain(pledges, campaigns)
    cpu = cpu_seconds(pipeline_pids) - cpu_before
    committed = dict(
        select(pledges, "SELECT id, created_at FROM pledges_pledge WHERE id > %s", [first_id])
    )
    applied = dict(
        select(
            campaigns,
            "SELECT pledge_id, updated_at FROM campaigns_pledgeprojection WHERE pledge_id > %s",
            [first_id],
        )
    )
    delays = sorted(
        (applied[i] - committed[i]).total_seconds() * 1000 for i in committed if i in applied
    )
    ours["visible_p50"] = delays[len(delays) // 2] if delays else float("nan")
    ours["visible_p99"] = delays[max(0, round(0.99 * len(delays)) - 1)] if delays else float("nan")
    ours["events"] = len(committed)
    ours["cpu_per_event_ms"] = 1000 * cpu / max(len(committed), 1)
    ours["cpu_of"] = "web-pledge"
    return {"reference": ref, "platform": ours}


def _pledge_service(run: Path, port: int, metrics_dir: Path | None) -> subprocess.Popen[bytes]:
    """A gunicorn of pledge_service as scripts/up starts web-pledge (its command, directory and
    environment, read from /proc), on ``port``, with metrics only when ``metrics_dir`` is given."""
    proc = Path(f"/proc/{int((run / 'web-pledge.pid').read_text())}")
    items = proc.joinpath("environ").read_text().split("\0")
    env = dict(item.split("=", 1) for item in items if "=" in item)
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    env["METRICS_ENABLED"] = "true" if metrics_dir else "false"
    if metrics_dir:
        shutil.rmtree(metrics_dir, ignore_errors=True)
        metrics_dir.mkdir(parents=True)
        env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
    command = proc.joinpath("cmdline").read_text().rstrip("\0").split("\0")
    bind_at(command, port)
    with (run / f"pledge-{port}.log").open("ab") as log:
        server = subprocess.Popen(
            command, cwd=os.readlink(proc / "cwd"), env=env, stdout=log, stderr=log
        )
    health = ["curl", "-fs", "-o", "/dev/null", f"http://127.0.0.1:{port}/api/health/pledge"]
    for _ in range(300):
        if subprocess.run(health, check=False).returncode == 0:
            time.sleep(1)  # every worker forked and loaded
            return server
        time.sleep(0.2)
    server.terminate()
    sys.exit(f"suite.py: pledge_service on {port} did not start")


def metrics_run(run: Path, connections: int = 32) -> dict[str, Any]:
    """Pledge create with and without the metrics, alternating (see ``metrics`` above).

    Both sides are gunicorns started here, equally fresh; the platform's web-pledge stays idle.
    """
    # BENCH_METRICS_CONTROL=1: both sides without metrics, to see how far two identical sides
    # differ on this machine (the noise any cost must stand out of).
    on_dir = None if os.environ.get("BENCH_METRICS_CONTROL") == "1" else run / "metrics-on"
    servers = {
        "on": (METRICS_ON_PORT, _pledge_service(run, METRICS_ON_PORT, on_dir)),
        "off": (METRICS_OFF_PORT, _pledge_service(run, METRICS_OFF_PORT, None)),
    }
    results: dict[str, list[dict[str, Any]]] = {"on": [], "off": []}
    prefix = os.environ.get("DATABASE_PREFIX", "careforall_")
    pledges, campaigns = connect(f"{prefix}pledge"), connect(f"{prefix}campaign")
    try:
        for side in ("on", "off", "off", "on") * (METRICS_ROUNDS // 2) + ("on", "off") * (
            METRICS_ROUNDS % 2
        ):
            port, server = servers[side]
            url = f"http://127.0.0.1:{port}/"
            wrk(url, connections, WARMUP, "pledge-create.lua")
            drain(pledges, campaigns)  # the previous run's events are not this run's load
            out = subprocess.run(["pgrep", "-P", str(server.pid)], capture_output=True, text=True)
            side_pids = [server.pid, *map(int, out.stdout.split())]
            before = cpu_seconds(side_pids)
            result = wrk(url, connections, DURATION, "pledge-create.lua")
            spent = cpu_seconds(side_pids) - before
            result["cpu_ms"] = 1000 * spent / max(result["rps"] * DURATION, 1)
            results[side].append(result)
    finally:
        for _, server in servers.values():
            server.terminate()
            server.wait(timeout=30)
    return {
        side: {key: statistics.median(r[key] for r in runs) for key in ("rps", "p99", "cpu_ms")}
        | {"errors": sum(r["errors"] for r in runs), "runs": [r["cpu_ms"] for r in runs]}
        for side, runs in results.items()
    }


def metrics_line(result: dict[str, Any]) -> str:
    on, off = result["on"], result["off"]
    control = os.environ.get("BENCH_METRICS_CONTROL") == "1"
    return ("CONTROL, both sides without metrics: " if control else "") + (
        f"metrics on the pledge path (POST /api/pledges straight at pledge_service, 32 "
        f"connections, {METRICS_ROUNDS} runs of {DURATION} s each side, alternating; medians): "
        "with metrics "
        f"{on['rps']:,.0f} rps, p99 "
        f"{on['p99']:,.1f} ms, {on['cpu_ms']:.2f} ms CPU per create; without {off['rps']:,.0f} "
        f"rps, p99 {off['p99']:,.1f} ms, {off['cpu_ms']:.2f} ms; cost "
        f"{100 * (on['cpu_ms'] / off['cpu_ms'] - 1):+.1f} % CPU per create, "
        f"{100 * (on['rps'] / off['rps'] - 1):+.1f} % rps; errors {on['errors'] + off['errors']} "
        f"(CPU ms per create of each run: with {', '.join(f'{v:.2f}' for v in on['runs'])}; "
        f"without {', '.join(f'{v:.2f}' for v in off['runs'])}) — target ≤ 5 %"
    )


def drain(pledges: Any, campaigns: Any, timeout: float = 120.0) -> None:
    """Wait until every pledge is in the read model (the pipeline has caught up)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ((made,),) = select(pledges, "SELECT COUNT(*) FROM pledges_pledge", [])
        ((seen,),) = select(campaigns, "SELECT COUNT(*) FROM campaigns_pledgeprojection", [])
        if seen >= made:
            return
        time.sleep(0.2)
    sys.exit("suite.py: the pipeline did not catch up in 120 s")


def idle(run: Path, seconds: int) -> dict[str, float]:
    procs = processes(run)
    before = {name: cpu_seconds(pids) for name, pids in procs.items()}
    time.sleep(seconds)
    return {
        name: 100 * (cpu_seconds(pids) - before[name]) / seconds for name, pids in procs.items()
    }


def memory(run: Path) -> dict[str, float]:
    return {name: sum(rss_mib(p) for p in pids) for name, pids in processes(run).items()}


def ratio_line(name: str, result: dict[str, Any]) -> str:
    ref, ours = result["reference"], result["platform"]
    rps = ours["rps"] / ref["rps"]
    p99 = ours["p99"] / ref["p99"]
    line = (
        f"ratio {name}: {rps:.2f}x rps ({ours['rps']:,.0f} vs reference {ref['rps']:,.0f}), "
        f"p99 {p99:.2f}x ({ours['p99']:,.1f} vs {ref['p99']:,.1f} ms), "
        f"errors {ours['errors']} (non-2xx {ours['non_2xx']}, not counted in the rate) — "
        f"target {TARGETS[name]}"
    )
    if "cpu_ms" in ours:
        line += (
            f"; CPU per request of the serving processes {ours['cpu_ms']:.2f} ms "
            f"({ours['cpu_of']}) vs reference {ref['cpu_ms']:.2f} ms (its gunicorn)"
        )
        if name.startswith("pledge-"):
            line += " (target ≤ 1.5 ms)"
    if "visible_p99" in ours:
        line += (
            f"; commit → visible p50 {ours['visible_p50']:.0f} ms, "
            f"p99 {ours['visible_p99']:.0f} ms (target < 1000); relay + ingestion CPU "
            f"{ours['cpu_per_event_ms']:.2f} ms per event over {ours['events']:,} events "
            "(target ≤ 0.5)"
        )
    return line


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url")
    parser.add_argument("reference")
    parser.add_argument("run", type=Path)
    parser.add_argument("doc", type=Path)
    parser.add_argument("--commit", required=True)
    parser.add_argument("--setting", action="append", default=[])
    parser.add_argument("scenarios", nargs="*")
    args = parser.parse_intermixed_args()
    url, reference = args.url.rstrip("/"), args.reference.rstrip("/")
    # The write reference of payment create and the webhook (scripts/bench.d/reference).
    writes_ref = os.environ.get("BENCH_WRITES_URL", "http://127.0.0.1:8098").rstrip("/")
    chosen = args.scenarios or SCENARIOS
    lines: list[str] = []
    rss_before = memory(args.run)

    def say(line: str) -> None:
        lines.append(line)
        sys.stdout.write(line + "\n")
        sys.stdout.flush()

    for name in chosen:
        if name.startswith("pledge-"):
            say(ratio_line(name, pledge_run(url, reference, args.run, int(name.split("-")[1]))))
        elif name == "payment-32":
            say(ratio_line(name, payment_run(url, writes_ref, args.run, DURATION, WARMUP, wrk)))
        elif name == "webhook-32":
            say(ratio_line(name, webhook_run(url, writes_ref, args.run, DURATION, WARMUP, wrk)))
        elif name == "servers":
            for line in servers_run(reference, args.run, DURATION, WARMUP, wrk, drain):
                say(line)
        elif name in ("detail-128", "list-128"):
            ref_id = subprocess.run(
                [os.environ.get("BENCH_REFERENCE_RUN", "../shared/bench-reference/run"), "seed"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
            target = (
                (url + "/", "campaign-detail.lua")
                if name == "detail-128"
                else (url + "/api/campaigns?status=active&page_size=20", "report.lua")
            )
            ref, ours = pair(target[0], f"{reference}/pledges/{ref_id}", 128, target[1], None)
            say(ratio_line(name, {"reference": ref, "platform": ours}))
        elif name == "capture":
            out = subprocess.run(
                [
                    sys.executable,
                    str(HERE / "payments.py"),
                    url,
                    "/dev/null",
                    "--commit",
                    args.commit,
                    "--count",
                    "50",
                ],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            row = [c.strip() for c in out.strip().splitlines()[-1].strip("|").split("|")]
            say(f"capture → visible in the public read (50 sequential payments): {' | '.join(row)}")
        elif name == "metrics":
            say(metrics_line(metrics_run(args.run)))
        elif name == "defence":
            for line in defence_run(url, args.run, DURATION, WARMUP, wrk):
                say(line)
        elif name == "transparency":
            for line in transparency_run(args.run, DURATION):
                say(line)
        elif name == "plans":
            out = subprocess.run(
                [sys.executable, str(HERE / "plans.py"), url, str(args.run)],
                capture_output=True,
                text=True,
                check=False,
            )
            if out.returncode != 0:
                sys.exit(out.stderr.strip() or "suite.py: the plans scenario failed")
            say(out.stdout.strip().splitlines()[-1])
        elif name == "idle":
            seconds = int(os.environ.get("BENCH_IDLE_SECONDS", "60"))
            shares = idle(args.run, seconds)
            parts = ", ".join(
                f"{n} {v:.2f}" for n, v in sorted(shares.items(), key=lambda x: -x[1])
            )
            say(
                f"idle over {seconds} s: {sum(shares.values()):.2f} % of one core in total "
                f"(target < 2 %); per process group: {parts}"
            )
    rss_after = memory(args.run)
    grown = defaultdict(float)
    for name, after in rss_after.items():
        grown[name] = after - rss_before.get(name, 0.0)
    say(
        "RSS MiB after the run (change since its start): "
        + ", ".join(f"{n} {rss_after[n]:.0f} ({grown[n]:+.0f})" for n in sorted(rss_after))
    )
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    section = (
        f"\n## Against the reference, {now}, commit {args.commit}\n\n- Machine: {machine()}.\n"
        + "".join(f"- {setting}\n" for setting in args.setting)
        + f"- wrk, 2 threads, {DURATION} s per side after a {WARMUP} s warm-up; the reference "
        "first, then the platform, in the same run.\n\n```\n" + "\n".join(lines) + "\n```\n"
    )
    text = args.doc.read_text() if args.doc.exists() else "# Benchmarks\n"
    args.doc.write_text(text.rstrip("\n") + "\n" + section)


if __name__ == "__main__":
    main()
