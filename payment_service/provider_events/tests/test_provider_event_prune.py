"""Raw provider events are kept PROVIDER_EVENT_RETENTION_DAYS, then pruned."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from provider_events.models import ProviderEvent
from provider_events.tasks import provider_event_prune_task

pytestmark = pytest.mark.django_db


def test_only_events_past_the_retention_are_pruned(settings: Any) -> None:
    settings.PROVIDER_EVENT_RETENTION_DAYS = 30
    for event_id in ("evt_old", "evt_recent"):
        ProviderEvent.objects.create(
            event_id=event_id, event_type="payment_intent.succeeded", intent_id="pi_1", payload={}
        )
    ProviderEvent.objects.filter(event_id="evt_old").update(
        received_at=timezone.now() - timedelta(days=31)
    )

    assert provider_event_prune_task() == 1
    assert list(ProviderEvent.objects.values_list("event_id", flat=True)) == ["evt_recent"]


def test_the_prune_runs_hourly(settings: Any) -> None:
    entry = settings.CELERY_BEAT_SCHEDULE["provider-event-prune"]

    assert entry == {"task": "payments.provider_event_prune", "schedule": 3600.0}
