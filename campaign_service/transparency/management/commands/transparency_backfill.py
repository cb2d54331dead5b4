"""``manage.py transparency_backfill [--campaign ID]``: append to each campaign's transparency
log the captures and refunds it lacks (captured before the log existed, or published without a
commitment), in capture order, asking payment_service for the commitments. Never rewrites."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from campaigns.models import Campaign
from transparency.backfill import log_backfill
from transparency.clients.payments import PaymentsUnavailable, commitment_get


class Command(BaseCommand):
    help = "Append the captures and refunds each campaign's transparency log lacks."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--campaign", type=int, metavar="ID", help="only this campaign")

    def handle(self, *args: Any, campaign: int | None, **options: Any) -> None:
        ids = [campaign] if campaign is not None else Campaign.objects.values_list("pk", flat=True)
        left = 0
        for campaign_id in sorted(ids):
            try:
                result = log_backfill(campaign_id=campaign_id, commitment_of=commitment_get)
            except PaymentsUnavailable as error:
                raise CommandError(str(error), returncode=2) from None
            left += len(result.without_commitment)
            if result.appended or result.without_commitment:
                self.stdout.write(
                    f"campaign {campaign_id}: {result.appended} entries appended"
                    + (
                        f", payments without a commitment: {result.without_commitment}"
                        if result.without_commitment
                        else ""
                    )
                )
        if left:
            raise CommandError(f"{left} captured payments have no commitment", returncode=1)
