"""``manage.py bench_plan_cards --plans FILE``: a saved card for each plan of the benchmark's
``plans`` scenario (scripts/bench.d/plans.py; FILE: the plan ids, one a line, as pledge_service's
``bench_plans`` prints them).

For each plan, through the SDK at the provider (the sandbox): a Customer (``metadata.plan_id``)
and ``pm_card_visa`` attached to it — what the plan's first payment with
``setup_future_usage`` leaves at the provider — then the plan's ``PlanCard`` row with them.
Nothing is charged here: the installments are charged by the normal path (``INSTALLMENT_DUE``,
``payments.charge_off_session``). Only against the sandbox (``STRIPE_API_BASE`` set) and with
``CAREFORALL_SANDBOX`` or ``DJANGO_DEBUG`` on.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from payments.stripe_client import stripe_client
from saved_cards.models import PlanCard

BATCH = 1000


def provider_card(plan_id: int) -> PlanCard:
    """A Customer with a Visa attached, as the plan's row (not saved)."""
    client = stripe_client()
    customer = client.v1.customers.create({"metadata": {"plan_id": str(plan_id)}})
    method = client.v1.payment_methods.attach("pm_card_visa", {"customer": customer.id})
    card = method.card
    return PlanCard(
        plan_id=plan_id,
        customer=customer.id,
        payment_method=method.id,
        card_brand=str(card.brand if card else "visa"),
        card_last4=str(card.last4 if card else "4242"),
        card_fingerprint=str(card.fingerprint if card else "")[:64],
        saved_at=int(method.created),
    )


class Command(BaseCommand):
    help = "Save a sandbox card for each benchmark plan (sandbox only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--plans", type=Path, required=True, help="plan ids, one a line")
        parser.add_argument("--threads", type=int, default=8)

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.STRIPE_API_BASE or not (settings.DEBUG or settings.CAREFORALL_SANDBOX):
            raise CommandError("bench_plan_cards makes test cards: against the sandbox only.")
        plan_ids = [int(line) for line in options["plans"].read_text().split() if line]
        with ThreadPoolExecutor(max_workers=options["threads"]) as pool:
            cards = list(pool.map(provider_card, plan_ids))
        with transaction.atomic():
            for start in range(0, len(cards), BATCH):
                PlanCard.objects.bulk_create(cards[start : start + BATCH])
        self.stdout.write(f"{len(cards)} cards saved")
