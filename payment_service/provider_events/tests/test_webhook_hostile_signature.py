"""A webhook signature that is not ASCII is a 400 problem like any wrong one (SPEC §3, §5.7)."""

from __future__ import annotations

from typing import Any

import pytest

from payments.tests.factories import stripe_signature, webhook_post
from provider_events.models import ProviderEvent

pytestmark = pytest.mark.django_db

BODY = b'{"id": "evt_1", "type": "payment_intent.succeeded", "data": {"object": {}}}'


@pytest.mark.parametrize("signature", ["t=1,v1=ünïcode", "é", stripe_signature(BODY)[:-1] + "é"])
def test_a_non_ascii_signature_is_400_and_stores_nothing(client: Any, signature: str) -> None:
    response = webhook_post(client, BODY, signature=signature)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert ProviderEvent.objects.count() == 0
