"""The beat's sweep sends a task only when an email is due; production without EMAIL_URL warns."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from careforall_common.testing.peers import FakePeer
from notices.checks import check_email, check_public_base_url
from notices.schedules import WhenNoticesDue
from notices.services import notices_send_due
from notices.tests.conftest import Sink
from pledges.models import Pledge
from pledges.tests.factories import SIGNED_IN_BODY, payment_event, pledge_post

pytestmark = pytest.mark.django_db

LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)


def test_the_sweep_is_due_only_while_an_email_waits(
    client: Any,
    donor_client: Any,
    active_campaign: int,
    smtp_sink: Sink,
    campaigns: FakePeer,
) -> None:
    sweep = WhenNoticesDue(5.0)
    assert sweep.is_due(LONG_AGO) == (False, 5.0)  # nothing to send: no task

    pledge_post(donor_client, SIGNED_IN_BODY)
    payment_event(client, "PAYMENT_CAPTURED", Pledge.objects.get())
    assert sweep.is_due(LONG_AGO).is_due

    assert notices_send_due() == 1
    assert sweep.is_due(LONG_AGO) == (False, 5.0)


def test_production_without_email_url_warns(settings: Any) -> None:
    settings.DEBUG = False
    settings.EMAIL_URL = ""
    assert [message.id for message in check_email()] == ["notices.W001"]

    settings.EMAIL_URL = "smtp+tls://user:secret@smtp.example.org:587"
    assert check_email() == []

    settings.DEBUG, settings.EMAIL_URL = True, ""
    assert check_email() == []


def test_production_with_links_to_localhost_warns(settings: Any) -> None:
    settings.DEBUG = False
    settings.PUBLIC_BASE_URL = "http://localhost:8080"
    assert [message.id for message in check_public_base_url()] == ["notices.W002"]
    settings.PUBLIC_BASE_URL = "https://give.example.org"
    assert check_public_base_url() == []
    settings.DEBUG, settings.PUBLIC_BASE_URL = True, "http://localhost:8080"
    assert check_public_base_url() == []
