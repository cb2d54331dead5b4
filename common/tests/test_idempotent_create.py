"""The one idempotent-create runner (careforall_common.idempotency), against the real database."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import IntegrityError, OperationalError, connection, transaction

from careforall_common.db_errors import DEADLOCK, LOCK_WAIT_TIMEOUT, error_code, is_contention
from careforall_common.idempotency import (
    Outcome,
    idempotency_request,
    idempotent_create,
    record_find,
    record_insert,
    replay_or_raise,
)
from careforall_common.problems import Problem
from tests.records.models import Thing, ThingRecord

pytestmark = pytest.mark.django_db(transaction=True)


def _request(key: str = "k-1", body: dict[str, Any] | None = None) -> Any:
    return idempotency_request(key=key, scope="user:1", body=body or {"name": "a"})


def _create(idempotency: Any, name: str = "a") -> tuple[ThingRecord, bool]:
    @transaction.atomic(durable=True)
    def insert() -> ThingRecord:
        thing = Thing.objects.create(name=name)
        return record_insert(
            ThingRecord, idempotency=idempotency, body={"id": thing.pk}, thing=thing
        )

    return idempotent_create(
        insert=insert,
        find=lambda: record_find(ThingRecord, idempotency=idempotency, related="thing"),
    )


def test_the_first_request_creates_and_a_repeat_replays_it() -> None:
    first, replayed = _create(_request())
    again, replayed_again = _create(_request())

    assert (replayed, replayed_again) == (False, True)
    assert again.pk == first.pk
    assert again.thing_id == first.thing_id
    assert Thing.objects.count() == 1
    outcome = Outcome.of(again, replayed=True)
    assert (outcome.status, outcome.body, outcome.replayed) == (201, {"id": first.thing_id}, True)


def test_the_same_key_with_another_body_is_422_and_writes_nothing() -> None:
    _create(_request())
    with pytest.raises(Problem) as refused:
        _create(_request(body={"name": "b"}), name="b")
    assert refused.value.status_code == 422
    assert Thing.objects.count() == 1


def test_concurrent_repeats_make_one_thing() -> None:
    results: list[Any] = []

    def run() -> None:
        try:
            results.append(_create(_request()))
        except Problem as problem:  # 409 "in progress" is allowed, a second thing is not
            results.append(problem.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert Thing.objects.count() == 1
    made = [result for result in results if isinstance(result, tuple)]
    assert sum(1 for _, replayed in made if not replayed) == 1
    assert all(result == 409 for result in results if not isinstance(result, tuple))


def test_a_deadlock_is_retried_and_a_lock_wait_is_409() -> None:
    calls: list[int] = []
    idempotency = _request()

    def deadlocked_once() -> ThingRecord:
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError(DEADLOCK, "Deadlock found")
        return _create(idempotency)[0]

    record, replayed = idempotent_create(insert=deadlocked_once, find=lambda: None)
    assert len(calls) == 2
    assert not replayed
    assert record.pk

    def lock_wait() -> ThingRecord:
        raise OperationalError(LOCK_WAIT_TIMEOUT, "Lock wait timeout exceeded")

    with pytest.raises(Problem) as busy:
        idempotent_create(insert=lock_wait, find=lambda: None)
    assert busy.value.status_code == 409


def test_a_duplicate_of_another_unique_index_is_the_conflicts_refusal() -> None:
    def duplicate() -> ThingRecord:
        raise IntegrityError(1062, "Duplicate entry for key 'pledge_id'")

    def conflict() -> None:
        raise Problem(409, "This pledge has a payment already.", payment_id=3)

    with pytest.raises(Problem) as refused:
        idempotent_create(insert=duplicate, find=lambda: None, conflict=conflict)
    assert refused.value.status_code == 409


def test_other_database_errors_are_not_swallowed() -> None:
    def broken() -> ThingRecord:
        raise IntegrityError(1452, "a foreign key fails")

    with pytest.raises(IntegrityError):
        idempotent_create(insert=broken, find=lambda: None)
    assert error_code(IntegrityError(1452, "x")) == 1452
    assert error_code(IntegrityError("no code")) is None
    assert is_contention(OperationalError(DEADLOCK, "x"))
    assert not is_contention(OperationalError(2006, "gone away"))


def test_look_first_replays_without_inserting() -> None:
    first, _ = _create(_request())

    def insert() -> ThingRecord:
        raise AssertionError("a replay must not insert")

    record, replayed = idempotent_create(
        insert=insert,
        find=lambda: record_find(ThingRecord, idempotency=_request(), related="thing"),
        look_first=True,
    )
    assert replayed
    assert record.pk == first.pk


def test_a_refusal_replays_an_earlier_answer_or_is_raised() -> None:
    refusal = Problem(409, "This campaign is not taking pledges.")
    with pytest.raises(Problem):
        replay_or_raise(lambda: None, refusal)
    first, _ = _create(_request())
    outcome = replay_or_raise(
        lambda: record_find(ThingRecord, idempotency=_request(), related="thing"), refusal
    )
    assert outcome.replayed
    assert outcome.record.pk == first.pk
    assert outcome.status == 201
