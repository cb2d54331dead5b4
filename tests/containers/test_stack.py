"""compose.yaml + compose.dev.yaml under podman (scripts/containers test), through the published
gateway only: up until healthy, donations with exact totals, three pledge_service replicas
sharing the requests, one killed under load, and the data kept across down and up.

The tests run in order and share the stack: each phase starts from where the last one left it.
"""

from __future__ import annotations

import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests
from integration.support import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    all_pledges,
    bearer,
    create_campaign,
    expected_totals,
    get_campaign,
    register_donor,
    sign_in,
    totals_of,
    wait_until,
)

from containers.stack import (
    GATEWAY,
    PROJECT,
    Donation,
    address,
    charges_by_pledge,
    compose,
    containers,
    donate,
    failed,
    gateway_answers,
    gateway_upstreams,
    podman,
    published_ports,
    reads_answer,
    unhealthy,
)

FIGURES = Path(__file__).resolve().parents[2] / "var" / "containers" / "figures.txt"
UP = ["up", "-d", "--no-build", "--pull", "never", "--wait", "--wait-timeout", "600"]
state: dict[str, Any] = {}


def note(text: str) -> None:
    """A figure of this run, on stderr and in var/containers/figures.txt."""
    sys.stderr.write(f"\n{text}\n")
    FIGURES.parent.mkdir(parents=True, exist_ok=True)
    with FIGURES.open("a") as figures:
        figures.write(f"{text}\n")


def drive(count: int, first_amount: int, during: Any = None) -> list[Donation]:
    """``count`` donations of distinct amounts from 8 clients at once; ``during(done)`` runs in
    its own thread while they go."""
    done: list[Donation] = []
    lock = threading.Lock()

    def one(amount: int) -> Donation:
        donation = donate(state["donor"].access, state["campaign"], amount)
        with lock:
            done.append(donation)
        return donation

    helper = threading.Thread(target=during, args=(done,), daemon=True) if during else None
    if helper:
        helper.start()
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(one, range(first_amount, first_amount + count)))
    if helper:
        helper.join()
    return results


def settled_totals(count: int, amount: int) -> dict[str, int]:
    """Wait until the campaign shows ``count`` captured pledges worth ``amount``; its totals."""
    campaign = state["campaign"]

    def settled() -> bool:
        totals = totals_of(get_campaign(GATEWAY, campaign))
        return totals["total_pledges"] == count and totals["captured_amount"] == amount

    wait_until(settled, timeout=120, interval=0.5)
    return totals_of(get_campaign(GATEWAY, campaign))


def test_up_until_every_healthcheck_is_healthy() -> None:
    started = time.monotonic()
    compose(*UP)
    assert failed() == []
    wait_until(lambda: not unhealthy(), timeout=120, interval=1)
    note(f"up: {time.monotonic() - started:.0f} s")
    names = {c["Labels"]["com.docker.compose.service"] for c in containers()}
    assert {"gateway", "mysql", "pledge_service", "stripe_sandbox", "mailpit"} <= names
    assert not names & {"prometheus", "grafana", "jaeger", "otel_collector"}
    wait_until(gateway_answers, timeout=60, interval=1)


def test_staff_account_and_a_campaign() -> None:
    staff = str(sign_in(GATEWAY, ADMIN_EMAIL, ADMIN_PASSWORD)["access"])
    state["staff"] = staff
    state["campaign"] = int(str(create_campaign(GATEWAY, staff, goal_amount=100_000_000)["id"]))
    state["donor"] = register_donor(GATEWAY)


def test_two_hundred_donations_with_exact_totals() -> None:
    donations = drive(200, 1000)
    state["donations"] = donations
    expected = sum(d.amount for d in donations)
    totals = settled_totals(200, expected)
    assert totals["current_amount"] == expected
    assert totals["pending_amount"] == totals["authorized_amount"] == totals["failed_amount"] == 0
    assert totals == expected_totals(all_pledges(GATEWAY, state["staff"], state["campaign"]))


