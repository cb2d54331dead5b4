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
appends of a log. Each campaign costs a few batched reads and one insert per table, whatever the
batch's size. Each new capture entry publishes ``CAPTURE_LOGGED`` to payment_service.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from careforall_common.contracts.events import CaptureLogged
from careforall_common.outbox.services import outbox_publish
from transparency import tree
from transparency.models import DeferredRefund, EntryKind, LogEntry, TransparencyLog
from transparency.nodes import DatabaseNodeStore

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
    for campaign_id in sorted(by_campaign):
        _Appender(campaign_id, by_campaign[campaign_id]).run()


class BufferedNodeStore:
    """The nodes written by this append kept in memory, written in one insert by ``flush``."""

    def __init__(self, store: DatabaseNodeStore) -> None:
        self.store = store
        self.written: dict[tree.Address, tree.Node] = {}

    def read(self, addresses: Sequence[tree.Address]) -> list[tree.Node]:
        missing = [address for address in addresses if address not in self.written]
        found = dict(zip(missing, self.store.read(missing), strict=True))
        return [self.written.get(address) or found[address] for address in addresses]

    def write(self, nodes: Sequence[tuple[tree.Address, tree.Node]]) -> None:
        for address, node in nodes:
            if address in self.written:
                raise ValueError(f"node {address} is already written")
            self.written[address] = node

    def flush(self) -> None:
        self.store.write(list(self.written.items()))


class _Appender:
    """One campaign's items: what the log holds of them is read once, then the entries made."""

    def __init__(self, campaign_id: int, items: list[LogItem]) -> None:
        self.campaign_id, self.items = campaign_id, items
        payments = {i.payment_id for i in items if not isinstance(i, RefundUndone)}
        refunds = {i.refund_id for i in items if not isinstance(i, CaptureApplied)}
        logged = LogEntry.objects.filter(campaign_id=campaign_id)
        self.captures = {
            e.payment_id: e for e in logged.filter(kind="capture", payment_id__in=payments)
        }
        self.refunds = {e.refund_id: e for e in logged.filter(kind="refund", refund_id__in=refunds)}
        self.reversed = set(
            logged.filter(kind=EntryKind.REFUND_REVERSAL, refund_id__in=refunds).values_list(
                "refund_id", flat=True
            )
        )
        waiting = DeferredRefund.objects.filter(campaign_id=campaign_id)
        self.deferred = {
            row.refund_id: row
            for row in waiting.filter(payment_id__in=payments) | waiting.filter(pk__in=refunds)
        }
        self.deferred_known = set(self.deferred)
        self.log = TransparencyLog.objects.select_for_update().filter(pk=campaign_id).first()
        self.store = BufferedNodeStore(DatabaseNodeStore(campaign_id))
        self.new: list[LogEntry] = []

    def run(self) -> None:
        for item in self.items:
            if isinstance(item, CaptureApplied):
                self._capture(item)
            elif isinstance(item, RefundApplied):
                self._refund(item)
            else:
                self._undone(item)
        self._write()

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
            kind=EntryKind.CAPTURE,
            amount=item.amount,
            currency=item.currency,
            occurred_at=item.occurred_at,
            commitment=item.commitment,
            refers_to=None,
            payment_id=item.payment_id,
        )
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
            self.deferred[item.refund_id] = DeferredRefund(
                refund_id=item.refund_id,
                campaign_id=self.campaign_id,
                payment_id=item.payment_id,
                amount=item.amount,
                currency=item.currency,
                occurred_at=occurred_at,
            )
            return
        self._refund_entry(item.refund_id, capture, item.amount, item.currency, occurred_at)

    def _refund_entry(
        self, refund_id: int, capture: LogEntry, amount: int, currency: str, occurred_at: str
    ) -> None:
        self.refunds[refund_id] = self._append(
            kind=EntryKind.REFUND,
            amount=-amount,
            currency=currency,
            occurred_at=occurred_at,
            commitment=capture.commitment,
            refers_to=capture.index,
            refund_id=refund_id,
        )

    def _undone(self, item: RefundUndone) -> None:
        if self.deferred.pop(item.refund_id, None) is not None:
            return  # never logged: it leaves the queue, the log shows neither
        refund = self.refunds.get(item.refund_id)
        if refund is None or item.refund_id in self.reversed:
            return
        self.reversed.add(item.refund_id)
        self._append(
            kind=EntryKind.REFUND_REVERSAL,
            amount=-refund.amount,
            currency=refund.currency,
            occurred_at=item.occurred_at,
            commitment=refund.commitment,
            refers_to=refund.index,
            refund_id=item.refund_id,
        )

    def _append(
        self,
        *,
        kind: EntryKind,
        amount: int,
        currency: str,
        occurred_at: datetime | str,
        commitment: str,
        refers_to: int | None,
        payment_id: int | None = None,
        refund_id: int | None = None,
    ) -> LogEntry:
        if self.log is None:
            self.log = TransparencyLog(campaign_id=self.campaign_id, currency=currency)
        if isinstance(occurred_at, datetime):
            occurred_at = tree.occurred_at_format(occurred_at)
        entry = LogEntry(
            campaign_id=self.campaign_id,
            index=self.log.size,
            kind=kind.value,
            amount=amount,
            currency=currency,
            occurred_at=occurred_at,
            commitment=commitment,
            refers_to=refers_to,
            payment_id=payment_id,
            refund_id=refund_id,
        )
        tree.tree_append(self.store, self.log.size, entry.served())
        self.log.size += 1
        self.log.total += amount
        self.new.append(entry)
        return entry

    def _write(self) -> None:
        waiting = [row for pk, row in self.deferred.items() if pk not in self.deferred_known]
        DeferredRefund.objects.bulk_create(waiting)
        gone = self.deferred_known - set(self.deferred)
        if gone:
            DeferredRefund.objects.filter(pk__in=gone).delete()
        if not self.new or self.log is None:
            return
        LogEntry.objects.bulk_create(self.new)
        self.store.flush()
        self.log.checkpoint_due = True
        self.log.save()
        for entry in self.new:
            if entry.kind == EntryKind.CAPTURE:
                outbox_publish(
                    CaptureLogged(
                        payment_id=entry.payment_id,  # type: ignore[arg-type]  # set on captures
                        campaign_id=self.campaign_id,
                        index=entry.index,
                    )
                )
