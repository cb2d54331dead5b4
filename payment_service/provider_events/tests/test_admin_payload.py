"""Staff's view of a stored webhook never shows a client secret (SPEC §5.9: the donor's
browser alone needs it)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model

from payments.tests.factories import Sandbox, payment_post, webhook_post
from provider_events.models import ProviderEvent

pytestmark = pytest.mark.django_db

EVENTS = "/admin/payments/provider_events/providerevent/"


def test_a_stored_payload_is_shown_without_any_client_secret(
    client: Any, donor_client: Any, donor_pledge: int, sandbox: Sandbox
) -> None:
    body = payment_post(donor_client, {"pledge_id": 41}).json()
    secret = body["client_secret"]
    created = sandbox.event(body["provider_payment_id"], "payment_intent.created")
    nested = {**created, "id": "evt_nested", "data": {"object": {**created["data"]["object"]}}}
    nested["data"]["object"]["metadata"] = {"deep": [{"client_secret": secret}]}
    for event in (created, nested):
        assert webhook_post(client, event).status_code == 200
    staff = get_user_model().objects.create_superuser("staff@example.org", "staff@example.org")
    client.force_login(staff)

    for stored in ProviderEvent.objects.all():
        page = client.get(f"{EVENTS}{stored.pk}/change/")
        assert page.status_code == 200
        assert secret not in page.content.decode()
        assert secret.split("_secret_")[-1] not in page.content.decode()
        assert "(hidden)" in page.content.decode()
    assert ProviderEvent.objects.get(event_id="evt_nested").payload == nested  # kept as signed
