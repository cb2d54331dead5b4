"""Appending to the transparency logs, in the projector's transaction (SPEC §3, §5.13).

The projector hands over what it applied, in order: a capture counted for the first time, a
refund counted for the first time, a counted refund that failed. Each becomes one entry, once:

- a capture → ``capture``, with the event's commitment (an event of an earlier release has
  none: it is not logged, and ``reconcile`` reports it until ``transparency_backfill`` asks
  payment_service for the commitment and appends it);
- a refund → ``refund`` (amount negated, ``refers_to`` its capture's entry, the capture's
  commitment). A refund applied before its capture is logged waits in ``DeferredRefund`` and is
  appended right after the capture's entry;
- a failed refund → ``refund_reversal`` (the refund's amount back, ``refers_to`` the refund's
  entry); one still waiting for its capture is simply dropped from the queue (never logged).

The caller holds the campaigns' row locks (the projector's lock order), which serialize the
appends of a log. A batch costs one statement per table, whatever its size and its campaigns
(``rows``): the logs' rows locked in campaign id order, what is logged of the batch's payments
and refunds, the waiting refunds and the nodes the appends build on each read in one query; the
entries hashed and the tree grown in memory; then one insert per table and one upsert of the
heads. Each new capture entry publishes ``CAPTURE_LOGGED`` to payment_service.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from careforall_common.contracts.events import CaptureLogged
from transparency import rows, tree
from transparency.models import EntryKind
from transparency.nodes import BufferedNodeStore

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CaptureApplied:
    campaign_id: int
    payment_id: int
    amount: int
    currency: str
    occurred_at: datetime
    commitment: str  # "" from a publisher of an earlier release


@dataclass(frozen=True)
class RefundApplied:
    campaign_id: int
    refund_id: int
    payment_id: int
    amount: int  # positive, as the event says
    currency: str
    occurred_at: datetime


@dataclass(frozen=True)
class RefundUndone:
    campaign_id: int
    refund_id: int
    occurred_at: datetime


LogItem = CaptureApplied | RefundApplied | RefundUndone


def log_append(items: Sequence[LogItem]) -> None:
    """Append ``items`` to their campaigns' logs, in order; the caller holds the row locks."""
    by_campaign: dict[int, list[LogItem]] = defaultdict(list)
    for item in items:
        by_campaign[item.campaign_id].append(item)
    if not by_campaign:
        return
    campaign_ids = sorted(by_campaign)
    payments = {(i.campaign_id, i.payment_id) for i in items if not isinstance(i, RefundUndone)}
    refunds = {(i.campaign_id, i.refund_id) for i in items if not isinstance(i, CaptureApplied)}
    heads = rows.logs_lock(campaign_ids)
    logged: dict[int, list[Logged]] = defaultdict(list)
    for pk, *entry in rows.entries_read(payments, refunds):
        logged[int(pk)].append(Logged(*entry))
    waiting: dict[int, dict[int, Waiting]] = defaultdict(dict)
    for row in rows.deferred_read(payments, refunds):
        waiting[int(row[1])][int(row[0])] = Waiting(*row)
    # An append reads only nodes it or an earlier append of the batch wrote, or the complete
    # subtrees tiling the log as it stands: those are read for every log, in one query.
    nodes = rows.nodes_read(
        {pk: tree.range_addresses(0, head[0]) for pk, head in heads.items() if head[0]}
    )
    appenders = [
        _Appender(pk, by_campaign[pk], heads.get(pk), logged[pk], waiting[pk], nodes.get(pk, {}))
        for pk in campaign_ids
    ]
    for appender in appenders:
        appender.run()
    _write(appenders)


@dataclass
class Logged:
    """An entry on record, or new in this batch: what later entries refer to."""

    index: int
    kind: str
    amount: int
    currency: str
    commitment: str
    payment_id: int | None
    refund_id: int | None
    occurred_at: str = ""  # new entries only: the rest of their row
    refers_to: int | None = None


@dataclass(frozen=True)
class Waiting:
    """A ``DeferredRefund`` row (``rows.DEFERRED_COLUMNS``)."""

    refund_id: int
    campaign_id: int
    payment_id: int
    amount: int
    currency: str
    occurred_at: str


