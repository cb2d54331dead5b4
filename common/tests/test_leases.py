"""One lease/claim helper (careforall_common.leases): exactly one claimant wins a row."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from careforall_common.leases import (
    Lease,
    claim_if_unchanged,
    lease_claim_one,
    lease_free_q,
    lease_release,
    lease_take,
)
from tests.records.models import Thing

pytestmark = pytest.mark.django_db(transaction=True)


def test_one_of_many_concurrent_claimants_wins_a_row() -> None:
    thing = Thing.objects.create(name="due")
    wins: list[bool] = []

    def claim() -> None:
        wins.append(lease_claim_one(Thing.objects.all(), pk=thing.pk, lease=Lease.new(30)))
        connection.close()

    threads = [threading.Thread(target=claim) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wins.count(True) == 1


def test_a_lease_that_ran_out_can_be_taken_again() -> None:
    thing = Thing.objects.create(name="due")
    assert lease_claim_one(Thing.objects.all(), pk=thing.pk, lease=Lease.new(30))
    assert not lease_claim_one(Thing.objects.all(), pk=thing.pk, lease=Lease.new(30))
    Thing.objects.filter(pk=thing.pk).update(lease_until=timezone.now() - timedelta(seconds=1))
    assert Thing.objects.filter(lease_free_q()).count() == 1
    assert lease_claim_one(Thing.objects.all(), pk=thing.pk, lease=Lease.new(30))


def test_only_the_holder_records_its_work() -> None:
    thing = Thing.objects.create(name="due")
    mine, theirs = Lease.new(30), Lease.new(30)
    assert lease_take(Thing.objects.filter(pk=thing.pk), lease=mine) == 1
    assert lease_release(Thing.objects.filter(pk=thing.pk), token=theirs.token, name="x") == 0
    assert lease_release(Thing.objects.filter(pk=thing.pk), token=mine.token, name="done") == 1
    thing.refresh_from_db()
    assert (thing.name, thing.lease_until, thing.lease_token) == ("done", None, None)


def test_an_optimistic_claim_moves_the_value_once() -> None:
    thing = Thing.objects.create(name="due", due_at=5)
    assert claim_if_unchanged(Thing.objects.all(), pk=thing.pk, field="due_at", expected=5, new=9)
    assert not claim_if_unchanged(
        Thing.objects.all(), pk=thing.pk, field="due_at", expected=5, new=12
    )
