# ruff: noqa: S603, S607  (runs gunicorn, granian, nginx, curl and wrk: fixed programs)
"""The ``servers`` scenario: which server model pledge_service should run under (issue 24).

Each candidate is pledge_service started here on a port of its own (web-pledge's environment,
directory and database, read from /proc, metrics in a directory of its own), behind a second
nginx rendered from the gateway's own templates and environment with only the pledge upstream
(and its listen port and files) changed: the same keepalive upstream, HTTP/1.1 and
``Connection ""``. ``POST /api/pledges`` (pledge-create.lua, signed in, new keys) at 32 and 128
connections, one run of ``BENCH_DURATION`` after a warm-up for each, the pipeline drained before
each run. The reference's ``POST /pledges`` is measured before the first candidate and after the
last at each connection count; ratios are against the mean of the two (both are printed: their
gap is the drift of the machine over the scenario). CPU per create is that of the candidate's
processes (the server and its workers); the reference's is that of its gunicorn.

``BENCH_SERVERS`` chooses candidates by name (comma-separated; all below by default).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from pipeline import connect, select
from sides import cpu_seconds, process_environment, side_pids

ROOT = Path(__file__).resolve().parents[2]
SERVER_PORT = int(os.environ.get("BENCH_SERVERS_PORT", "9030"))
GATEWAY_PORT = int(os.environ.get("BENCH_SERVERS_GATEWAY_PORT", "9031"))
CONNECTIONS = (32, 128)
# name: (server, workers, threads); gunicorn's sync worker has no threads.
CANDIDATES: dict[str, tuple[str, int, int]] = {
    "gthread-2x4": ("gthread", 2, 4),
    "gthread-2x8": ("gthread", 2, 8),
    "gthread-4x2": ("gthread", 4, 2),
    "sync-4": ("sync", 4, 1),
    "sync-8": ("sync", 8, 1),
    "granian-2x4": ("granian", 2, 4),
    "granian-2x8": ("granian", 2, 8),
    "granian-4x2": ("granian", 4, 2),
}


def server_command(kind: str, workers: int, threads: int, run: Path) -> list[str]:
    """The command line of a candidate, as scripts/up would run it with WEB_SERVER=kind."""
    venv = Path(sys.executable).parent
    if kind == "granian":
        return [
            str(venv / "granian"),
            "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(SERVER_PORT),
            "--workers", str(workers), "--blocking-threads", str(threads), "--no-ws",
            "--http", "1", "--log-level", "warning", "config.wsgi:application",
        ]  # fmt: skip
    return [
        str(venv / "gunicorn"), "config.wsgi:application",
        "--bind", f"127.0.0.1:{SERVER_PORT}", "--workers", str(workers),
        "--threads", str(threads), "--worker-class", kind, "--keep-alive", "75",
        "--control-socket", str(run / "servers-gunicorn.ctl"),
    ]  # fmt: skip


def wait_for(url: str, what: str, server: subprocess.Popen[bytes]) -> None:
    for _ in range(300):
        if subprocess.run(["curl", "-fs", "-o", "/dev/null", url], check=False).returncode == 0:
            time.sleep(1)  # every worker forked and loaded
            return
        if server.poll() is not None:
            break
        time.sleep(0.2)
    server.terminate()
    sys.exit(f"servers.py: {what} did not start")


def candidate_start(run: Path, name: str) -> subprocess.Popen[bytes]:
    kind, workers, threads = CANDIDATES[name]
    env, _, cwd = process_environment(run, "pledge")
    metrics = run / "servers-metrics"
    shutil.rmtree(metrics, ignore_errors=True)
    metrics.mkdir(parents=True)
    env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics)
    with (run / f"servers-{name}.log").open("ab") as log:
        server = subprocess.Popen(
            server_command(kind, workers, threads, run), cwd=cwd, env=env, stdout=log, stderr=log
        )
    wait_for(f"http://127.0.0.1:{SERVER_PORT}/api/health/pledge", name, server)
    return server


def gateway_start(run: Path) -> subprocess.Popen[bytes]:
    """A copy of the platform's gateway whose pledge upstream is the candidate's port."""
    # web-pledge was started with the gateway's settings (nginx's own environment is not
    # readable: nginx writes its process title over it).
    env, _, _ = process_environment(run, "pledge")
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    var = run / "servers-gateway"
    for sub in ("run", "log", "nginx/body", "nginx/proxy", "nginx/fastcgi", "nginx/uwsgi"):
        (var / sub).mkdir(parents=True, exist_ok=True)
    (var / "nginx/scgi").mkdir(exist_ok=True)
    env.update(
        CFA_VAR=str(var),
        CFA_LISTEN=str(GATEWAY_PORT),
        CFA_PLEDGE_UPSTREAM=f"127.0.0.1:{SERVER_PORT}",
        CFA_STATUS_LISTEN=f"unix:{var}/run/status.sock",
        CFA_ACCESS_LOG=str(var / "log/access.log"),
    )
    for template in ("careforall.conf", "nginx.conf"):
        subprocess.run(
            [
                sys.executable,
                str(ROOT / "nginx/render.py"),
                str(ROOT / f"nginx/{template}.template"),
                str(var / f"nginx/{template}"),
            ],
            env=env,
            check=True,
        )
    error_log = str(var / "log/error.log")
    gateway = subprocess.Popen(
        [nginx, "-e", error_log, "-c", str(var / "nginx/nginx.conf")],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(1)
    if gateway.poll() is not None:
        sys.exit(f"servers.py: the candidates' gateway did not start (see {error_log})")
    return gateway


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def reference_pids() -> list[int]:
    state = Path(os.environ.get("BENCH_REFERENCE_STATE", "/tmp/bench-reference"))  # noqa: S108
    main = int((state / "gunicorn.pid").read_text())
    out = subprocess.run(["pgrep", "-P", str(main)], capture_output=True, text=True, check=False)
    return [main, *map(int, out.stdout.split())]


def measured(
    wrk: Any, url: str, connections: int, duration: int, script: str, pids: list[int]
) -> dict[str, Any]:
    before = cpu_seconds(pids)
    result: dict[str, Any] = wrk(url, connections, duration, script)
    done = max(result["rps"] * duration, 1)
    result["cpu_ms"] = 1000 * (cpu_seconds(pids) - before) / done
    return result


def servers_run(
    reference: str, run: Path, duration: int, warmup: int, wrk: Any, drain: Any
) -> list[str]:
    chosen = [n for n in os.environ.get("BENCH_SERVERS", ",".join(CANDIDATES)).split(",") if n]
    unknown = [n for n in chosen if n not in CANDIDATES]
    if unknown:
        sys.exit(f"servers.py: unknown candidates {unknown}; known: {', '.join(CANDIDATES)}")
    prefix = os.environ.get("DATABASE_PREFIX", "careforall_")
    pledges, campaigns = connect(f"{prefix}pledge"), connect(f"{prefix}campaign")
    refs: dict[int, list[dict[str, Any]]] = {c: [] for c in CONNECTIONS}

    def reference_round() -> None:
        for connections in CONNECTIONS:
            target = reference + "/pledges"
            wrk(target, connections, warmup, "reference-pledge.lua")
            refs[connections].append(
                measured(wrk, target, connections, duration, "reference-pledge.lua",
                         reference_pids())
            )  # fmt: skip

    reference_round()
    gateway = gateway_start(run)
    results: dict[str, dict[int, dict[str, Any]]] = {}
    try:
        for name in chosen:
            server = candidate_start(run, name)
            try:
                pids = side_pids(server)
                results[name] = {}
                for connections in CONNECTIONS:
                    url = f"http://127.0.0.1:{GATEWAY_PORT}/"
                    wrk(url, connections, warmup, "pledge-create.lua")
                    drain(pledges, campaigns)
                    results[name][connections] = measured(
                        wrk, url, connections, duration, "pledge-create.lua", pids
                    )
            finally:
                stop(server)
    finally:
        stop(gateway)
    reference_round()
    ((made,),) = select(pledges, "SELECT COUNT(*) FROM pledges_pledge", [])
    return servers_lines(results, refs, duration, made)


def servers_lines(
    results: dict[str, dict[int, dict[str, Any]]],
    refs: dict[int, list[dict[str, Any]]],
    duration: int,
    made: int,
) -> list[str]:
    lines = [
        f"servers: pledge_service under each server model behind a copy of the gateway "
        f"(keepalive upstream), POST /api/pledges, {duration} s per run; reference "
        "(gunicorn, 5 sync workers) before and after: "
        + "; ".join(
            f"@{c} "
            + " / ".join(
                f"{r['rps']:,.0f} rps p99 {r['p99']:,.1f} ms {r['cpu_ms']:.2f} ms CPU" for r in runs
            )
            for c, runs in refs.items()
        )
    ]
    for name, by_connections in results.items():
        parts = []
        for connections, ours in by_connections.items():
            runs = refs[connections]
            ref_rps = sum(r["rps"] for r in runs) / len(runs)
            ref_p99 = sum(r["p99"] for r in runs) / len(runs)
            parts.append(
                f"@{connections} {ours['rps'] / ref_rps:.2f}x rps ({ours['rps']:,.0f}), p99 "
                f"{ours['p99'] / ref_p99:.2f}x ({ours['p99']:,.1f} ms), {ours['cpu_ms']:.2f} ms "
                f"CPU per create, errors {ours['errors']}"
            )
        lines.append(f"servers {name}: " + "; ".join(parts))
    lines.append(f"servers: {made:,} pledges in the bench database after the scenario")
    return lines
