"""What a batch of events leaves, folded in memory before the projector writes it."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from campaigns.models import PlanProjection, RefundProjection
from careforall_common.contracts.statuses import PledgeStatus
from transparency.appends import LogItem


@dataclass
class PledgeState:
    """A projection row as the batch leaves it; ``known`` is False for a pledge new here.

    ``donor``: its ``donor_name``, ``anonymous`` and ``occurred_at``, as on record or as its
    creation event says."""

    known: bool
    campaign_id: int
    amount: int
    currency: str
    status: PledgeStatus
    donor: dict[str, object]
    changed: bool = False


@dataclass
class Batch:
    """The rows on record (locked), the rows the batch makes or changes, and the campaigns'
    moves. A row new in the batch is in ``refunds`` or ``plans`` and its id in ``new``."""

    currencies: dict[int, str]
    pledges: dict[int, PledgeState]
    audited: set[tuple[int, str]]
    refunds: dict[int, RefundProjection]
    plans: dict[int, PlanProjection]
    now: Any  # the batch's time, as the database takes it (rows.db_time)
    new_refunds: set[int] = field(default_factory=set)
    failed_refunds: set[int] = field(default_factory=set)  # rows on record, failed now
    new_plans: set[int] = field(default_factory=set)
    changed_plans: set[int] = field(default_factory=set)
    deltas: dict[int, dict[str, int]] = field(default_factory=lambda: defaultdict(dict))
    audit_rows: list[tuple[Any, ...]] = field(default_factory=list)  # rows.AUDIT_COLUMNS
    log: list[LogItem] = field(default_factory=list)  # for the transparency logs, in order

    def add(self, campaign_id: int, column: str, amount: int) -> None:
        totals = self.deltas[campaign_id]
        totals[column] = totals.get(column, 0) + amount
