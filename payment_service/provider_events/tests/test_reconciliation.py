"""Crashes around the provider call, and reconciliation (SPEC §3, §5.4, §5.5).

A "crash" here is transaction 1 committed and the provider called (or not), with transaction 2
never run: exactly what a process killed at that moment leaves behind.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from careforall_common.contracts.statuses import PaymentStatus
from payments import provider
from payments.models import IdempotencyRecord, Payment
from payments.tasks import payment_capture_task
from payments.tests.factories import (
    AUTHORIZED_EVENTS,
    CAPTURED_EVENTS,
    FAILED_EVENTS,
    Sandbox,
    events,
    intent_made_before_a_crash,
    payment,
    payment_before_a_crash,
    payment_post,
)
from provider_events.reconciliation import payments_reconcile
from provider_events.tasks import payments_reconcile_task

pytestmark = pytest.mark.django_db

VISA = {"pledge_id": 41, "payment_method": "pm_card_visa"}
CREATE = "POST /v1/payment_intents"
CAPTURE = "POST /v1/payment_intents/{id}/capture"


def make_due(**filters: Any) -> None:
    Payment.objects.filter(**filters).update(reconcile_after=timezone.now())


def test_a_retry_after_a_crash_resumes_with_the_same_intent(
    donor_client: Any, donor_pledge: int, sandbox: Sandbox
) -> None:
    intent_id = intent_made_before_a_crash(payment_before_a_crash())

    retry = payment_post(donor_client, VISA)

    assert retry.status_code == 201
    assert retry["Idempotent-Replayed"] == "true"
    assert (retry.json()["status"], retry.json()["provider_payment_id"]) == (
        "AUTHORIZED",
        intent_id,
    )
    assert IdempotencyRecord.objects.get().answered is True
    assert sandbox.intents() == 1
    assert sandbox.calls(CREATE) == 2  # the second was answered with the first's intent
    assert sandbox.stats()["idempotency"]["replays"] == 1
    assert payment_capture_task(payment_id=payment().pk) is True
    assert sandbox.calls(CAPTURE) == 1
    assert events() == AUTHORIZED_EVENTS + CAPTURED_EVENTS


def test_reconciliation_after_a_crash_finds_the_intent_then_captures(
    donor_client: Any, donor_pledge: int, sandbox: Sandbox
) -> None:
    intent_id = intent_made_before_a_crash(payment_before_a_crash())
    make_due()

    assert payments_reconcile() == 1
    assert (payment().status, payment().provider_payment_id) == (
        PaymentStatus.AUTHORIZED,
        intent_id,
    )
    make_due()
    assert payments_reconcile() == 1

    assert payment().status == PaymentStatus.CAPTURED
    assert (sandbox.intents(), sandbox.calls(CAPTURE)) == (1, 1)
    assert events() == AUTHORIZED_EVENTS + CAPTURED_EVENTS
    # The request, retried now, answers with the payment as it stands, calling nobody.
    retry = payment_post(donor_client, VISA)
    assert retry.json()["status"] == "CAPTURED"
    assert sandbox.calls(CREATE) == 2  # the crashed request's and reconciliation's


def test_reconciliation_makes_the_intent_a_crash_never_sent(sandbox: Sandbox) -> None:
    made = payment_before_a_crash()  # died before calling the provider
    make_due()

    assert payments_reconcile() == 1

    assert payment().status == PaymentStatus.AUTHORIZED
    intent = sandbox.client().v1.payment_intents.retrieve(payment().provider_payment_id or "")
    assert intent.metadata.to_dict()["payment_id"] == str(made.pk)
    assert sandbox.intents() == 1


def test_reconciliation_records_a_decline_the_crash_left_unrecorded(sandbox: Sandbox) -> None:
    made = payment_before_a_crash(payment_method="pm_card_chargeDeclined")
    provider.intent_create(made)
    make_due()

    assert payments_reconcile() == 1

    assert (payment().status, payment().failure_reason) == (
        PaymentStatus.FAILED,
        "card_declined: generic_decline",
    )
    assert sandbox.intents() == 1
    assert events() == FAILED_EVENTS


def test_an_authorized_payment_whose_capture_task_was_lost_is_captured(
    donor_client: Any, donor_pledge: int, sandbox: Sandbox
) -> None:
    payment_post(donor_client, VISA)  # the capture task's message never reached a worker
    make_due()

    assert payments_reconcile() == 1

    assert payment().status == PaymentStatus.CAPTURED
    assert sandbox.calls(CAPTURE) == 1


def test_a_capture_whose_task_died_and_whose_webhook_was_dropped_ends_captured(
    donor_client: Any, donor_pledge: int, sandbox: Sandbox
) -> None:
    payment_post(donor_client, VISA)
    sandbox.client().v1.payment_intents.capture(
        payment().provider_payment_id or "",
        options={"idempotency_key": provider.idempotency_key(payment(), "capture")},
    )
    make_due()

    assert payments_reconcile() == 1

    assert payment().status == PaymentStatus.CAPTURED
    assert sandbox.calls(CAPTURE) == 2  # the second one replayed: one capture
    assert events() == AUTHORIZED_EVENTS + CAPTURED_EVENTS


def test_a_payment_is_checked_only_once_due(sandbox: Sandbox) -> None:
    made = payment_before_a_crash()
    assert payments_reconcile() == 0  # made just now: its request is still on it
    assert sandbox.calls(CREATE) == 0

    make_due(pk=made.pk)
    payment_before_a_crash(42, key="key-2")  # made just now, not due

    assert payments_reconcile() == 1
    assert Payment.objects.get(pk=made.pk).status == PaymentStatus.AUTHORIZED
    assert Payment.objects.get(pledge_id=42).status == PaymentStatus.PROCESSING


def test_each_check_pushes_the_next_one_back_by_a_quarter_of_the_age(settings: Any) -> None:
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"
    payment_before_a_crash()
    Payment.objects.update(
        created_at=timezone.now() - timedelta(hours=2), reconcile_after=timezone.now()
    )

    started = timezone.now()
    assert payments_reconcile() == 0  # the provider is down

    delay = payment().reconcile_after - started
    assert timedelta(minutes=29) < delay < timedelta(minutes=31)
    assert payment().status == PaymentStatus.PROCESSING


def test_with_the_provider_down_a_run_stops_at_the_first_payment(settings: Any) -> None:
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"
    for pledge_id in (41, 42, 43):
        payment_before_a_crash(pledge_id, key=f"key-{pledge_id}")
    make_due()
    before = {p.pk: p.reconcile_after for p in Payment.objects.all()}

    assert payments_reconcile() == 0

    after = {p.pk: p.reconcile_after for p in Payment.objects.all()}
    assert sum(before[pk] != after[pk] for pk in before) == 1  # only the first was tried
    assert set(Payment.objects.values_list("status", flat=True)) == {PaymentStatus.PROCESSING}


def test_a_payment_never_confirmed_within_the_key_lifetime_is_given_up(
    sandbox: Sandbox, settings: Any
) -> None:
    payment_before_a_crash()
    Payment.objects.update(
        created_at=timezone.now() - timedelta(hours=settings.PAYMENT_CREATE_RETRY_HOURS, minutes=1),
        reconcile_after=timezone.now(),
    )

    assert payments_reconcile() == 1

    assert (payment().status, payment().failure_reason) == (
        PaymentStatus.FAILED,
        "provider_unconfirmed",
    )
    assert sandbox.calls(CREATE) == 0  # too late to send the create again safely
    assert events() == FAILED_EVENTS


def test_the_task_runs_the_reconciliation(sandbox: Sandbox, settings: Any) -> None:
    payment_before_a_crash()
    make_due()

    assert payments_reconcile_task() == 1
    assert settings.CELERY_BEAT_SCHEDULE["provider-reconcile"]["task"] == "payments.reconcile"
    assert settings.CELERY_BEAT_SCHEDULE["provider-reconcile"]["schedule"] <= 30
