"""Recurring gifts end to end (SPEC §3 "Recurring gifts", guarantee 11, docs/recurring.md).

The test platform runs the schedule on a compressed clock (tests/integration/conftest.py:
``RECURRING_DAY_SECONDS=1``): a month is 30 s, the dunning retries come 1, 3 and 7 s after a
decline, beat looks for due plans every second. Every plan a test leaves running is canceled
after it, so that no plan keeps charging while the other tests run.

Counted at the provider: each intent the sandbox made carries the plan and the period in its
metadata (payment_service's request), so "one charge per period" is read from the sandbox's
list of PaymentIntents, not from the platform's own records.
"""

from __future__ import annotations

import contextlib
import itertools
import random
import re
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import MySQLdb
import pytest
import requests

from integration.conftest import ROOT, Platform
from integration.support import (
    Donor,
    assert_problem,
    bearer,
    crash,
    create_campaign,
    expected_totals,
    get_campaign,
    local_platform,
    register_donor,
    totals_of,
    wait_until,
)
from integration.test_receipts import messages, text_of

SANDBOX = "http://127.0.0.1:12111"
SANDBOX_KEY = "sk_test_careforall"  # the sandbox takes any sk_test_ key
MONTH_S = 30  # RECURRING_DAY_SECONDS=1: a month is 30 schedule days
RETRY_DAYS = (1, 3, 7)  # RECURRING_RETRY_DAYS of the test platform (the default)
MESSAGE_ID = re.compile(r"<([a-z_]+)-(\d+)@[^>]+>")
RECEIPT_LINK = re.compile(r"/#/receipt/(\d+)")

Plan = dict[str, Any]


def access(token: str | None = None, manage: str | None = None) -> dict[str, Any]:
    """The request arguments of a plan's donor: a bearer token, or a guest's manage token."""
    return {
        "headers": bearer(token) if token else {},
        "params": {"manage_token": manage} if manage else {},
    }


def plan_create(
    gateway: str,
    campaign_id: int,
    amount: int,
    *,
    token: str | None = None,
    interval: str = "month",
    method: str | None = "pm_card_visa",
    key: str | None = None,
    **fields: object,
) -> requests.Response:
    headers = {"Idempotency-Key": key or uuid.uuid4().hex}
    if token:
        headers.update(bearer(token))
    else:
        fields.setdefault("donor_name", "Guest Donor")
        fields.setdefault("donor_email", f"guest-{uuid.uuid4().hex[:8]}@example.org")
    body: dict[str, object] = {
        "campaign_id": campaign_id,
        "amount": amount,
        "interval": interval,
        **fields,
    }
    if method:
        body["payment_method"] = method
    return requests.post(f"{gateway}/api/recurring", json=body, headers=headers, timeout=60)


def new_plan(gateway: str, campaign_id: int, amount: int, **kwargs: Any) -> Plan:
    response = plan_create(gateway, campaign_id, amount, **kwargs)
    assert response.status_code == 201, response.text
    plan: Plan = response.json()
    return plan


def plan_get(gateway: str, plan_id: int, **who: Any) -> Plan:
    response = requests.get(f"{gateway}/api/recurring/{plan_id}", timeout=10, **access(**who))
    assert response.status_code == 200, response.text
    plan: Plan = response.json()
    return plan


def plan_post(
    gateway: str, plan_id: int, action: str, body: dict[str, Any] | None = None, **who: Any
) -> requests.Response:
    return requests.post(
        f"{gateway}/api/recurring/{plan_id}/{action}", json=body or {}, timeout=30, **access(**who)
    )


def plan_patch(gateway: str, plan_id: int, body: Any, **who: Any) -> requests.Response:
    return requests.patch(
        f"{gateway}/api/recurring/{plan_id}", json=body, timeout=30, **access(**who)
    )


def plan_wait(
    gateway: str, plan_id: int, check: Callable[[Plan], bool], timeout: float = 30, **who: Any
) -> Plan:
    """Read the plan until ``check(plan)``; the plan as last read (its state in the failure)."""
    seen: dict[str, Plan] = {}

    def ready() -> bool:
        seen["plan"] = plan_get(gateway, plan_id, **who)
        return check(seen["plan"])

    try:
        wait_until(ready, timeout=timeout, interval=0.25)
    except AssertionError:
        raise AssertionError(f"plan {plan_id} as last read: {seen.get('plan')}") from None
    return seen["plan"]