def test_three_pledge_replicas_share_the_requests() -> None:
    # --no-recreate: under podman 4.3, Compose v2 takes every container for outdated and would
    # recreate the whole stack (the sandbox's record of charges with it).
    compose(*UP, "--no-recreate", "--scale", "pledge_service=3")
    replicas = containers("pledge_service")
    assert len(replicas) == 3
    addresses = {address(r["Id"]): r["Names"][0] for r in replicas}
    since = time.time() - 1
    url = f"{GATEWAY}/api/pledges?campaign_id={state['campaign']}&page_size=1"

    def all_served() -> bool:  # the gateway reloads once it sees the new addresses
        for _ in range(30):
            assert requests.get(url, headers=bearer(state["staff"]), timeout=10).ok
        served = Counter(u.rsplit(":", 1)[0] for u in gateway_upstreams(since))
        state["served"] = {addresses.get(a, a): n for a, n in served.items()}
        return set(addresses) <= set(served)

    wait_until(all_served, timeout=60, interval=1)
    note(f"requests per replica: {state['served']}")


def test_a_replica_killed_under_load_loses_and_doubles_nothing() -> None:
    victim = sorted(r["Names"][0] for r in containers("pledge_service"))[1]

    def kill_midway(done: list[Donation]) -> None:
        wait_until(lambda: len(done) >= 100, timeout=300, interval=0.05)
        podman("kill", victim)
        state["killed_after"] = len(done)

    donations = drive(300, 2000, during=kill_midway)
    everything: list[Donation] = state["donations"] + donations
    retried = sum(len(d.attempts) > 2 for d in donations)
    note(f"killed {victim} after {state['killed_after']} of 300; {retried} donations resent")
    assert 100 <= state["killed_after"] < 300
    expected = sum(d.amount for d in everything)
    totals = settled_totals(500, expected)
    assert totals["current_amount"] == expected

    pledges = all_pledges(GATEWAY, state["staff"], state["campaign"])
    assert totals == expected_totals(pledges)
    # Nothing lost or duplicated: exactly one captured pledge per donation, with its amount.
    assert sorted(int(str(p["amount"])) for p in pledges) == sorted(d.amount for d in everything)
    assert {int(str(p["id"])) for p in pledges} == {d.pledge_id for d in everything}
    assert {str(p["status"]) for p in pledges} == {"CAPTURED"}
    # Charged once each, at the provider.
    charges = charges_by_pledge({d.pledge_id for d in everything})
    assert {pledge: len(intents) for pledge, intents in charges.items() if len(intents) != 1} == {}
    state["totals"] = totals


def test_down_keeps_the_data_and_up_again_shows_the_same_totals() -> None:
    keep_the_logs("before-down")
    compose("down", "-t", "30")
    assert not containers(running=False)
    assert f"{PROJECT}_mysql" in podman("volume", "ls", "--format", "{{.Name}}").split()
    started = time.monotonic()
    compose(*UP)
    assert failed() == []
    wait_until(lambda: not unhealthy(), timeout=120, interval=1)
    note(f"up again: {time.monotonic() - started:.0f} s")
    try:
        wait_until(gateway_answers, timeout=60, interval=1)
    except AssertionError:
        pytest.fail(f"the published gateway does not answer:\n{published_ports()}")
    first_reads = wait_until(
        lambda: reads_answer(state["campaign"], state["staff"]), timeout=120, interval=1
    )
    note(f"first reads after up again: {first_reads:.1f} s")
    assert len(containers("pledge_service")) == 1
    assert totals_of(get_campaign(GATEWAY, state["campaign"])) == state["totals"]
    pledges = all_pledges(GATEWAY, state["staff"], state["campaign"])
    assert len(pledges) == 500
    assert expected_totals(pledges) == state["totals"]


def keep_the_logs(name: str) -> None:
    """The stack's logs into var/containers/<name>.log (the run takes the stack down after)."""
    FIGURES.parent.mkdir(parents=True, exist_ok=True)
    logs = compose("logs", "--no-color", "--timestamps", timeout=120)
    (FIGURES.parent / f"{name}.log").write_text(logs)


@pytest.fixture(autouse=True, scope="module")
def _keep_the_logs() -> Any:
    yield
    keep_the_logs("compose")