class _Appender:
    """One campaign's items, appended in memory to what the batch read of its log."""

    def __init__(
        self,
        campaign_id: int,
        items: list[LogItem],
        head: tuple[int, int, str] | None,
        logged: list[Logged],
        waiting: dict[int, Waiting],
        nodes: dict[tree.Address, tree.Node],
    ) -> None:
        self.campaign_id, self.items, self.head = campaign_id, items, head
        self.size, self.total = (head[0], head[1]) if head else (0, 0)
        self.currency = head[2] if head else ""
        self.captures = {e.payment_id: e for e in logged if e.kind == EntryKind.CAPTURE}
        self.refunds = {e.refund_id: e for e in logged if e.kind == EntryKind.REFUND}
        self.reversed = {e.refund_id for e in logged if e.kind == EntryKind.REFUND_REVERSAL}
        self.deferred = dict(waiting)
        self.deferred_known = set(waiting)
        self.store = BufferedNodeStore(nodes)
        self.new: list[Logged] = []

    def run(self) -> None:
        for item in self.items:
            if isinstance(item, CaptureApplied):
                self._capture(item)
            elif isinstance(item, RefundApplied):
                self._refund(item)
            else:
                self._undone(item)

    def _capture(self, item: CaptureApplied) -> None:
        if item.payment_id in self.captures:
            return
        if not item.commitment:
            logger.warning(
                "capture of payment %s has no commitment: not logged (transparency_backfill)",
                item.payment_id,
            )
            return
        entry = self._append(
            EntryKind.CAPTURE, item.amount, item.currency, item.occurred_at, item.commitment, None
        )
        entry.payment_id = item.payment_id
        self.captures[item.payment_id] = entry
        waiting = [row for row in self.deferred.values() if row.payment_id == item.payment_id]
        for row in sorted(waiting, key=lambda row: (row.occurred_at, row.refund_id)):
            del self.deferred[row.refund_id]
            self._refund_entry(row.refund_id, entry, row.amount, row.currency, row.occurred_at)

    def _refund(self, item: RefundApplied) -> None:
        if item.refund_id in self.refunds or item.refund_id in self.deferred:
            return
        capture = self.captures.get(item.payment_id)
        occurred_at = tree.occurred_at_format(item.occurred_at)
        if capture is None:  # its capture is not logged yet: it waits for it
            self.deferred[item.refund_id] = Waiting(
                item.refund_id,
                self.campaign_id,
                item.payment_id,
                item.amount,
                item.currency,
                occurred_at,
            )
            return
        self._refund_entry(item.refund_id, capture, item.amount, item.currency, occurred_at)

    def _refund_entry(
        self, refund_id: int, capture: Logged, amount: int, currency: str, occurred_at: str
    ) -> None:
        entry = self._append(
            EntryKind.REFUND, -amount, currency, occurred_at, capture.commitment, capture.index
        )
        entry.refund_id = refund_id
        self.refunds[refund_id] = entry

    def _undone(self, item: RefundUndone) -> None:
        if self.deferred.pop(item.refund_id, None) is not None:
            return  # never logged: it leaves the queue, the log shows neither
        refund = self.refunds.get(item.refund_id)
        if refund is None or item.refund_id in self.reversed:
            return
        self.reversed.add(item.refund_id)
        entry = self._append(
            EntryKind.REFUND_REVERSAL,
            -refund.amount,
            refund.currency,
            item.occurred_at,
            refund.commitment,
            refund.index,
        )
        entry.refund_id = item.refund_id

    def _append(
        self,
        kind: EntryKind,
        amount: int,
        currency: str,
        occurred_at: datetime | str,
        commitment: str,
        refers_to: int | None,
    ) -> Logged:
        if not self.currency:
            self.currency = currency  # a new log's: its first entry's
        if isinstance(occurred_at, datetime):
            occurred_at = tree.occurred_at_format(occurred_at)
        entry = Logged(
            self.size, kind.value, amount, currency, commitment, None, None, occurred_at, refers_to
        )
        served = {  # LogEntry.served(): exactly the eight keys, as hashed (SPEC §3)
            "index": self.size,
            "campaign_id": self.campaign_id,
            "kind": kind.value,
            "amount": amount,
            "currency": currency,
            "occurred_at": occurred_at,
            "commitment": commitment,
            "refers_to": refers_to,
        }
        tree.tree_append(self.store, self.size, served)
        self.size += 1
        self.total += amount
        self.new.append(entry)
        return entry

    def entry_rows(self) -> list[tuple[Any, ...]]:
        """The new entries' rows (``rows.ENTRY_COLUMNS`` but ``logged_at``)."""
        return [
            (
                self.campaign_id,
                e.index,
                e.kind,
                e.amount,
                e.currency,
                e.occurred_at,
                e.commitment,
                e.refers_to,
                e.payment_id,
                e.refund_id,
            )
            for e in self.new
        ]


def _write(appenders: list[_Appender]) -> None:
    """Each table of the whole batch in one statement (none when it has nothing to write)."""
    waiting = [
        (w.refund_id, w.campaign_id, w.payment_id, w.amount, w.currency, w.occurred_at)
        for a in appenders
        for pk, w in a.deferred.items()
        if pk not in a.deferred_known
    ]
    gone = {pk for a in appenders for pk in a.deferred_known - set(a.deferred)}
    rows.deferred_write(waiting, gone)
    grown = [a for a in appenders if a.new]
    if not grown:
        return
    rows.entries_write([row for a in grown for row in a.entry_rows()])
    rows.nodes_write(
        (a.campaign_id, address, node) for a in grown for address, node in a.store.written.items()
    )
    rows.logs_write([(a.campaign_id, a.size, a.total, a.currency) for a in grown])
    rows.capture_logged_publish(
        [
            CaptureLogged(payment_id=e.payment_id, campaign_id=a.campaign_id, index=e.index)
            for a in grown
            for e in a.new
            if e.kind == EntryKind.CAPTURE and e.payment_id is not None
        ]
    )
