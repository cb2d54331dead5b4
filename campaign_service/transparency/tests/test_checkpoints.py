"""Signed checkpoints (SPEC §3, §5.13): one per burst, within a look of beat; they only grow,
each consistent with the one before; once quiet the total is the campaign's current_amount."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from campaigns.models import Campaign
from campaigns.tests.factories import campaign_make, pledge_events, pledge_payload
from transparency import note, tree, verify
from transparency.checkpoints import checkpoints_sign
from transparency.models import Checkpoint, TransparencyLog
from transparency.schedules import WhenCheckpointDue
from transparency.signing import verifier_key
from transparency.tests.gifts import capture, refund, refund_failure

pytestmark = pytest.mark.django_db

Deliver = Callable[..., list[str]]


def node(item: dict[str, Any]) -> tree.Node:
    return tree.Node(bytes.fromhex(item["hash"]), item["sum"])


def latest(client: Any, campaign_id: int) -> note.Checkpoint:
    response = client.get(f"/api/campaigns/{campaign_id}/transparency/checkpoint")
    assert response.status_code == 200
    return note.note_verify(response.content.decode(), verifier_key())


def test_a_burst_of_appends_makes_one_checkpoint_and_nothing_more_until_the_next(
    deliver: Deliver, client: Any
) -> None:
    campaign = campaign_make()
    deliver(*(capture(campaign, n) for n in range(1, 6)))
    assert checkpoints_sign() == 1
    assert checkpoints_sign() == 0  # nothing new: nothing signed
    checkpoint = latest(client, campaign.pk)
    assert checkpoint.origin == f"localhost:8080/campaigns/{campaign.pk}"
    assert (checkpoint.tree_size, checkpoint.total, checkpoint.currency) == (5, 5_000, "usd")
    assert not TransparencyLog.objects.get(pk=campaign.pk).checkpoint_due


def test_beat_sends_the_task_only_while_a_log_grew() -> None:
    schedule = WhenCheckpointDue(1.0)
    long_ago = datetime.now(UTC) - timedelta(seconds=5)
    assert not schedule.is_due(long_ago).is_due
    campaign = campaign_make()
    TransparencyLog.objects.create(campaign=campaign, size=1, currency="usd", checkpoint_due=True)
    assert schedule.is_due(long_ago).is_due


def test_checkpoints_only_grow_each_consistent_with_the_last(deliver: Deliver, client: Any) -> None:
    campaign = campaign_make()
    seen: list[note.Checkpoint] = []
    payment = 100
    for burst in (1, 2, 5, 1, 8):
        events = []
        for _ in range(burst):
            payment += 1
            events.append(capture(campaign, payment, payment))
        events.append(refund(campaign, payment, refund_id=payment, amount=7))
        deliver(*events)
        checkpoints_sign()
        seen.append(latest(client, campaign.pk))
    sizes = [c.tree_size for c in seen]
    assert sizes == sorted(sizes)
    assert len(set(sizes)) == len(sizes)
    for old, new in itertools.pairwise(seen):
        answer = client.get(
            f"/api/campaigns/{campaign.pk}/transparency/consistency",
            {"from": old.tree_size, "to": new.tree_size},
        ).json()
        assert verify.consistency_verify(
            old_size=old.tree_size,
            new_size=new.tree_size,
            old_root=tree.Node(old.root_hash, old.total),
            new_root=tree.Node(new.root_hash, new.total),
            path=[node(item) for item in answer["path"]],
        )
    assert Checkpoint.objects.filter(campaign=campaign).count() == 5


def test_once_quiet_the_checkpoint_total_is_the_current_amount(
    deliver: Deliver, client: Any
) -> None:
    campaign = campaign_make()
    for pledge_id, amount in ((1, 2_500), (2, 1_000), (3, 700)):
        pledge = pledge_payload(campaign, pledge_id=pledge_id, amount=amount, status="CAPTURED")
        deliver(*pledge_events(pledge), capture(campaign, pledge_id, amount))
    deliver(
        refund(campaign, 2, refund_id=1, amount=1_000), refund(campaign, 1, refund_id=2, amount=500)
    )
    deliver(refund_failure(campaign, 1, refund_id=2, amount=500))
    checkpoints_sign()
    current = Campaign.objects.get(pk=campaign.pk).current_amount
    assert current == 3_200
    assert latest(client, campaign.pk).total == current