def plans_of(gateway: str, staff_token: str, campaign_id: int) -> list[Plan]:
    """Every plan of the campaign (staff's list)."""
    url: str | None = f"{gateway}/api/recurring?campaign_id={campaign_id}&page_size=100"
    found: list[Plan] = []
    while url:
        response = requests.get(url, headers=bearer(staff_token), timeout=30)
        assert response.status_code == 200, response.text
        page = response.json()
        found += page["results"]
        url = page["next"]
    return found


def sandbox_now() -> int:
    """The sandbox's clock (epoch seconds): the ``created`` of what it makes from now on."""
    return int(requests.get(f"{SANDBOX}/_sandbox/clock", timeout=5).json()["now"])


def intents_since(created: int) -> list[dict[str, Any]]:
    """Every PaymentIntent the sandbox made since ``created`` (its own clock), newest first."""
    found: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": 100, "created[gte]": created}
    while True:
        response = requests.get(
            f"{SANDBOX}/v1/payment_intents",
            params=params,
            headers={"Authorization": f"Bearer {SANDBOX_KEY}"},
            timeout=30,
        )
        assert response.status_code == 200, response.text
        page = response.json()
        found += page["data"]
        if not page["has_more"]:
            return found
        params["starting_after"] = page["data"][-1]["id"]


def plan_intents(created: int, plan_ids: set[int]) -> dict[int, list[dict[str, Any]]]:
    """The intents of each plan (``metadata.plan_id``) made since ``created``."""
    found: dict[int, list[dict[str, Any]]] = {plan_id: [] for plan_id in plan_ids}
    for intent in intents_since(created):
        plan_id = int((intent.get("metadata") or {}).get("plan_id") or 0)
        if plan_id in found:
            found[plan_id].append(intent)
    return found


def period_of(intent: dict[str, Any]) -> int:
    """The plan period an intent charges: installments carry it in their metadata; the first
    payment's intent does not (it is period 0)."""
    return int((intent.get("metadata") or {}).get("period", 0))


def mail_by_kind(mail: Path) -> dict[str, Counter[int]]:
    """How many messages the sink holds of each kind and key (``<plan_past_due-57@…>``)."""
    counts: dict[str, Counter[int]] = {}
    for message in messages(mail):
        match = MESSAGE_ID.fullmatch(str(message["Message-ID"]))
        if match:
            counts.setdefault(match[1], Counter())[int(match[2])] += 1
    return counts


def mail_of(mail: Path, kind: str, key: int) -> list[EmailMessage]:
    wanted = re.compile(rf"<{kind}-{key}@[^>]+>")
    return [m for m in messages(mail) if wanted.fullmatch(str(m["Message-ID"]))]


def plan_pledges(gateway: str, staff_token: str, campaign_id: int, plan_id: int) -> list[Any]:
    """The plan's installment pledges, oldest first (staff's view of the campaign)."""
    url: str | None = f"{gateway}/api/pledges?campaign_id={campaign_id}&page_size=100"
    pledges: list[dict[str, Any]] = []
    while url:
        page = requests.get(url, headers=bearer(staff_token), timeout=10).json()
        pledges += page["results"]
        url = page["next"]
    return sorted((p for p in pledges if p["plan_id"] == plan_id), key=lambda p: p["id"])


def settle(seconds: float = 2.0) -> None:
    """Let anything that would arrive twice arrive before looking again."""
    time.sleep(seconds)


