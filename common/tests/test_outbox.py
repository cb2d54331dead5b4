"""The outbox and the inbox (SPEC §4), with a real consumer: this project's live server."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from careforall_common import signing
from careforall_common.inbox.apis import apply_event
from careforall_common.inbox.models import ProcessedEvent
from careforall_common.outbox import relay
from careforall_common.outbox.models import OutboxEvent, OutboxStatus
from careforall_common.outbox.schedules import WhenOutboxDue
from careforall_common.outbox.services import outbox_write
from tests import handlers

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def consumer(live_server: Any, settings: Any) -> Any:
    """Route the test events to this project's own ingestion view."""
    handlers.applied.clear()
    settings.CAREFORALL = {
        **settings.CAREFORALL,
        "SERVICE_URLS": {"sink": live_server.url, "sink2": live_server.url},
    }
    return live_server


@pytest.fixture(autouse=True)
def broker() -> Any:
    """The real Redis broker; the test queue is emptied before and after."""
    import redis
    from django.conf import settings

    client = redis.Redis.from_url(settings.REDIS_URL)
    keys = ("common-tests", "careforall:outbox-wake:common")
    client.delete(*keys)
    yield client
    client.delete(*keys)


def test_a_commit_wakes_the_relay_once_through_the_broker(broker: Any, settings: Any) -> None:
    # A window wide enough that the second commit falls in it on a loaded machine too.
    settings.CAREFORALL = {**settings.CAREFORALL, "OUTBOX_WAKE_DEBOUNCE_MS": 5000}
    write(1, step=0)
    write(1, step=1)  # within the debounce window: no second task

    # The wake-up is sent by a thread of its own after the commit, not by the request.
    deadline = time.monotonic() + 10
    while broker.llen("common-tests") == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.2)
    assert broker.llen("common-tests") == 1
    task = json.loads(broker.lindex("common-tests", 0))
    assert task["headers"]["task"] == "careforall.outbox_relay"


def write(aggregate_id: int, **payload: Any) -> None:
    with transaction.atomic():
        outbox_write(
            event_type="THING_HAPPENED",
            aggregate_type="thing",
            aggregate_id=aggregate_id,
            payload=payload,
        )


def test_outbox_write_needs_the_transaction_of_the_change() -> None:
    with pytest.raises(RuntimeError):
        outbox_write(event_type="THING_HAPPENED", aggregate_type="t", aggregate_id=1, payload={})

    assert OutboxEvent.objects.count() == 0


def test_a_rolled_back_change_leaves_no_event() -> None:
    def change_then_fail() -> None:
        with transaction.atomic():
            outbox_write(
                event_type="THING_HAPPENED", aggregate_type="t", aggregate_id=1, payload={}
            )
            raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        change_then_fail()

    assert OutboxEvent.objects.count() == 0


def test_one_row_per_consumer() -> None:
    with transaction.atomic():
        outbox_write(event_type="THING_CHANGED", aggregate_type="t", aggregate_id=1, payload={})

    rows = OutboxEvent.objects.order_by("destination")
    assert [row.destination for row in rows] == ["sink", "sink2"]
    assert rows[0].event_id == rows[1].event_id


def test_relay_delivers_each_event_once_in_order_per_aggregate() -> None:
    for step in range(3):
        write(1, step=step)
        write(2, step=step)

    sent = relay.relay_due_events()

    assert sent == 6
    assert set(OutboxEvent.objects.values_list("status", flat=True)) == {OutboxStatus.SENT}
    for aggregate in (1, 2):
        steps = [e["payload"]["step"] for e in handlers.applied if e["aggregate_id"] == aggregate]
        assert steps == [0, 1, 2]
    assert ProcessedEvent.objects.count() == 6
    envelope = handlers.applied[0]
    assert set(envelope) == {
        "event_id",
        "event_type",
        "event_version",
        "occurred_at",
        "source",
        "aggregate_id",
        "request_id",
        "payload",
    }


def test_a_redelivered_event_is_applied_once() -> None:
    write(1, step=0)
    relay.relay_due_events()
    envelope = OutboxEvent.objects.get().envelope()

    again = apply_event(json.loads(json.dumps(envelope)))

    assert again["status"] == "duplicate"
    assert len(handlers.applied) == 1


def test_consumer_down_backs_off_and_holds_the_aggregate(settings: Any) -> None:
    settings.CAREFORALL = {**settings.CAREFORALL, "SERVICE_URLS": {"sink": "http://127.0.0.1:9"}}
    write(1, step=0)
    write(1, step=1)

    relay.relay_due_events()

    first, second = OutboxEvent.objects.order_by("id")
    assert first.status == OutboxStatus.PENDING
    assert first.attempts == 1
    assert first.next_attempt_at > timezone.now()
    assert "unreachable" in first.last_error
    assert second.attempts == 0  # never sent before the first one
    assert handlers.applied == []


def test_backoff_grows_exponentially_with_jitter_and_is_capped(settings: Any) -> None:
    delays = [relay.backoff(n) for n in range(1, 12)]

    assert 0.4 <= delays[0] <= 0.6
    assert 0.8 * 8 <= delays[4] <= 1.2 * 8
    assert max(delays) <= 1.2 * settings.CAREFORALL.get("OUTBOX_BACKOFF_CAP", 300.0)


def test_a_failing_consumer_is_retried_for_as_long_as_it_fails_never_parked() -> None:
    write(1, explode=True)
    for _ in range(30):  # far past the 20 attempts after which rows used to be parked
        OutboxEvent.objects.update(next_attempt_at=timezone.now())
        relay.relay_due_events()

    row = OutboxEvent.objects.get()
    assert row.status == OutboxStatus.PENDING
    assert row.attempts == 30
    assert row.last_error == "RuntimeError"
    assert row.next_attempt_at > timezone.now()


