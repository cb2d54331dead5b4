"""Appends through the projector (SPEC §3, §5.13): each capture, refund and failed refund
becomes one entry, once, whatever the repeats and the order, in the projector's transaction."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from campaigns.tests.factories import campaign_make
from careforall_common.outbox.models import OutboxEvent
from transparency import tree
from transparency.models import DeferredRefund, LogEntry, TransparencyLog
from transparency.nodes import DatabaseNodeStore
from transparency.tests.gifts import capture, refund, refund_failure, salt

pytestmark = pytest.mark.django_db

Deliver = Callable[..., list[str]]


def entries(campaign_id: int) -> list[tuple[str, int, int | None]]:
    rows = LogEntry.objects.filter(campaign_id=campaign_id).order_by("index")
    return [(row.kind, row.amount, row.refers_to) for row in rows]


def again(event: dict[str, Any]) -> dict[str, Any]:
    """The same event under another event id: a repeat the inbox cannot recognise."""
    return {**event, "event_id": str(uuid.uuid4())}


def assert_tree_matches(campaign_id: int) -> None:
    """The stored tree is the tree of the served entries, and the head says so."""
    served = [
        e.served() for e in LogEntry.objects.filter(campaign_id=campaign_id).order_by("index")
    ]
    memory = tree.MemoryNodeStore()
    for size, entry in enumerate(served):
        tree.tree_append(memory, size, entry)
    log = TransparencyLog.objects.get(pk=campaign_id)
    assert [e["index"] for e in served] == list(range(log.size))
    expected = tree.tree_root(memory, log.size)
    assert tree.tree_root(DatabaseNodeStore(campaign_id), log.size) == expected
    assert expected.sum == log.total


def test_captures_and_refunds_are_logged_once_with_the_capture_commitment(
    deliver: Deliver,
) -> None:
    campaign = campaign_make()
    first, second = capture(campaign, 11, 2_500), capture(campaign, 12, 1_000)
    assert deliver(first, second, first, again(second)) == [
        "processed",
        "processed",
        "duplicate",
        "processed",
    ]
    partial = refund(campaign, 12, refund_id=5, amount=400)
    deliver(partial, again(partial))

    assert entries(campaign.pk) == [
        ("capture", 2_500, None),
        ("capture", 1_000, None),
        ("refund", -400, 1),
    ]
    rows = list(LogEntry.objects.filter(campaign_id=campaign.pk).order_by("index"))
    assert rows[0].commitment == tree.commitment(salt(11), 11)
    assert rows[2].commitment == rows[1].commitment
    assert rows[0].occurred_at == "2025-03-01T12:05:00.000000Z"
    assert set(rows[0].served()) == tree.ENTRY_KEYS
    assert_tree_matches(campaign.pk)
    assert TransparencyLog.objects.get(pk=campaign.pk).checkpoint_due


def test_each_capture_entry_tells_payment_service_its_index(deliver: Deliver) -> None:
    campaign = campaign_make()
    deliver(capture(campaign, 21), capture(campaign, 22))
    sent = OutboxEvent.objects.filter(event_type="CAPTURE_LOGGED").order_by("aggregate_id")
    assert [(row.destination, row.payload) for row in sent] == [
        ("payment", {"payment_id": 21, "campaign_id": campaign.pk, "index": 0}),
        ("payment", {"payment_id": 22, "campaign_id": campaign.pk, "index": 1}),
    ]


def test_a_refund_before_its_capture_waits_and_follows_it(deliver: Deliver) -> None:
    campaign = campaign_make()
    deliver(capture(campaign, 30))
    early = refund(campaign, 31, refund_id=7, amount=300)
    deliver(early)
    assert entries(campaign.pk) == [("capture", 1_000, None)]
    assert DeferredRefund.objects.filter(pk=7).exists()

    deliver(again(early), capture(campaign, 31, 800))

    assert entries(campaign.pk) == [
        ("capture", 1_000, None),
        ("capture", 800, None),
        ("refund", -300, 1),
    ]
    assert not DeferredRefund.objects.exists()
    assert_tree_matches(campaign.pk)


def test_a_refund_and_its_capture_in_one_batch_in_either_order(deliver: Deliver) -> None:
    campaign = campaign_make()
    deliver(refund(campaign, 40, refund_id=8, amount=100), capture(campaign, 40))
    deliver(capture(campaign, 41), refund(campaign, 41, refund_id=9, amount=200))
    assert entries(campaign.pk) == [
        ("capture", 1_000, None),
        ("refund", -100, 0),
        ("capture", 1_000, None),
        ("refund", -200, 2),
    ]
    assert_tree_matches(campaign.pk)


def test_a_failed_refund_is_reversed_by_a_new_entry_once(deliver: Deliver) -> None:
    campaign = campaign_make()
    deliver(capture(campaign, 50), refund(campaign, 50, refund_id=10, amount=400))
    failure = refund_failure(campaign, 50, refund_id=10, amount=400)
    deliver(failure, again(failure))
    assert entries(campaign.pk) == [
        ("capture", 1_000, None),
        ("refund", -400, 0),
        ("refund_reversal", 400, 1),
    ]
    assert TransparencyLog.objects.get(pk=campaign.pk).total == 1_000
    assert_tree_matches(campaign.pk)


def test_a_refund_failed_before_its_capture_was_logged_is_never_logged(deliver: Deliver) -> None:
    campaign = campaign_make()
    deliver(refund(campaign, 60, refund_id=11, amount=400))
    deliver(refund_failure(campaign, 60, refund_id=11, amount=400))
    deliver(capture(campaign, 60))
    assert entries(campaign.pk) == [("capture", 1_000, None)]
    assert not DeferredRefund.objects.exists()


def test_a_capture_without_a_commitment_is_not_logged(deliver: Deliver) -> None:
    campaign = campaign_make()
    deliver(capture(campaign, 70, commitment=False), refund(campaign, 70, refund_id=12, amount=1))
    assert entries(campaign.pk) == []
    assert DeferredRefund.objects.filter(pk=12).exists()  # reconcile reports both
    assert not TransparencyLog.objects.exists()


def test_many_entries_in_one_batch_make_the_same_tree(deliver: Deliver) -> None:
    campaign = campaign_make()
    events = [capture(campaign, 100 + n, 100 + n) for n in range(37)]
    deliver(*events[:20])
    deliver(*events[20:], refund(campaign, 105, refund_id=13, amount=5))
    assert len(entries(campaign.pk)) == 38
    assert_tree_matches(campaign.pk)