def timestamp_of(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def campaign_id_of(gateway: str, staff_token: str, **fields: object) -> int:
    return int(str(create_campaign(gateway, staff_token, **fields)["id"]))


def receipts_by_pledge(mail: Path, pledge_ids: set[int]) -> Counter[int]:
    """How many receipts (``<receipt-<payment>@…>``) the sink holds for each of the pledges,
    by the receipt link in the message."""
    counts: Counter[int] = Counter()
    for message in messages(mail):
        if not str(message["Message-ID"]).startswith("<receipt-"):
            continue
        link = RECEIPT_LINK.search(text_of(message))
        if link and int(link[1]) in pledge_ids:
            counts[int(link[1])] += 1
    return counts


@pytest.fixture
def plans_to_stop(gateway: str, staff_token: str) -> Iterator[list[int]]:
    """Plans a test makes: canceled after it (staff), so none charges on into later tests."""
    made: list[int] = []
    yield made
    for plan_id in made:
        with contextlib.suppress(requests.RequestException):
            plan_post(gateway, plan_id, "cancel", token=staff_token)


# --- A month of a plan -------------------------------------------------------------------------


def test_three_periods_of_a_monthly_plan_are_three_captured_installments(
    gateway: str, staff_token: str, donor: Donor, platform: Platform, plans_to_stop: list[int]
) -> None:
    campaign_id = campaign_id_of(gateway, staff_token)
    amount = 1_234
    created = new_plan(gateway, campaign_id, amount, token=donor.access)
    plan_id = int(created["id"])
    plans_to_stop.append(plan_id)
    assert created["status"] in ("incomplete", "active")
    assert (created["user_id"], created["interval"], created["amount"]) == (
        donor.id,
        "month",
        amount,
    )
    first = created["first_installment"]
    assert (first["pledge"]["plan_id"], first["pledge"]["amount"]) == (plan_id, amount)
    assert first["payment"]["pledge_id"] == first["pledge"]["id"]

    # Periods 0 (at once), 1 (30 s later) and 2 (60 s later).
    plan = plan_wait(
        gateway,
        plan_id,
        lambda p: p["installments_charged"] >= 3,
        3 * MONTH_S + 30,
        token=donor.access,
    )
    assert plan["installments_charged"] == 3, plan
    assert (plan["status"], plan["failed_attempts"], plan["cancel_reason"]) == ("active", 0, None)
    assert (plan["card_brand"], plan["card_last4"]) == ("visa", "4242")
    wait_until(
        lambda: (
            (
                get_campaign(gateway, campaign_id)["active_plans"],
                get_campaign(gateway, campaign_id)["monthly_recurring_amount"],
            )
            == (1, amount)
        ),
        timeout=10,
    )
    # Stopped well before period 3 falls due (30 s away).
    canceled = plan_post(gateway, plan_id, "cancel", token=donor.access)
    assert canceled.status_code == 200, canceled.text
    assert (canceled.json()["status"], canceled.json()["cancel_reason"]) == ("canceled", "donor")

    pledges = plan_pledges(gateway, staff_token, campaign_id, plan_id)
    assert [(p["status"], p["amount"], p["user_id"]) for p in pledges] == [
        ("CAPTURED", amount, donor.id)
    ] * 3
    made = [timestamp_of(p["created_at"]) for p in pledges]
    for earlier, later in itertools.pairwise(made):
        assert MONTH_S - 1 <= (later - earlier).total_seconds() <= MONTH_S + 10, made
    # The donor's donation history holds them as any gift.
    history = requests.get(f"{gateway}/api/pledges", headers=bearer(donor.access), timeout=10)
    assert {p["id"] for p in pledges} <= {p["id"] for p in history.json()["results"]}

    ids = {int(p["id"]) for p in pledges}
    wait_until(lambda: receipts_by_pledge(platform.mail, ids) == dict.fromkeys(ids, 1), 40)
    assert len(mail_of(platform.mail, "plan_created", plan_id)) == 1
    expected = expected_totals(all_plan_campaign_pledges(gateway, staff_token, campaign_id))
    assert expected["captured_amount"] == 3 * amount
    wait_until(lambda: totals_of(get_campaign(gateway, campaign_id)) == expected, timeout=10)
    totals = get_campaign(gateway, campaign_id)
    assert totals["total_payments"] == 3
    wait_until(lambda: get_campaign(gateway, campaign_id)["active_plans"] == 0, timeout=10)
    assert get_campaign(gateway, campaign_id)["monthly_recurring_amount"] == 0
    settle(2)
    assert receipts_by_pledge(platform.mail, ids) == dict.fromkeys(ids, 1)


def all_plan_campaign_pledges(gateway: str, staff_token: str, campaign_id: int) -> list[Any]:
    url: str | None = f"{gateway}/api/pledges?campaign_id={campaign_id}&page_size=100"
    pledges: list[Any] = []
    while url:
        page = requests.get(url, headers=bearer(staff_token), timeout=10).json()
        pledges += page["results"]
        url = page["next"]
    return pledges


# --- Guarantee 11 under crashes and a second beat ----------------------------------------------

CHAOS_PLANS = 200
KILLED = ("beat-pledge", "worker-pledge", "worker-payment")


def second_beat(platform: Platform) -> subprocess.Popen[bytes]:
    """Another pledge_service beat, as scripts/up starts beat-pledge (its environment, read from
    /proc), with a schedule file of its own: every entry is sent twice while it runs."""
    environ = Path(f"/proc/{platform.pid('beat-pledge')}/environ").read_bytes().split(b"\0")
    env = dict(item.decode().split("=", 1) for item in environ if b"=" in item)
    schedule = platform.var / "run" / "beat-pledge-second"
    schedule.unlink(missing_ok=True)
    log = (platform.var / "log" / "beat-pledge-second.log").open("ab")
    return subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "celery"),
            "-A",
            "config",
            "beat",
            "--schedule",
            str(schedule),
            "--pidfile=",
            "--loglevel",
            "INFO",
        ],
        cwd=ROOT / "pledge_service",
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def plans_due_together(platform: Platform, campaign_id: int, due: datetime) -> int:
    """Move the next period of every active plan of the campaign still waiting for period 1 to
    ``due``: they all fall due in the same second (a test's shortcut to what a calendar day does
    to plans set up on the same day). Returns how many."""
    conn = MySQLdb.connect(
        host="127.0.0.1", user="root", password="", database=f"{platform.database_prefix}pledge"
    )
    try:
        cursor = conn.cursor()
        cursor.execute(
            "UPDATE plans_recurringplan SET next_charge_at = %s WHERE campaign_id = %s"
            " AND status = 'active' AND next_period = 1 AND next_attempt = 1",
            (due.astimezone(UTC).replace(tzinfo=None), campaign_id),
        )
        conn.commit()
        return int(cursor.rowcount)
    finally:
        conn.close()


