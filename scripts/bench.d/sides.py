# ruff: noqa: S603, S607  (runs gunicorn, curl, pgrep and manage.py-like helpers: fixed programs)
"""Two gunicorns of one service, alike but for a setting, measured in alternation.

What the ``metrics``, ``defence`` and ``transparency`` scenarios share: a copy of a platform
process (``web-<service>``: its command, directory and environment, read from /proc) started on
a port of its own with some settings changed; the CPU time of a copy's processes; a helper
script run in a service's environment; and the alternation of runs (a, b, b, a, a, b, …: neither
side always first), whose medians and every run's figure each scenario reports.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
CLOCK = os.sysconf("SC_CLK_TCK")


def process_environment(run: Path, service: str) -> tuple[dict[str, str], list[str], str]:
    """The environment, command line and directory of the platform's ``web-<service>``."""
    proc = Path(f"/proc/{int((run / f'web-{service}.pid').read_text())}")
    items = proc.joinpath("environ").read_text().split("\0")
    env = dict(item.split("=", 1) for item in items if "=" in item)
    command = proc.joinpath("cmdline").read_text().rstrip("\0").split("\0")
    return env, command, os.readlink(proc / "cwd")


def bind_at(command: list[str], port: int) -> None:
    """Point a copied server command line at ``port`` (gunicorn's ``--bind``, granian's
    ``--port``: scripts/up's WEB_SERVER)."""
    if "--bind" in command:
        command[command.index("--bind") + 1] = f"127.0.0.1:{port}"
    else:
        command[command.index("--port") + 1] = str(port)


def side_start(
    run: Path, service: str, port: int, settings: Mapping[str, str], health: str
) -> subprocess.Popen[bytes]:
    """A gunicorn of ``service`` as scripts/up starts it, on ``port``, with ``settings`` set.

    Without metrics on either side (no multiprocess directory shared with the platform's own
    process): what differs between two sides is ``settings`` alone.
    """
    env, command, cwd = process_environment(run, service)
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    env["METRICS_ENABLED"] = "false"
    env.update(settings)
    bind_at(command, port)
    with (run / f"{service}-{port}.log").open("ab") as log:
        server = subprocess.Popen(command, cwd=cwd, env=env, stdout=log, stderr=log)
    check = ["curl", "-fs", "-o", "/dev/null", f"http://127.0.0.1:{port}{health}"]
    for _ in range(300):
        if subprocess.run(check, check=False).returncode == 0:
            time.sleep(1)  # every worker forked and loaded
            return server
        time.sleep(0.2)
    server.terminate()
    sys.exit(f"sides.py: {service} on {port} did not start (see {run}/{service}-{port}.log)")


def side_pids(server: subprocess.Popen[bytes]) -> list[int]:
    out = subprocess.run(
        ["pgrep", "-P", str(server.pid)], capture_output=True, text=True, check=False
    )
    return [server.pid, *map(int, out.stdout.split())]


def processes(run: Path) -> dict[str, list[int]]:
    """The pids of each child of scripts/up, with their own children (workers, pool)."""
    found: dict[str, list[int]] = {}
    for pid_file in sorted(run.glob("*.pid")):
        if pid_file.stem == "up":
            continue
        try:
            main = int(pid_file.read_text())
        except ValueError:
            continue
        children = subprocess.run(
            ["pgrep", "-P", str(main)], capture_output=True, text=True, check=False
        ).stdout.split()
        found[pid_file.stem] = [main, *map(int, children)]
    return found


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / CLOCK


def in_service(
    run: Path, service: str, args: list[str], settings: Mapping[str, str] | None = None
) -> Any:
    """Run ``scripts/bench.d/inservice.py args`` with ``service``'s environment and directory
    (its Django settings); return the JSON it prints last."""
    env, _, cwd = process_environment(run, service)
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    env["METRICS_ENABLED"] = "false"
    env.update(settings or {})
    done = subprocess.run(
        [sys.executable, str(HERE / "inservice.py"), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        sys.exit(f"sides.py: inservice.py {args[0]} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def alternate(
    names: tuple[str, str], rounds: int, one_run: Callable[[str], dict[str, float]]
) -> dict[str, list[dict[str, float]]]:
    """``rounds`` runs of each side: a, b, b, a, a, b, …; each run's figures by side."""
    first, second = names
    order = (first, second, second, first) * (rounds // 2) + (first, second) * (rounds % 2)
    results: dict[str, list[dict[str, float]]] = {first: [], second: []}
    for side in order:
        results[side].append(one_run(side))
    return results


def medians(runs: list[dict[str, float]]) -> dict[str, float]:
    return {key: statistics.median(r[key] for r in runs) for key in runs[0]}


def difference(a: float, b: float) -> str:
    """``a`` against ``b`` in per cent, signed."""
    return f"{100 * (a / b - 1):+.1f} %" if b else "n/a"


def adjacent_pairs(
    results: dict[str, list[dict[str, float]]], names: tuple[str, str], key: str
) -> list[float]:
    """The differences (first side - second side) of the i-th runs of each side: the runs of a
    pair are next to each other in the alternation, so a drift of the machine cancels out."""
    return [a[key] - b[key] for a, b in zip(results[names[0]], results[names[1]], strict=False)]
