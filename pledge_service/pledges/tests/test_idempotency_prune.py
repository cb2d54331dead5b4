"""Idempotency records are kept IDEMPOTENCY_RETENTION_HOURS (≥ 24 h, SPEC §3), then pruned."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from careforall_common.checks import retention_errors
from careforall_common.idempotency import idempotency_prune as prune
from pledges.models import IdempotencyRecord, Pledge
from pledges.tasks import idempotency_prune_task
from pledges.tests.factories import SIGNED_IN_BODY, pledge_post

pytestmark = pytest.mark.django_db


def age(key: str, hours: float) -> None:
    IdempotencyRecord.objects.filter(key=key).update(
        created_at=timezone.now() - timedelta(hours=hours)
    )


def test_only_records_past_the_retention_are_pruned(
    donor_client: Any, active_campaign: int
) -> None:
    for key in ("old", "older", "recent"):
        pledge_post(donor_client, SIGNED_IN_BODY, key=key)
    age("old", 48.1)
    age("older", 100)
    age("recent", 47.9)

    deleted = prune(IdempotencyRecord, batch_size=1)

    assert deleted == 2
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["recent"]
    assert Pledge.objects.count() == 3  # pledges are never pruned


def test_the_task_prunes_with_the_configured_retention(
    donor_client: Any, active_campaign: int, settings: Any
) -> None:
    settings.IDEMPOTENCY_RETENTION_HOURS = 24
    pledge_post(donor_client, SIGNED_IN_BODY, key="day-old")
    age("day-old", 25)

    assert idempotency_prune_task() == 1
    assert IdempotencyRecord.objects.count() == 0


def test_a_pruned_key_makes_a_new_pledge(donor_client: Any, active_campaign: int) -> None:
    first = pledge_post(donor_client, SIGNED_IN_BODY).json()
    age("key-1", 49)
    prune(IdempotencyRecord)

    again = pledge_post(donor_client, SIGNED_IN_BODY)

    assert again.status_code == 201
    assert again.json()["id"] != first["id"]


def test_a_retention_below_24_hours_is_refused(settings: Any) -> None:
    settings.IDEMPOTENCY_RETENTION_HOURS = 23
    refused = [message.id for message in retention_errors()]
    settings.IDEMPOTENCY_RETENTION_HOURS = 24

    assert refused == ["careforall.E003"]
    assert retention_errors() == []


def test_the_prune_runs_hourly(settings: Any) -> None:
    entry = settings.CELERY_BEAT_SCHEDULE["idempotency-prune"]

    assert entry == {"task": "pledges.idempotency_prune", "schedule": 3600.0}