def pid_now(platform: Platform, name: str) -> int | None:
    """The child's pid, or None while scripts/up is writing its pid file."""
    try:
        return platform.pid(name)
    except (ValueError, FileNotFoundError):
        return None


def chaos(platform: Platform, until: float) -> list[str]:
    """SIGKILL beat and the pledge and payment workers at random until ``until`` (monotonic),
    each at most twice (scripts/up gives up on a child that dies 5 times in a minute)."""
    victims = [*KILLED, *KILLED]
    random.shuffle(victims)
    killed: list[str] = []
    for name in victims:
        time.sleep(random.uniform(1.5, 4.0))
        if time.monotonic() > until:
            break
        old = crash(platform, name)
        killed.append(name)
        wait_until(lambda old=old, name=name: pid_now(platform, name) not in (None, old), 15)
    return killed


def test_plans_falling_due_together_are_charged_once_per_period_through_crashes_and_two_beats(
    gateway: str, staff_token: str, donor: Donor, platform: Platform
) -> None:
    platform = local_platform(platform)
    campaign_id = campaign_id_of(gateway, staff_token)
    since = sandbox_now() - 2

    def make(number: int) -> int:
        return int(new_plan(gateway, campaign_id, 100 + number, token=donor.access)["id"])

    with ThreadPoolExecutor(max_workers=12) as pool:
        ids = set(pool.map(make, range(CHAOS_PLANS)))
    assert len(ids) == CHAOS_PLANS
    try:
        wait_until(
            lambda: (
                [p["status"] for p in plans_of(gateway, staff_token, campaign_id)]
                == ["active"] * CHAOS_PLANS
            ),
            timeout=180,
            interval=1,
        )
        due = datetime.now(UTC) + timedelta(seconds=6)
        together = plans_due_together(platform, campaign_id, due)
        assert together >= CHAOS_PLANS // 2  # the rest: charged period 1 already

        beat = second_beat(platform)
        try:
            time.sleep(max(0.0, (due - datetime.now(UTC)).total_seconds() - 2))
            killed = chaos(platform, until=time.monotonic() + 25)
            assert killed
            time.sleep(3)  # the second beat runs on a little after the last kill
        finally:
            beat.terminate()
            beat.wait(timeout=30)
            for leftover in (platform.var / "run").glob("beat-pledge-second*"):
                leftover.unlink(missing_ok=True)

        wait_until(
            lambda: all(
                p["installments_charged"] >= 2 for p in plans_of(gateway, staff_token, campaign_id)
            ),
            timeout=120,
            interval=1,
        )
    finally:
        closed = requests.patch(
            f"{gateway}/api/campaigns/{campaign_id}",
            json={"status": "closed"},
            headers=bearer(staff_token),
            timeout=30,
        )
        assert closed.status_code == 200, closed.text

    # Quiet: every plan canceled, every installment settled, nothing moving any more.
    wait_until(
        lambda: {p["status"] for p in plans_of(gateway, staff_token, campaign_id)} == {"canceled"},
        timeout=60,
        interval=1,
    )

    def settled() -> bool:
        pledges = all_plan_campaign_pledges(gateway, staff_token, campaign_id)
        return all(p["status"] in ("CAPTURED", "FAILED", "REFUNDED") for p in pledges)

    wait_until(settled, timeout=90, interval=1)
    settle(3)
    plans = {int(p["id"]): p for p in plans_of(gateway, staff_token, campaign_id)}
    pledges = all_plan_campaign_pledges(gateway, staff_token, campaign_id)
    assert {p["plan_id"] for p in pledges} == ids
    captured: dict[int, set[int]] = {plan_id: set() for plan_id in ids}
    for pledge in pledges:
        if pledge["status"] == "CAPTURED":
            captured[pledge["plan_id"]].add(int(pledge["id"]))

    intents = plan_intents(since, ids)
    periods: dict[int, Counter[int]] = {}
    charged_pledges: dict[int, int] = {}  # pledge → its period, from the provider's intents
    for plan_id, found in intents.items():
        periods[plan_id] = Counter(period_of(i) for i in found)
        for intent in found:
            pledge_id = int(intent["metadata"]["pledge_id"])
            assert pledge_id not in charged_pledges, f"two intents for pledge {pledge_id}"
            charged_pledges[pledge_id] = period_of(intent)
    for plan_id in ids:
        plan = plans[plan_id]
        twice = {period: n for period, n in periods[plan_id].items() if n > 1}
        assert not twice, f"plan {plan_id}: periods charged more than once at the provider {twice}"
        in_periods = Counter(charged_pledges[p] for p in captured[plan_id])
        assert all(n == 1 for n in in_periods.values()), (plan_id, in_periods)
        assert len(captured[plan_id]) == plan["installments_charged"] >= 2, plan
        assert set(in_periods) >= {0, 1}, (plan_id, in_periods)
        succeeded = [i for i in intents[plan_id] if i["status"] == "succeeded"]
        assert len(succeeded) == plan["installments_charged"], (plan_id, intents[plan_id])

    # One receipt per captured payment (a killed sender's claim ends after 20 s here).
    paid = {
        int(i["metadata"]["payment_id"])
        for found in intents.values()
        for i in found
        if i["status"] == "succeeded"
    }
    assert len(paid) == sum(len(c) for c in captured.values())

    def receipts() -> Counter[int]:
        return Counter(
            {
                k: n
                for k, n in mail_by_kind(platform.mail).get("receipt", Counter()).items()
                if k in paid
            }
        )

    wait_until(lambda: set(receipts()) == paid, timeout=90, interval=1)
    settle(3)
    assert receipts() == Counter(dict.fromkeys(paid, 1))
    expected = expected_totals(pledges)
    wait_until(lambda: totals_of(get_campaign(gateway, campaign_id)) == expected, timeout=30)


