"""SPEC §5.1: any number of identical concurrent requests with one key make one pledge.

Committed transactions, real connections: one thread per request, each with its own client and
its own database connection, all released at once.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any

import pytest
from django.db import connection, transaction
from rest_framework.test import APIClient

from careforall_common.idempotency import IdempotencyRequest
from careforall_common.outbox.models import OutboxEvent
from careforall_common.testing import concurrency
from pledges.models import CampaignHold, IdempotencyRecord, Pledge
from pledges.tests.factories import GUEST_BODY, SIGNED_IN_BODY, pledge_post

pytestmark = pytest.mark.django_db(transaction=True)

REQUESTS = 50


def race(make_client: Callable[[], APIClient], bodies: list[dict[str, Any]]) -> list[Any]:
    """POST each body with key ``race-key``, each from its own thread and client, all at once."""

    def post(body: dict[str, Any]) -> Any:
        return pledge_post(make_client(), body, key="race-key")

    return concurrency.race([partial(post, body) for body in bodies])


def signed_in(make_token: Callable[..., str]) -> Callable[[], APIClient]:
    token = make_token(user_id=2)

    def make() -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        return client

    return make


def test_fifty_identical_concurrent_requests_make_one_pledge(
    make_token: Callable[..., str], active_campaign: int
) -> None:
    answers = race(signed_in(make_token), [SIGNED_IN_BODY] * REQUESTS)

    assert Counter(answer.status_code for answer in answers) == {201: REQUESTS}
    replayed = [answer.get("Idempotent-Replayed") for answer in answers]
    assert Counter(replayed) == {None: 1, "true": REQUESTS - 1}
    assert len({answer.content for answer in answers}) == 1
    pledge = Pledge.objects.get()
    assert answers[0].json()["id"] == pledge.pk
    assert IdempotencyRecord.objects.get().pledge_id == pledge.pk
    event = OutboxEvent.objects.get()
    assert (event.event_type, event.aggregate_id) == ("PLEDGE_CREATED", pledge.pk)


def test_fifty_concurrent_guest_requests_share_one_receipt_token(active_campaign: int) -> None:
    answers = race(APIClient, [GUEST_BODY] * REQUESTS)

    assert Counter(answer.status_code for answer in answers) == {201: REQUESTS}
    assert len({answer.json()["receipt_token"] for answer in answers}) == 1
    assert (Pledge.objects.count(), IdempotencyRecord.objects.count()) == (1, 1)
    assert OutboxEvent.objects.count() == 1


def test_concurrent_requests_with_one_key_and_two_bodies_make_one_pledge(
    make_token: Callable[..., str], active_campaign: int
) -> None:
    bodies = [SIGNED_IN_BODY, {**SIGNED_IN_BODY, "amount": 1}] * (REQUESTS // 2)

    answers = race(signed_in(make_token), bodies)

    pledge = Pledge.objects.get()
    winner = {**SIGNED_IN_BODY, "amount": pledge.amount}
    for body, answer in zip(bodies, answers, strict=True):
        assert answer.status_code == (201 if body == winner else 422)
    assert (IdempotencyRecord.objects.count(), OutboxEvent.objects.count()) == (1, 1)


class Rollback(Exception):
    pass


@contextmanager
def key_held(key: str) -> Iterator[threading.Event]:
    """Hold ``key`` of user 2 in an open transaction, as a first request would, in its own thread.

    Yields the event that makes the holder roll back; rolls back at the latest on exit.
    """
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        try:
            with transaction.atomic():
                pledge = Pledge.objects.create(
                    campaign_id=7,
                    user_id=2,
                    donor_name="-",
                    donor_email="-",
                    amount=1,
                    currency="usd",
                )
                IdempotencyRecord.objects.create(
                    scope="user:2",
                    key=key,
                    scoped_key_hash=IdempotencyRequest("user:2", key, "").scoped_key_hash,
                    fingerprint="-",
                    pledge=pledge,
                    response_status=201,
                    response_body={},
                )
                holding.set()
                release.wait(timeout=30)
                raise Rollback
        except Rollback:
            pass
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert holding.wait(timeout=10)
        yield release
    finally:
        release.set()
        holder.join()


def record_inserts_waiting() -> int:
    """How many connections are inside an insert of an idempotency record (blocked on the key)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*) FROM information_schema.PROCESSLIST"
            " WHERE db = DATABASE() AND info LIKE 'INSERT INTO `pledges_idempotencyrecord`%%'"
        )
        return int(cursor.fetchone()[0])


