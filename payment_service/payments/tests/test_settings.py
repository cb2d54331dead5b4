"""What the process refuses and schedules (SPEC §3, §4; STYLE §4)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from careforall_common.checks import secret_errors
from careforall_common.idempotency import idempotency_prune as prune
from payments.checks import provider_errors
from payments.models import IdempotencyRecord, Payment
from payments.tasks import idempotency_prune_task
from payments.tests.factories import payment_before_a_crash


def test_the_development_webhook_secret_is_refused_in_production(settings: Any) -> None:
    settings.DEBUG = False
    settings.STRIPE_WEBHOOK_SECRET = "whsec_careforall_local"

    messages = [str(error.msg) for error in secret_errors()]

    assert any(message.startswith("STRIPE_WEBHOOK_SECRET") for message in messages)


def test_the_development_keys_are_refused_against_stripe_itself(settings: Any) -> None:
    settings.DEBUG = False
    settings.STRIPE_SECRET_KEY = "sk_test_careforall"
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_careforall"
    settings.STRIPE_API_BASE = ""
    settings.STRIPE_JS_URL = "https://js.stripe.com/v3/"
    refused = [error.id for error in provider_errors()]

    settings.STRIPE_API_BASE = "http://stripe-sandbox:12111"
    against_a_sandbox = provider_errors()
    settings.STRIPE_API_BASE = ""
    settings.STRIPE_SECRET_KEY = "sk_live_a_real_one"
    with_a_real_secret_key = [error.id for error in provider_errors()]
    settings.STRIPE_PUBLISHABLE_KEY = "pk_live_a_real_one"
    with_real_keys = provider_errors()

    settings.STRIPE_JS_URL = "https://cdn.example.org/stripe.js"
    elsewhere = [error.id for error in provider_errors()]
    settings.STRIPE_JS_URL = "https://js.stripe.com/v3/"

    assert refused == ["payments.E001", "payments.E002"]
    assert elsewhere == ["payments.E003"]
    assert with_a_real_secret_key == ["payments.E002"]
    assert (against_a_sandbox, with_real_keys) == ([], [])


def test_payment_events_go_to_pledges_and_campaigns(settings: Any) -> None:
    routes = settings.CAREFORALL["OUTBOX_ROUTES"]

    assert routes == {
        "PAYMENT_AUTHORIZED": ["pledge", "campaign"],
        "PAYMENT_CAPTURED": ["pledge", "campaign"],
        "PAYMENT_FAILED": ["pledge", "campaign"],
        "PAYMENT_REFUNDED": ["pledge", "campaign"],
        "PAYMENT_REFUND_FAILED": ["pledge", "campaign"],
        "PLAN_CARD_CHANGED": ["pledge"],  # a plan's saved card (saved_cards)
    }
    handlers = settings.CAREFORALL["EVENT_HANDLERS"]
    assert handlers["INSTALLMENT_DUE"] == "saved_cards.handlers.installment_due"


def test_beat_runs_the_relay_the_prune_and_the_reconciliation(settings: Any) -> None:
    schedule = settings.CELERY_BEAT_SCHEDULE

    assert schedule["outbox-relay-sweep"]["task"] == "careforall.outbox_relay"
    assert schedule["idempotency-prune"] == {
        "task": "payments.idempotency_prune",
        "schedule": 3600.0,
    }
    assert schedule["provider-reconcile"]["task"] == "payments.reconcile"


@pytest.mark.django_db
def test_idempotency_records_are_pruned_after_the_retention(settings: Any) -> None:
    payment_before_a_crash(41, key="old")
    payment_before_a_crash(42, key="recent")
    IdempotencyRecord.objects.filter(key="old").update(
        created_at=timezone.now() - timedelta(hours=settings.IDEMPOTENCY_RETENTION_HOURS + 1)
    )

    assert idempotency_prune_task() == 1

    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["recent"]
    assert Payment.objects.count() == 2  # payments are never pruned
    assert prune(IdempotencyRecord) == 0
