"""A platform stopped uncleanly starts again (issue 20, finding 13).

scripts/up is killed with SIGKILL, its whole process group at once (what an OOM kill of the
group, a power loss or `kill -9 -<pgid>` leaves): no trap runs, so the nginx status socket, the
pid files, the beat schedules and the metrics directories stay behind. The next scripts/up must
deal with each of them and come up healthy. Then scripts/up alone is killed (its children live
on, orphaned): the next scripts/up stops what the earlier run left running and comes up again.

This test starts platforms of its own (own CAREFORALL_VAR, databases and Redis database) on the
fixed ports, so it runs before the suite's shared platform is started (conftest.py orders it
first) and fails when that one, or any other, is up.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import MySQLdb
import pytest
import requests

from integration.conftest import PORTS, ROOT, port_open
from integration.support import wait_until

pytestmark = pytest.mark.own_platform

VAR = ROOT / "var" / "e2e-unclean-stop"
PREFIX = "careforall_e2e_unclean_"
GATEWAY = "http://127.0.0.1:8080"
SERVICES = ("user", "campaign", "pledge", "payment")
ENV = {
    **os.environ,
    "CAREFORALL_VAR": str(VAR),
    "DATABASE_PREFIX": PREFIX,
    # A Redis database of its own: tasks a killed run left queued never reach another platform.
    "REDIS_URL": "redis://127.0.0.1:6379/13",
}
for name in ("CELERY_BROKER_URL", "CAREFORALL_E2E_URL"):
    ENV.pop(name, None)


def drop_databases() -> None:
    conn = MySQLdb.connect(host="127.0.0.1", port=3306, user="root", password="")
    cursor = conn.cursor()
    for service in SERVICES:
        cursor.execute(f"DROP DATABASE IF EXISTS `{PREFIX}{service}`")
    conn.close()


def group_members(pgid: int) -> set[int]:
    """The live (not zombie) processes of a process group."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid and fields[0] != "Z":
                found.add(int(stat.parent.name))
    return found


class Run:
    """One scripts/up in a process group (a session) of its own."""

    def __init__(self) -> None:
        self.output: list[str] = []
        self.ready = threading.Event()
        self.process = subprocess.Popen(
            [str(ROOT / "scripts" / "up")],
            cwd=ROOT,
            env=ENV,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.pgid = self.process.pid
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.output.append(line)
            if line.startswith("ready "):
                self.ready.set()

    def wait_ready(self, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        while not self.ready.is_set() and self.process.poll() is None:
            if time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert self.ready.is_set(), "scripts/up did not become ready:\n" + self.tail()

    def tail(self, lines: int = 60) -> str:
        return "".join(self.output[-lines:])

    def kill_group(self) -> None:
        """SIGKILL every process of the group at once and wait until none is left."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pgid, signal.SIGKILL)
        self.process.wait(timeout=10)
        wait_until(lambda: not group_members(self.pgid), timeout=20, interval=0.1)


@pytest.fixture
def runs() -> Iterator[list[Run]]:
    """Every scripts/up this test starts; whatever is left of them is killed at the end."""
    busy = [port for port in PORTS if port_open(port)]
    if busy:
        pytest.fail(f"ports {busy} are in use: this test needs the machine's platform ports free")
    shutil.rmtree(VAR, ignore_errors=True)
    drop_databases()
    started: list[Run] = []
    yield started
    for run in started:
        for pid in group_members(run.pgid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            run.process.wait(timeout=10)
    # Orphans of a run whose scripts/up alone was killed live in that run's group too.
    for run in started:
        wait_until(lambda run=run: not group_members(run.pgid), timeout=20, interval=0.1)
    drop_databases()
    wait_until(lambda: not [p for p in PORTS if port_open(p)], timeout=20, interval=0.2)


def assert_healthy() -> None:
    for service in SERVICES:
        response = requests.get(f"{GATEWAY}/api/health/{service}", timeout=10)
        assert response.status_code == 200, (service, response.text)
    socket = VAR / "run" / "nginx-status.sock"
    done = subprocess.run(
        ["curl", "-fsS", "--unix-socket", str(socket), "http://localhost/stub_status"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Active connections" in done.stdout


def test_a_platform_killed_with_sigkill_starts_again(runs: list[Run]) -> None:
    first = Run()
    runs.append(first)
    first.wait_ready()
    assert_healthy()

    first.kill_group()

    # What the killed run left behind: no trap removed any of it.
    run_dir = VAR / "run"
    assert (run_dir / "nginx-status.sock").exists()
    assert (run_dir / "up.pid").exists()
    assert list(run_dir.glob("beat-pledge*")), sorted(p.name for p in run_dir.iterdir())
    assert any((VAR / "metrics" / "pledge").iterdir())

    second = Run()
    runs.append(second)
    second.wait_ready()
    assert_healthy()

    # scripts/up alone dies (its children are orphaned and keep the ports): the next one stops
    # what the earlier run left running, then starts.
    second.process.kill()
    second.process.wait(timeout=10)
    assert group_members(second.pgid), "the children should outlive scripts/up here"

    third = Run()
    runs.append(third)
    third.wait_ready()
    assert_healthy()
    assert not group_members(second.pgid), "the earlier run's processes are still alive"

    # Ctrl-C still stops everything.
    third.process.send_signal(signal.SIGINT)
    assert third.process.wait(timeout=60) == 0, third.tail()
    assert not group_members(third.pgid)
