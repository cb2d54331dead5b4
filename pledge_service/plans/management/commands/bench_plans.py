"""``manage.py bench_plans --campaign ID --count N --tag T``: the plans of the benchmark's
``plans`` scenario (scripts/bench.d/plans.py), written straight to the database.

Each is a guest's monthly plan of the campaign whose first installment was charged a month ago
(``active``, ``anchor_at`` a month back, ``installments_charged`` 1, a Visa ending in 4242) and
whose period 1 is not scheduled yet (``next_charge_at`` null: nothing falls due until the
scenario sets it). Only the rows a set-up through ``POST /api/recurring`` would leave behind:
no first pledge, no events, no emails. payment_service's ``bench_plan_cards`` then saves a card
at the provider for each; every charge goes through the normal path (the scheduler,
``INSTALLMENT_DUE``, the off-session charge). Refused unless ``CAREFORALL_SANDBOX`` or
``DJANGO_DEBUG`` is on. Prints the plans' ids, one a line.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from plans.models import PlanInterval, PlanStatus, RecurringPlan
from plans.periods import add_months

BATCH = 1000


class Command(BaseCommand):
    help = "Write N active monthly plans for the plans benchmark (sandbox or debug only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--campaign", type=int, required=True)
        parser.add_argument("--count", type=int, required=True)
        parser.add_argument("--tag", required=True, help="marks this run's plans (their emails)")
        parser.add_argument("--amount", type=int, default=100)
        parser.add_argument("--currency", default="usd")

    def handle(self, *args: Any, **options: Any) -> None:
        if not (settings.DEBUG or settings.CAREFORALL_SANDBOX):
            raise CommandError("bench_plans writes test plans: sandbox or debug platforms only.")
        tag, now = str(options["tag"]), timezone.now()
        anchor = add_months(now, -1)
        plans = [
            RecurringPlan(
                campaign_id=options["campaign"],
                user_id=None,
                donor_name=f"Bench donor {number}",
                donor_email=f"plan-{number}-{tag}@example.org",
                amount=options["amount"],
                currency=options["currency"],
                interval=PlanInterval.MONTH,
                status=PlanStatus.ACTIVE,
                anchor_at=anchor,
                next_period=1,
                next_attempt=1,
                next_charge_at=None,
                card_brand="visa",
                card_last4="4242",
                installments_charged=1,
            )
            for number in range(options["count"])
        ]
        with transaction.atomic():
            for start in range(0, len(plans), BATCH):
                RecurringPlan.objects.bulk_create(plans[start : start + BATCH])
        ids = RecurringPlan.objects.filter(donor_email__endswith=f"-{tag}@example.org")
        for plan_id in ids.order_by("pk").values_list("pk", flat=True):
            self.stdout.write(str(plan_id))