def test_an_unreachable_consumer_is_retried_for_as_long_as_it_is_down(settings: Any) -> None:
    settings.CAREFORALL = {**settings.CAREFORALL, "SERVICE_URLS": {"sink": "http://127.0.0.1:9"}}
    write(1, step=0)
    OutboxEvent.objects.update(attempts=10_000)  # days of outage

    relay.relay_due_events()

    row = OutboxEvent.objects.get()
    assert (row.status, row.attempts) == (OutboxStatus.PENDING, 10_001)
    delay = (row.next_attempt_at - timezone.now()).total_seconds()
    assert 0 < delay <= 1.2 * settings.CAREFORALL.get("OUTBOX_BACKOFF_CAP", 300.0)


def test_a_dead_letter_can_be_replayed_once_fixed() -> None:
    write(1, poison=True)
    relay.relay_due_events()
    row = OutboxEvent.objects.get()
    assert row.status == OutboxStatus.DEAD

    OutboxEvent.objects.filter(pk=row.pk).update(payload={"fixed": True})
    assert relay.outbox_replay(ids=[row.pk]) == 1
    relay.relay_due_events()

    assert OutboxEvent.objects.get().status == OutboxStatus.SENT
    assert len(handlers.applied) == 1


def test_an_event_type_the_consumer_has_no_handler_for_is_parked() -> None:
    with transaction.atomic():
        outbox_write(event_type="THING_CHANGED", aggregate_type="thing", aggregate_id=1, payload={})

    relay.relay_due_events()

    rows = OutboxEvent.objects.all()
    assert {row.status for row in rows} == {OutboxStatus.DEAD}
    assert all("no handler for THING_CHANGED" in row.last_error for row in rows)


def test_a_rejected_event_is_parked_at_once() -> None:
    write(1, poison=True)

    relay.relay_due_events()

    row = OutboxEvent.objects.get()
    assert row.status == OutboxStatus.DEAD
    assert row.attempts == 0
    assert "poison" in row.last_error


def test_a_crashed_relay_loses_its_lease_and_the_rows_go_again() -> None:
    write(1, step=0)
    token, claimed = relay.claim_batch()  # this relay "dies" here
    assert len(claimed) == 1
    assert relay.claim_batch()[1] == []  # leased: nobody else takes it

    OutboxEvent.objects.update(lease_until=timezone.now() - timedelta(seconds=1))
    sent = relay.relay_due_events()

    assert sent == 1
    assert relay.record(token, claimed, {}, "too late") == 0  # the stale lease writes nothing
    assert OutboxEvent.objects.get().status == OutboxStatus.SENT


def test_two_relays_at_once_deliver_everything_once_in_order() -> None:
    for step in range(10):
        for aggregate in range(1, 21):
            write(aggregate, step=step)
    barrier = threading.Barrier(2)

    def run() -> None:
        barrier.wait()
        relay.relay_due_events()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert OutboxEvent.objects.filter(status=OutboxStatus.SENT).count() == 200
    counts = Counter(e["event_id"] for e in handlers.applied)
    assert len(counts) == 200
    assert set(counts.values()) == {1}
    for aggregate in range(1, 21):
        steps = [e["payload"]["step"] for e in handlers.applied if e["aggregate_id"] == aggregate]
        assert steps == list(range(10))


def test_unsigned_or_wrongly_signed_batches_change_nothing(consumer: Any) -> None:
    import requests

    body = json.dumps(
        {
            "events": [
                {
                    "event_id": "6f1c1a8e-1f40-4a55-9d36-0f3b6f8f2a11",
                    "event_type": "THING_HAPPENED",
                    "payload": {},
                    "aggregate_id": 1,
                }
            ]
        }
    ).encode()
    url = f"{consumer.url}/internal/events"
    unsigned = requests.post(url, data=body, timeout=5)
    wrong = requests.post(
        url, data=body, timeout=5, headers={signing.HEADER: signing.sign(body, secret="nope")}
    )
    stale = requests.post(
        url,
        data=body,
        timeout=5,
        headers={
            signing.HEADER: signing.sign(
                body, secret="careforall-internal-development-only", timestamp=1
            )
        },
    )

    assert unsigned.status_code == wrong.status_code == stale.status_code == 403
    assert unsigned.headers["Content-Type"] == "application/problem+json"
    assert ProcessedEvent.objects.count() == 0
    assert handlers.applied == []


def test_sent_rows_are_pruned_after_retention_and_pending_ones_never() -> None:
    write(1, step=0)
    relay.relay_due_events()
    write(2, explode=True)
    relay.relay_due_events()
    OutboxEvent.objects.update(sent_at=timezone.now() - timedelta(days=30))

    assert relay.outbox_prune() == 1
    assert OutboxEvent.objects.get().aggregate_id == 2


def test_the_beat_sweep_is_sent_only_while_a_row_is_due() -> None:
    sweep = WhenOutboxDue(1.0)
    long_ago = timezone.now() - timedelta(minutes=1)

    assert sweep.is_due(long_ago).is_due is False  # an empty outbox: no task at all
    write(1, step=0)
    assert sweep.is_due(long_ago).is_due is True
    relay.relay_due_events()
    assert sweep.is_due(long_ago).is_due is False  # delivered: quiet again
    write(2, step=0)
    OutboxEvent.objects.update(next_attempt_at=timezone.now() + timedelta(minutes=5))
    assert sweep.is_due(long_ago).is_due is False  # backing off: not due yet
