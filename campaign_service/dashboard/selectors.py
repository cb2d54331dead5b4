"""The staff dashboard's figures (issue 15), all from this service's own tables.

Donations and money come from the read model (campaign buckets, projected pledges), as the
public API's totals do (SPEC §3), never from another service's tables; the other services'
outboxes through their signed ``GET /internal/outbox``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db.models import Count, Sum
from django.utils import timezone

from campaigns.models import PLAN_FIELDS, READ_MODEL_FIELDS, Campaign, PledgeProjection
from careforall_common.admin import outbox_admin_url
from careforall_common.contracts.statuses import PledgeStatus
from careforall_common.money import money_format
from careforall_common.outbox.selectors import outbox_waiting
from dashboard.clients.outboxes import outbox_waiting_get
from reconciliation.selectors import reconciliation_last

# The other services' outboxes, by their SERVICE_URLS key and the admin they are replayed in.
PEER_OUTBOXES = ("pledge", "payment")
# The columns of a period, in the order a pledge moves (SPEC §3).
STATUSES = (
    PledgeStatus.PENDING,
    PledgeStatus.AUTHORIZED,
    PledgeStatus.CAPTURED,
    PledgeStatus.REFUNDED,
    PledgeStatus.FAILED,
)


@dataclass
class Period:
    """Donations made in a period, in one currency."""

    currency: str
    donations: int = 0
    amount: int = 0
    by_status: dict[str, tuple[int, int]] = field(default_factory=dict)  # status → count, amount

    @property
    def amount_shown(self) -> str:
        return money_format(self.amount, self.currency)

    @property
    def cells(self) -> list[str]:
        """Count and amount per status, in ``STATUSES`` order."""
        shown = []
        for status in STATUSES:
            count, amount = self.by_status.get(status, (0, 0))
            shown.append(f"{count} · {money_format(amount, self.currency)}")
        return shown


def period_starts(now: datetime) -> dict[str, datetime]:
    """Today and this week (from Monday), both from midnight UTC."""
    today = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return {"today": today, "this week": today - timedelta(days=today.weekday())}


def donations_since(since: datetime) -> list[Period]:
    """Pledges made since ``since``, per currency: counts and amounts, in total and by status.

    The campaign ids are listed so that the database may read one time range per campaign from
    the ``(campaign, -occurred_at)`` index instead of every projected pledge.
    """
    campaign_ids = list(Campaign.objects.values_list("pk", flat=True))
    rows = (
        PledgeProjection.objects.filter(campaign_id__in=campaign_ids, occurred_at__gte=since)
        .values("currency", "status")
        .annotate(count=Count("pk"), amount=Sum("amount"))
        .order_by()
    )
    periods: dict[str, Period] = {}
    for row in rows:
        period = periods.setdefault(row["currency"], Period(currency=row["currency"]))
        period.donations += row["count"]
        period.amount += row["amount"]
        period.by_status[row["status"]] = (row["count"], row["amount"])
    return [periods[currency] for currency in sorted(periods)]


def totals_by_currency() -> list[dict[str, Any]]:
    """Every campaign's buckets and counters summed per currency: the API's totals, added up,
    with the recurring plans' figures (SPEC §3 "Recurring gifts")."""
    fields = [*READ_MODEL_FIELDS, *PLAN_FIELDS]
    rows: Any = (
        Campaign.objects.values("currency")
        .annotate(campaigns=Count("pk"), **{name: Sum(name) for name in fields})
        .order_by("currency")
    )
    return [
        {
            **row,
            **{
                f"{name}_shown": money_format(row[name], row["currency"])
                for name in fields
                if name.endswith("_amount")
            },
            # current_amount (SPEC §3): what was raised and kept.
            "current_amount_shown": money_format(
                row["captured_amount"] - row["refunded_amount"], row["currency"]
            ),
        }
        for row in rows
    ]


def outboxes() -> list[dict[str, Any]]:
    """Each outbox's waiting rows and dead letters, with the link to replay them."""
    found: list[tuple[str, dict[str, dict[str, int]] | None]] = [("campaign", outbox_waiting())]
    found += [(service, outbox_waiting_get(service=service)) for service in PEER_OUTBOXES]
    return [
        {
            "service": service,
            "answered": waiting is not None,
            "pending": sum(d["pending"] for d in (waiting or {}).values()),
            "dead": sum(d["dead"] for d in (waiting or {}).values()),
            "destinations": sorted((waiting or {}).items()),
            "dead_url": outbox_admin_url(service, status__exact="dead"),
            "url": outbox_admin_url(service),
        }
        for service, waiting in found
    ]


def dashboard_figures(*, now: datetime | None = None) -> dict[str, Any]:
    """What the admin's index shows: donations, totals, outboxes, the last reconciliation."""
    starts = period_starts(now or timezone.now())
    return {
        "periods": [
            {"name": name, "since": since, "currencies": donations_since(since)}
            for name, since in starts.items()
        ],
        "statuses": [status.label for status in STATUSES],
        "totals": totals_by_currency(),
        "outboxes": outboxes(),
        "reconciliation": reconciliation_last(),
    }