def test_when_the_first_request_rolls_back_one_waiter_makes_the_pledge(
    make_token: Callable[..., str], active_campaign: int, caplog: Any
) -> None:
    # Once the holder rolls back, every waiter holds a shared lock on the key and wants it
    # exclusively: MariaDB picks deadlock victims, which retry and replay the survivor's answer.
    caplog.set_level(logging.INFO, logger="pledges.services")
    waiters = 10
    answers: list[Any] = []
    with key_held("race-key") as release:
        racer = threading.Thread(
            target=lambda: answers.extend(race(signed_in(make_token), [SIGNED_IN_BODY] * waiters))
        )
        racer.start()
        try:
            deadline = time.monotonic() + 10
            while record_inserts_waiting() < waiters and time.monotonic() < deadline:
                time.sleep(0.01)
            assert record_inserts_waiting() == waiters
        finally:
            release.set()
            racer.join()

    assert Counter(answer.status_code for answer in answers) == {201: waiters}
    assert Counter(answer.get("Idempotent-Replayed") for answer in answers) == {
        None: 1,
        "true": waiters - 1,
    }
    assert Pledge.objects.get().amount == 2_500
    assert (IdempotencyRecord.objects.count(), OutboxEvent.objects.count()) == (1, 1)
    assert any("deadlock" in record.getMessage() for record in caplog.records)


def test_a_repeat_that_waits_too_long_for_the_first_is_409_and_writes_nothing(
    donor_client: Any, active_campaign: int
) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SET SESSION innodb_lock_wait_timeout = 1")
    try:
        with key_held("slow-key"):
            response = pledge_post(donor_client, SIGNED_IN_BODY, key="slow-key")
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET SESSION innodb_lock_wait_timeout = DEFAULT")

    assert response.status_code == 409
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["detail"] == (
        "A request with this Idempotency-Key is in progress; retry shortly."
    )
    assert (Pledge.objects.count(), IdempotencyRecord.objects.count()) == (0, 0)
    assert OutboxEvent.objects.count() == 0


def round_trips(queries: Any) -> list[list[str]]:
    """The statements of each round trip: an INSERT or a SELECT by its table, the others by
    their words. A statement that failed (the duplicate key) is logged without its SQL."""
    return [
        [_kind(statement) for statement in re.split(r"; (?=[A-Z])", str(query["sql"]))]
        for query in queries.captured_queries
    ]


def _kind(statement: str) -> str:
    words = statement.split()
    if words[0] not in ("INSERT", "SELECT"):
        return statement
    table = words[2] if words[0] == "INSERT" else words[words.index("FROM") + 1]
    return f"{words[0]} {table.strip('`')}"


# One transaction, three round trips (careforall_common.rows.create_transaction): the BEGIN with
# the pledge's INSERT; the record's INSERT, the campaign-hold check (pledges.holds: one indexed
# point read) and the event's INSERT; the COMMIT.
CREATE = [
    ["START TRANSACTION", f"INSERT {Pledge._meta.db_table}"],
    [
        f"INSERT {IdempotencyRecord._meta.db_table}",
        f"SELECT {CampaignHold._meta.db_table}",
        f"INSERT {OutboxEvent._meta.db_table}",
    ],
    ["COMMIT"],
]


def test_a_create_is_three_inserts_and_a_replay_one_failed_insert_and_a_select(
    donor_client: Any, active_campaign: int, django_assert_num_queries: Any
) -> None:
    pledge_post(donor_client, SIGNED_IN_BODY, key="warm-up")  # facts now in memory

    with django_assert_num_queries(3) as created:
        assert pledge_post(donor_client, SIGNED_IN_BODY, key="measured").status_code == 201
    with django_assert_num_queries(4) as replayed:
        assert pledge_post(donor_client, SIGNED_IN_BODY, key="measured").status_code == 201

    assert round_trips(created) == CREATE
    assert round_trips(replayed) == [
        CREATE[0],
        ["None"],
        ["ROLLBACK"],
        [f"SELECT {IdempotencyRecord._meta.db_table}"],
    ]


def test_a_guest_create_is_three_inserts_too(
    guest_client: Any, active_campaign: int, django_assert_num_queries: Any
) -> None:
    pledge_post(guest_client, GUEST_BODY, key="warm-up")

    with django_assert_num_queries(3) as created:
        assert pledge_post(guest_client, GUEST_BODY, key="measured").status_code == 201

    assert round_trips(created) == CREATE
