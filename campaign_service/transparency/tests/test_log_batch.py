"""A batch's appends over many campaigns at once: each log grows as it would alone, its proofs
hold, and the batch costs one statement per table, whatever the number of its campaigns."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from campaigns.projector import rows as projector_rows
from campaigns.tests.factories import campaign_make
from careforall_common.outbox.models import OutboxEvent
from transparency import tree
from transparency.appends import CaptureApplied, log_append
from transparency.models import DeferredRefund, LogEntry, TransparencyLog
from transparency.nodes import DatabaseNodeStore
from transparency.tests.gifts import capture, refund, refund_failure, salt
from transparency.tests.test_log import assert_tree_matches, entries
from transparency.verify import consistency_verify, inclusion_verify

pytestmark = pytest.mark.django_db

Deliver = Callable[..., list[str]]


def test_one_batch_over_logs_of_every_size_grows_each_as_alone(deliver: Deliver) -> None:
    campaigns = [campaign_make() for _ in range(4)]
    sizes = [0, 1, 3, 6]  # odd and even heads: the appends build on the stored subtrees
    payment = 1_000
    for campaign, size in zip(campaigns, sizes, strict=True):
        events = [capture(campaign, payment + n, 100 + n) for n in range(size)]
        payment += 100
        if events:
            deliver(*events)
    a, b, c, d = campaigns
    deliver(
        refund(d, 4_000, refund_id=91, amount=50),  # waits for its capture, later in the batch
        capture(a, 3_000, 700),
        capture(b, 1_100),  # a repeat under another event id: logged already
        refund(c, 3_500, refund_id=92, amount=10),  # its capture is not logged: it waits
        capture(c, 3_600, 300),
        capture(d, 4_000, 900),
        refund(b, 3_700, refund_id=93, amount=5),  # its capture never comes: it waits
        capture(a, 3_001, 400),
        refund_failure(c, 3_500, refund_id=92, amount=10),  # still waiting: it leaves the queue
        capture(b, 3_800, 200),
        refund(a, 3_000, refund_id=94, amount=70),
    )

    assert entries(a.pk) == [
        ("capture", 700, None),
        ("capture", 400, None),
        ("refund", -70, 0),
    ]
    assert entries(b.pk) == [("capture", 100, None), ("capture", 200, None)]
    assert entries(c.pk)[3:] == [("capture", 300, None)]
    assert entries(d.pk)[6:] == [("capture", 900, None), ("refund", -50, 6)]
    assert set(DeferredRefund.objects.values_list("pk", flat=True)) == {93}
    for campaign, old_size in zip(campaigns, sizes, strict=True):
        assert_tree_matches(campaign.pk)
        _assert_proofs(campaign.pk, old_size)
    sent = OutboxEvent.objects.filter(event_type="CAPTURE_LOGGED")
    assert sorted((row.payload["campaign_id"], row.payload["index"]) for row in sent) == sorted(
        [(a.pk, 0), (a.pk, 1), (b.pk, 0), (b.pk, 1)]
        + [(c.pk, n) for n in range(4)]
        + [(d.pk, n) for n in range(7)]
    )


def _assert_proofs(campaign_id: int, old_size: int) -> None:
    """Every entry's inclusion proof, and the consistency proof from the size before, hold."""
    store, size = DatabaseNodeStore(campaign_id), TransparencyLog.objects.get(pk=campaign_id).size
    root = tree.tree_root(store, size)
    served = [e.served() for e in LogEntry.objects.filter(campaign_id=campaign_id)]
    for entry in served:
        index = int(entry["index"])  # type: ignore[call-overload]
        path = tree.inclusion_proof(store, index, size)
        leaf = tree.leaf_node(entry)
        assert inclusion_verify(index=index, tree_size=size, leaf=leaf, path=path, root=root)
    if old_size:
        old_root = tree.tree_root(store, old_size)
        path = tree.consistency_proof(store, old_size, size)
        assert consistency_verify(
            old_size=old_size, new_size=size, old_root=old_root, new_root=root, path=path
        )


def _captures(campaign_ids: list[int], first: int, count: int) -> list[CaptureApplied]:
    moment = datetime(2025, 3, 1, 12, tzinfo=UTC)
    return [
        CaptureApplied(
            campaign_id=campaign_ids[n % len(campaign_ids)],
            payment_id=first + n,
            amount=1_000,
            currency="usd",
            occurred_at=moment,
            commitment=tree.commitment(salt(first + n), first + n),
        )
        for n in range(count)
    ]


def _statements(items: list[CaptureApplied]) -> list[str]:
    """The statements ``log_append`` runs for ``items``, under the projector's campaign locks."""
    with transaction.atomic():
        projector_rows.campaigns_lock(sorted({item.campaign_id for item in items}))
        with CaptureQueriesContext(connection) as queries:
            log_append(items)
    return [query["sql"].split()[0].upper() for query in queries.captured_queries]


def test_a_batch_costs_one_statement_per_table_whatever_its_campaigns() -> None:
    one = [campaign_make().pk]
    many = [campaign_make().pk for _ in range(6)]
    for ids, first in ((one, 5_000), (many, 6_000)):
        _statements(_captures(ids, first, 5))  # the logs exist, with odd sizes

    alone = _statements(_captures(one, 7_000, 12))
    spread = _statements(_captures(many, 8_000, 12))

    # The logs locked, the entries, waiting refunds and nodes read; then the entries, nodes,
    # heads and outbox rows written.
    assert alone == spread == ["SELECT"] * 4 + ["INSERT"] * 4
    for campaign_id in one + many:
        assert_tree_matches(campaign_id)
    assert OutboxEvent.objects.filter(event_type="CAPTURE_LOGGED").count() == 5 + 5 + 12 + 12


def test_a_redelivered_batch_appends_and_writes_nothing() -> None:
    ids = [campaign_make().pk for _ in range(3)]
    items = _captures(ids, 9_000, 7)
    _statements(items)
    logged = list(LogEntry.objects.order_by("pk").values_list("pk", flat=True))
    heads = list(TransparencyLog.objects.order_by("pk").values_list("pk", "size", "total"))

    assert _statements(items) == ["SELECT"] * 4

    assert list(LogEntry.objects.order_by("pk").values_list("pk", flat=True)) == logged
    assert list(TransparencyLog.objects.order_by("pk").values_list("pk", "size", "total")) == heads
    assert OutboxEvent.objects.filter(event_type="CAPTURE_LOGGED").count() == 7
