"""``manage.py reconcile [--fix] [--campaign ID]``: prove the read model exact (SPEC §5.2)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from reconciliation.services import reconciliation_run


class Command(BaseCommand):
    help = (
        "Compare each campaign's buckets, counters and projected pledges with pledge_service's "
        "pledges; print every difference. Exit 1 when any is found (and not repaired), "
        "2 when pledge_service cannot be read. Each run is recorded (the admin's dashboard, "
        "careforall_reconciliation_* metrics)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--fix", action="store_true", help="repair the read model to the truth, per campaign"
        )
        parser.add_argument("--campaign", type=int, metavar="ID", help="only this campaign")

    def handle(self, *args: Any, fix: bool, campaign: int | None, **options: Any) -> None:
        result = reconciliation_run(
            campaign_ids=[campaign] if campaign is not None else None, fix=fix
        )
        if result.failed:
            raise CommandError(result.run.error, returncode=2)
        for difference in result.outcome.differences:
            self.stdout.write(str(difference))
        for difference in result.outcome.unrepaired:
            self.stdout.write(f"not repaired: {difference}")
        self.stdout.write(result.run.summary)
        if result.outcome.unrepaired or (result.outcome.differences and not fix):
            raise CommandError("The read model differs from the pledges.", returncode=1)