# --- Dunning ------------------------------------------------------------------------------------


def test_a_card_that_declines_is_retried_after_1_3_and_7_days_then_the_plan_ends(
    gateway: str, staff_token: str, donor: Donor, platform: Platform, plans_to_stop: list[int]
) -> None:
    campaign_id = campaign_id_of(gateway, staff_token)
    since = sandbox_now() - 2
    amount = 2_500
    plan_id = int(new_plan(gateway, campaign_id, amount, token=donor.access)["id"])
    plans_to_stop.append(plan_id)
    plan_wait(gateway, plan_id, lambda p: p["installments_charged"] == 1, 30, token=donor.access)

    changed = plan_post(
        gateway,
        plan_id,
        "payment-method",
        {"payment_method": "pm_card_chargeCustomerFail"},
        token=donor.access,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["card_last4"] == "0341"

    # Period 1 falls due 30 s after the first charge; every attempt declines.
    seen: list[tuple[str, int]] = []

    def ended(plan: Plan) -> bool:
        state = (plan["status"], plan["failed_attempts"])
        if not seen or seen[-1] != state:
            seen.append(state)
        return bool(plan["status"] == "canceled")

    plan = plan_wait(gateway, plan_id, ended, MONTH_S + 40, token=donor.access)
    assert plan["cancel_reason"] == "payment_failed"
    assert plan["installments_charged"] == 1
    dunning = [state for state in seen if state[0] == "past_due"]
    assert dunning, seen
    assert dunning[0] == ("past_due", 1), seen
    assert [n for _, n in dunning] == sorted({n for _, n in dunning}), seen
    assert {n for _, n in dunning} <= {1, 2, 3}, seen

    pledges = plan_pledges(gateway, staff_token, campaign_id, plan_id)
    assert [p["status"] for p in pledges] == ["CAPTURED"] + ["FAILED"] * 4, pledges
    first_decline = timestamp_of(pledges[1]["created_at"])
    for attempt, days in zip(pledges[2:], RETRY_DAYS, strict=True):
        waited = (timestamp_of(attempt["created_at"]) - first_decline).total_seconds()
        assert days <= waited <= days + 6, (days, waited, pledges)

    # At the provider: the first payment, then one declined intent per attempt.
    intents = plan_intents(since, {plan_id})[plan_id]
    assert sorted((period_of(i), i["status"]) for i in intents) == [
        (0, "succeeded"),
        *[(1, "requires_payment_method")] * 4,
    ]

    # One email per step: a notice for each of the first three declines, one for the end.
    failed = [int(p["id"]) for p in pledges[1:]]

    def notices() -> dict[str, list[int]]:
        by_kind = mail_by_kind(platform.mail)
        return {
            "plan_past_due": [by_kind.get("plan_past_due", Counter())[p] for p in failed],
            "plan_canceled": [by_kind.get("plan_canceled", Counter())[plan_id]],
            "plan_authentication_required": [
                by_kind.get("plan_authentication_required", Counter())[p] for p in failed
            ],
        }

    expected = {
        "plan_past_due": [1, 1, 1, 0],
        "plan_canceled": [1],
        "plan_authentication_required": [0, 0, 0, 0],
    }
    wait_until(lambda: notices() == expected, timeout=40)
    settle(3)
    assert notices() == expected
    (ended_mail,) = mail_of(platform.mail, "plan_canceled", plan_id)
    assert ended_mail["X-Envelope-To"] == donor.email
    past_due = mail_of(platform.mail, "plan_past_due", failed[0])[0]
    assert f"/#/recurring/{plan_id}" in text_of(past_due)
    totals = get_campaign(gateway, campaign_id)
    assert (totals["captured_amount"], totals["failed_amount"]) == (amount, 4 * amount)


# --- A campaign that closes ---------------------------------------------------------------------


def test_closing_a_campaign_cancels_its_plans_and_tells_each_donor_once(
    gateway: str, staff_token: str, donor: Donor, platform: Platform, plans_to_stop: list[int]
) -> None:
    campaign_id = campaign_id_of(gateway, staff_token)
    other = register_donor(gateway)
    guest_email = f"guest-{uuid.uuid4().hex[:8]}@example.org"
    made = [
        (new_plan(gateway, campaign_id, 1_000, token=donor.access), donor.email, donor.access),
        (
            new_plan(gateway, campaign_id, 2_400, token=other.access, interval="year"),
            other.email,
            other.access,
        ),
        (new_plan(gateway, campaign_id, 500, donor_email=guest_email), guest_email, None),
    ]
    plans_to_stop.extend(int(p["id"]) for p, *_ in made)
    for plan, _, token in made:
        who = {"token": token} if token else {"manage": plan["manage_token"]}
        plan_wait(gateway, plan["id"], lambda p: p["status"] == "active", 30, **who)
    wait_until(
        lambda: (
            (
                get_campaign(gateway, campaign_id)["active_plans"],
                get_campaign(gateway, campaign_id)["monthly_recurring_amount"],
            )
            == (3, 1_000 + 2_400 // 12 + 500)
        ),
        timeout=10,
    )

    closed = requests.patch(
        f"{gateway}/api/campaigns/{campaign_id}",
        json={"status": "closed"},
        headers=bearer(staff_token),
        timeout=30,
    )
    assert closed.status_code == 200, closed.text
    for plan, _, token in made:
        who = {"token": token} if token else {"manage": plan["manage_token"]}
        ended = plan_wait(gateway, plan["id"], lambda p: p["status"] == "canceled", 30, **who)
        assert ended["cancel_reason"] == "campaign_closed"

    def told() -> list[list[str]]:
        return [
            [str(m["X-Envelope-To"]) for m in mail_of(platform.mail, "plan_canceled", p["id"])]
            for p, *_ in made
        ]

    wanted = [[email] for _, email, _ in made]
    wait_until(lambda: told() == wanted, timeout=40)
    settle(3)
    assert told() == wanted
    wait_until(lambda: get_campaign(gateway, campaign_id)["active_plans"] == 0, timeout=10)
    assert get_campaign(gateway, campaign_id)["monthly_recurring_amount"] == 0
    # Nothing more is charged: each plan has its first installment only.
    pledges = all_plan_campaign_pledges(gateway, staff_token, campaign_id)
    assert sorted(p["plan_id"] for p in pledges) == sorted(p["id"] for p, *_ in made)


# --- Refunds ------------------------------------------------------------------------------------


def test_a_refunded_installment_is_refunded_and_the_plan_goes_on(
    gateway: str, staff_token: str, donor: Donor, platform: Platform, plans_to_stop: list[int]
) -> None:
    campaign_id = campaign_id_of(gateway, staff_token)
    created = new_plan(gateway, campaign_id, 3_000, token=donor.access)
    plan_id = int(created["id"])
    plans_to_stop.append(plan_id)
    first_pledge = int(created["first_installment"]["pledge"]["id"])
    first_payment = int(created["first_installment"]["payment"]["id"])
    plan_wait(gateway, plan_id, lambda p: p["installments_charged"] == 1, 30, token=donor.access)

    refund = requests.post(
        f"{gateway}/api/payments/{first_payment}/refunds",
        json={},
        headers={"Idempotency-Key": uuid.uuid4().hex, **bearer(staff_token)},
        timeout=30,
    )
    assert refund.status_code == 201, refund.text
    assert refund.json()["amount"] == 3_000

    def pledge() -> dict[str, Any]:
        response = requests.get(
            f"{gateway}/api/pledges/{first_pledge}", headers=bearer(donor.access), timeout=10
        )
        body: dict[str, Any] = response.json()
        return body

    wait_until(lambda: (pledge()["status"], pledge()["refunded_amount"]) == ("REFUNDED", 3_000), 30)
    wait_until(lambda: get_campaign(gateway, campaign_id)["refunded_amount"] == 3_000, 10)
    # From the next installment on, a new amount.
    changed = plan_patch(gateway, plan_id, {"amount": 3_500}, token=donor.access)
    assert changed.status_code == 200, changed.text
    assert changed.json()["amount"] == 3_500

    plan = plan_wait(
        gateway, plan_id, lambda p: p["installments_charged"] == 2, MONTH_S + 30, token=donor.access
    )
    assert plan["status"] == "active"
    plan_post(gateway, plan_id, "cancel", token=donor.access)
    pledges = plan_pledges(gateway, staff_token, campaign_id, plan_id)
    assert [(p["status"], p["amount"], p["refunded_amount"]) for p in pledges] == [
        ("REFUNDED", 3_000, 3_000),
        ("CAPTURED", 3_500, 0),
    ]
    expected = expected_totals(all_plan_campaign_pledges(gateway, staff_token, campaign_id))
    wait_until(lambda: totals_of(get_campaign(gateway, campaign_id)) == expected, timeout=10)
    campaign = get_campaign(gateway, campaign_id)
    assert (campaign["refunded_amount"], campaign["current_amount"]) == (3_000, 3_500)
    wait_until(lambda: len(mail_of(platform.mail, "refund", int(refund.json()["id"]))) == 1, 30)


# --- The donor's controls through the API -------------------------------------------------------


def test_a_guest_manages_a_plan_with_its_manage_token(
    gateway: str, staff_token: str, donor: Donor, plans_to_stop: list[int]
) -> None:
    campaign_id = campaign_id_of(gateway, staff_token)
    created = new_plan(gateway, campaign_id, 1_500)
    plan_id, token = int(created["id"]), str(created["manage_token"])
    plans_to_stop.append(plan_id)
    assert created["user_id"] is None
    assert created["first_installment"]["pledge"]["receipt_token"]
    assert "donor_email" not in created
    assert "manage_token_hash" not in created
    plan = plan_wait(gateway, plan_id, lambda p: p["status"] == "active", 30, manage=token)
    due = plan["next_charge_at"]

    # Who may open it: the token, staff; no credentials 401; a wrong token or another donor 404.
    assert_problem(requests.get(f"{gateway}/api/recurring/{plan_id}", timeout=10), 401)
    assert_problem(
        requests.get(f"{gateway}/api/recurring/{plan_id}", timeout=10, **access(manage="x" * 40)),
        404,
    )
    assert_problem(
        requests.get(f"{gateway}/api/recurring/{plan_id}", timeout=10, **access(donor.access)), 404
    )
    assert_problem(plan_post(gateway, plan_id, "pause", token=donor.access), 404)
    assert plan_get(gateway, plan_id, token=staff_token)["id"] == plan_id
    assert_problem(requests.get(f"{gateway}/api/recurring", timeout=10), 401)

    paused = plan_post(gateway, plan_id, "pause", manage=token)
    assert (paused.status_code, paused.json()["status"]) == (200, "paused"), paused.text
    again = plan_post(gateway, plan_id, "pause", manage=token)
    assert (again.status_code, again.json()["status"]) == (200, "paused")
    assert_problem(
        plan_post(gateway, plan_id, "pause", {"until": "2001-01-01T00:00:00Z"}, manage=token), 400
    )
    assert_problem(plan_post(gateway, plan_id, "pause", {"bogus": 1}, manage=token), 400)

    for bad in ({"amount": 0}, {"amount": "15"}, {"amount": 10**12}, {"amount": 100, "x": 1}, {}):
        assert_problem(plan_patch(gateway, plan_id, bad, manage=token), 400)
    changed = plan_patch(gateway, plan_id, {"amount": 4_321}, manage=token)
    assert (changed.status_code, changed.json()["amount"]) == (200, 4_321), changed.text

    resumed = plan_post(gateway, plan_id, "resume", manage=token)
    assert (resumed.status_code, resumed.json()["status"]) == (200, "active"), resumed.text
    assert timestamp_of(resumed.json()["next_charge_at"]) >= timestamp_of(due)
    again = plan_post(gateway, plan_id, "resume", manage=token)
    assert (again.status_code, again.json()["status"]) == (200, "active")

    canceled = plan_post(gateway, plan_id, "cancel", manage=token)
    assert canceled.status_code == 200, canceled.text
    assert (canceled.json()["status"], canceled.json()["cancel_reason"]) == ("canceled", "donor")
    again = plan_post(gateway, plan_id, "cancel", manage=token)
    assert (again.status_code, again.json()["cancel_reason"]) == (200, "donor")
    assert_problem(plan_post(gateway, plan_id, "pause", manage=token), 409)
    assert_problem(plan_post(gateway, plan_id, "resume", manage=token), 409)
    assert_problem(plan_patch(gateway, plan_id, {"amount": 2_000}, manage=token), 409)
    assert_problem(
        plan_post(
            gateway, plan_id, "payment-method", {"payment_method": "pm_card_visa"}, manage=token
        ),
        409,
    )


def test_a_signed_in_donor_manages_a_plan_and_a_pause_with_an_end_resumes_by_itself(
    gateway: str, staff_token: str, donor: Donor, plans_to_stop: list[int]
) -> None:
    campaign_id = campaign_id_of(gateway, staff_token)
    other = register_donor(gateway)
    created = new_plan(gateway, campaign_id, 2_000, token=donor.access, interval="year")
    plan_id = int(created["id"])
    plans_to_stop.append(plan_id)
    assert "manage_token" not in created
    plan_wait(gateway, plan_id, lambda p: p["status"] == "active", 30, token=donor.access)

    mine = requests.get(f"{gateway}/api/recurring", headers=bearer(donor.access), timeout=10)
    assert plan_id in {p["id"] for p in mine.json()["results"]}
    theirs = requests.get(f"{gateway}/api/recurring", headers=bearer(other.access), timeout=10)
    assert plan_id not in {p["id"] for p in theirs.json()["results"]}
    assert plan_id in {p["id"] for p in plans_of(gateway, staff_token, campaign_id)}
    assert_problem(plan_patch(gateway, plan_id, {"amount": 5}, token=other.access), 404)

    # A pause until 3 s from now (3 schedule days): it resumes by itself.
    until = (datetime.now(UTC) + timedelta(seconds=3)).isoformat().replace("+00:00", "Z")
    paused = plan_post(gateway, plan_id, "pause", {"until": until}, token=donor.access)
    assert paused.status_code == 200, paused.text
    assert paused.json()["status"] == "paused"
    assert paused.json()["paused_until"] is not None
    resumed = plan_wait(gateway, plan_id, lambda p: p["status"] == "active", 20, token=donor.access)
    assert resumed["paused_until"] is None
    assert timestamp_of(resumed["next_charge_at"]) > datetime.now(UTC)
    assert resumed["installments_charged"] == 1  # a yearly plan: nothing else fell due

    changed = plan_patch(gateway, plan_id, {"amount": 2_400}, token=donor.access)
    assert (changed.status_code, changed.json()["amount"]) == (200, 2_400)
    wait_until(
        lambda: get_campaign(gateway, campaign_id)["monthly_recurring_amount"] == 200, timeout=10
    )
    by_staff = plan_post(gateway, plan_id, "cancel", token=staff_token)
    assert by_staff.status_code == 200, by_staff.text
    assert by_staff.json()["cancel_reason"] == "staff"
