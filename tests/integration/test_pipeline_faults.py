"""No ghost donations (SPEC §5.2, §5.4): crashes and outages never lose or double an event.

These tests stop, pause and kill real processes of the platform started by scripts/up (which
restarts a child that dies, as a process manager would).
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import MySQLdb
import pytest
import requests

from integration.conftest import ROOT, Platform
from integration.support import (
    all_pledges,
    crash,
    create_campaign,
    expected_totals,
    get_campaign,
    local_platform,
    make_pledge,
    service_processes,
    signal_processes,
    totals_of,
    wait_until,
)

pytestmark = pytest.mark.usefixtures("platform")


def outbox_attempts(platform: Platform) -> list[int]:
    conn = MySQLdb.connect(
        host="127.0.0.1", user="root", password="", database=f"{platform.database_prefix}pledge"
    )
    try:
        cursor = conn.cursor()
        cursor.execute("SELECT MAX(attempts) FROM outbox_outboxevent GROUP BY status")
        return [int(row[0]) for row in cursor.fetchall()]
    finally:
        conn.close()


def pledge_many(gateway: str, campaign_id: int, count: int) -> None:
    amounts = [100 + (i % 7) * 35 for i in range(count)]
    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(
            pool.map(lambda a: make_pledge(gateway, campaign_id, a).status_code, amounts)
        )
    assert statuses == [201] * count


def assert_totals_become_exact(
    gateway: str, staff_token: str, campaign_id: int, timeout: float
) -> None:
    expected = expected_totals(all_pledges(gateway, staff_token, campaign_id))
    wait_until(
        lambda: totals_of(get_campaign(gateway, campaign_id)) == expected,
        timeout=timeout,
        interval=0.25,
    )
    time.sleep(1.5)  # and it stays exact: nothing arrives twice later
    assert totals_of(get_campaign(gateway, campaign_id)) == expected


def test_campaign_service_paused_while_pledges_are_made(
    platform: Platform, gateway: str, staff_token: str
) -> None:
    local_platform(platform)
    campaign_id = int(str(create_campaign(gateway, staff_token)["id"]))
    web = service_processes(platform, "web-campaign")
    # pledge_service learns a new campaign's facts from its event or, on a miss, by asking
    # campaign_service: one pledge first, so that the pause tests the pipeline, not that read.
    pledge_many(gateway, campaign_id, 1)

    signal_processes(web, signal.SIGSTOP)
    try:
        pledge_many(gateway, campaign_id, 100)
        time.sleep(12)  # longer than the relay's read timeout: deliveries fail and back off
        assert max(outbox_attempts(platform)) >= 1
    finally:
        signal_processes(web, signal.SIGCONT)

    assert_totals_become_exact(gateway, staff_token, campaign_id, timeout=60)


def test_relay_worker_killed_mid_batch(platform: Platform, gateway: str, staff_token: str) -> None:
    local_platform(platform)
    campaign_id = int(str(create_campaign(gateway, staff_token)["id"]))
    with ThreadPoolExecutor(max_workers=1) as pool:
        burst = pool.submit(pledge_many, gateway, campaign_id, 300)
        time.sleep(0.5)
        worker = crash(platform, "worker-pledge")
        burst.result()

    wait_until(lambda: platform.pid("worker-pledge") != worker, timeout=10)
    assert_totals_become_exact(gateway, staff_token, campaign_id, timeout=60)


def test_two_relay_workers_drain_at_once(
    platform: Platform, gateway: str, staff_token: str
) -> None:
    local_platform(platform)
    campaign_id = int(str(create_campaign(gateway, staff_token)["id"]))
    env = {**os.environ, "DATABASE_PREFIX": platform.database_prefix, "DJANGO_DEBUG": "true"}
    second = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "celery"),
            "-A",
            "config",
            "worker",
            "-Q",
            "pledge",
            "-n",
            "pledge-second@%h",
            "--concurrency",
            "2",
        ],
        cwd=ROOT / "pledge_service",
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(3)
        pledge_many(gateway, campaign_id, 200)
        assert_totals_become_exact(gateway, staff_token, campaign_id, timeout=60)
    finally:
        second.terminate()
        second.wait(timeout=30)


def test_redis_restart_loses_nothing(platform: Platform, gateway: str, staff_token: str) -> None:
    """Redis (the broker) dies: pledges still commit, the sweep delivers once it is back."""
    local_platform(platform)
    campaign_id = int(str(create_campaign(gateway, staff_token)["id"]))
    subprocess.run(["redis-cli", "shutdown", "nosave"], check=False, capture_output=True)
    try:
        pledge_many(gateway, campaign_id, 50)
    finally:
        subprocess.run(
            [
                "redis-server",
                "--daemonize",
                "yes",
                "--bind",
                "127.0.0.1",
                "--port",
                "6379",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            check=True,
            capture_output=True,
        )
    assert_totals_become_exact(gateway, staff_token, campaign_id, timeout=90)


def test_reconciliation_finds_and_repairs_a_planted_difference(
    platform: Platform, gateway: str, staff_token: str
) -> None:
    local_platform(platform)
    campaign_id = int(str(create_campaign(gateway, staff_token)["id"]))
    pledge_many(gateway, campaign_id, 10)
    assert_totals_become_exact(gateway, staff_token, campaign_id, timeout=30)
    conn = MySQLdb.connect(
        host="127.0.0.1", user="root", password="", database=f"{platform.database_prefix}campaign"
    )
    try:
        conn.cursor().execute(
            "UPDATE campaigns_campaign SET pending_amount = pending_amount + 999 WHERE id = %s",
            (campaign_id,),
        )
        conn.commit()
    finally:
        conn.close()

    def reconcile(*flags: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                str(ROOT / ".venv" / "bin" / "python"),
                "manage.py",
                "reconcile",
                "--campaign",
                str(campaign_id),
                *flags,
            ],
            cwd=ROOT / "campaign_service",
            env={**os.environ, "DATABASE_PREFIX": platform.database_prefix, "DJANGO_DEBUG": "true"},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    found = reconcile()
    fixed = reconcile("--fix")
    clean = reconcile()

    assert found.returncode == 1, found.stdout + found.stderr
    assert "pending_amount" in found.stdout
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert clean.returncode == 0, clean.stdout + clean.stderr
    expected = expected_totals(all_pledges(gateway, staff_token, campaign_id))
    assert totals_of(get_campaign(gateway, campaign_id)) == expected
    assert requests.get(f"{gateway}/api/health/campaign", timeout=5).status_code == 200


def database_answers() -> bool:
    try:
        MySQLdb.connect(host="127.0.0.1", user="root", password="", connect_timeout=1).close()
    except MySQLdb.Error:
        return False
    return True


def test_mysql_restart_loses_nothing(platform: Platform, gateway: str, staff_token: str) -> None:
    """MariaDB stops right after a burst of pledges (events still in the outboxes) and comes
    back: every committed pledge reaches the totals once, and the services serve again."""
    local_platform(platform)
    campaign_id = int(str(create_campaign(gateway, staff_token)["id"]))
    pledge_many(gateway, campaign_id, 50)
    subprocess.run(["mariadb-admin", "-uroot", "shutdown"], check=True, capture_output=True)
    try:
        wait_until(lambda: not database_answers(), timeout=30)
        down = requests.get(f"{gateway}/api/health/pledge", timeout=10)
        assert down.status_code == 503
        time.sleep(2)
    finally:
        subprocess.run(
            [
                "start-stop-daemon",
                "--start",
                "--oknodo",
                "--background",
                "--exec",
                "/usr/sbin/mariadbd",
            ],
            check=True,
            capture_output=True,
        )
        wait_until(database_answers, timeout=60, interval=0.5)

    wait_until(
        lambda: requests.get(f"{gateway}/api/health/pledge", timeout=10).status_code == 200,
        timeout=30,
        interval=0.5,
    )
    pledge_many(gateway, campaign_id, 10)
    assert_totals_become_exact(gateway, staff_token, campaign_id, timeout=60)
