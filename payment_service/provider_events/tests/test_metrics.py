"""Webhook outcomes at /internal/metrics."""

from __future__ import annotations

import time
from typing import Any

import pytest

from payments.tests.factories import webhook_post
from payments.tests.test_metrics import scrape

pytestmark = pytest.mark.django_db


def outcome(samples: dict[Any, float], name: str) -> float:
    return samples.get(("careforall_webhooks_total", (("outcome", name),)), 0.0)


def test_each_webhook_delivery_is_counted_by_outcome(client: Any) -> None:
    before = scrape(client)
    event = {"id": "evt_metrics_1", "type": "customer.created", "data": {"object": {"id": "cus_1"}}}

    webhook_post(client, event)
    webhook_post(client, event)  # the provider delivers again
    webhook_post(client, event, signature="t=1,v1=00")
    webhook_post(client, event, at=int(time.time()) - 3_600)  # stale
    webhook_post(client, b'["signed", "but no event"]')
    after = scrape(client)

    for name, moved in [
        ("ignored", 1),
        ("duplicate", 1),
        ("bad_signature", 2),
        ("not_an_event", 1),
    ]:
        assert outcome(after, name) == outcome(before, name) + moved, name
