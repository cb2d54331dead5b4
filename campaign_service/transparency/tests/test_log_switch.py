"""``TRANSPARENCY_LOG``: off (development and benchmarks only) the projector counts payments as
before and appends nothing; outside DJANGO_DEBUG and CAREFORALL_SANDBOX off is not taken."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from campaigns.models import Campaign
from campaigns.tests.factories import campaign_make
from careforall_common.outbox.models import OutboxEvent
from transparency.models import LogEntry, TransparencyLog
from transparency.tests.gifts import capture, refund

pytestmark = pytest.mark.django_db

SERVICE = Path(__file__).resolve().parents[2]


def test_off_the_projector_counts_captures_and_refunds_and_logs_nothing(
    deliver: Callable[..., list[str]], settings: Any
) -> None:
    settings.TRANSPARENCY_LOG = False
    campaign = campaign_make()

    assert deliver(capture(campaign, 41, 2_000), refund(campaign, 41, refund_id=9, amount=500)) == [
        "processed",
        "processed",
    ]

    campaign = Campaign.objects.get(pk=campaign.pk)
    assert (campaign.total_payments, campaign.refunded_amount) == (1, 500)
    assert not LogEntry.objects.filter(campaign_id=campaign.pk).exists()
    assert not TransparencyLog.objects.filter(pk=campaign.pk).exists()
    assert not OutboxEvent.objects.filter(event_type="CAPTURE_LOGGED").exists()


@pytest.mark.parametrize(
    ("debug", "sandbox", "expected"),
    [("true", "false", "False"), ("false", "true", "False"), ("false", "false", "True")],
)
def test_off_is_taken_only_in_development_or_on_the_sandbox(
    debug: str, sandbox: str, expected: str
) -> None:
    env = {
        **os.environ,
        "DJANGO_DEBUG": debug,
        "CAREFORALL_SANDBOX": sandbox,
        "TRANSPARENCY_LOG": "false",
        "DJANGO_SECRET_KEY": "x" * 50,
    }
    read = "import config.settings as s; print(s.TRANSPARENCY_LOG)"
    done = subprocess.run(  # noqa: S603  (this interpreter, a fixed program)
        [sys.executable, "-c", read], cwd=SERVICE, env=env, capture_output=True, text=True
    )
    assert done.stdout.strip() == expected, done.stderr[-2000:]
