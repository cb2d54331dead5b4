"""The transparency logs (SPEC §3 "Transparency log", docs/transparency.md): append-only.

``LogEntry`` rows are the entries exactly as served and hashed; ``LogNode`` rows the complete
subtrees of each log's Merkle tree with sums (``transparency.tree``); ``Checkpoint`` rows the
signed notes; ``TransparencyLog`` each log's head (its size and total, and whether a checkpoint
is due). Nothing here is ever updated but the head, nor deleted.
"""

from __future__ import annotations

from django.db import models

from campaigns.models import Campaign

MAX_ENTRIES_PER_CALL = 1_000


class EntryKind(models.TextChoices):
    CAPTURE = "capture"  # a captured payment, amount > 0
    REFUND = "refund"  # a refund of a capture, amount < 0, refers_to the capture's entry
    # A refund that failed after it was logged: amount > 0 (the refund's, negated), refers_to the
    # refund's entry. The log is append-only, so the money that stayed is a new entry.
    REFUND_REVERSAL = "refund_reversal"


class TransparencyLog(models.Model):
    """A campaign's log head: changed only with the campaign's row lock held (appends) or its
    own row lock (the signer)."""

    campaign = models.OneToOneField(
        Campaign, on_delete=models.PROTECT, primary_key=True, related_name="transparency_log"
    )
    size = models.BigIntegerField(default=0)
    total = models.BigIntegerField(default=0)
    currency = models.CharField(max_length=3)  # its first entry's
    signed_size = models.BigIntegerField(default=0)  # the latest checkpoint's tree size
    checkpoint_due = models.BooleanField(default=False, db_index=True)  # size > signed_size

    def __str__(self) -> str:
        return f"Log of campaign {self.campaign_id}: {self.size} entries"


class LogEntry(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="log_entries")
    index = models.BigIntegerField()
    kind = models.CharField(max_length=16, choices=EntryKind.choices)
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    occurred_at = models.CharField(max_length=27)  # YYYY-MM-DDTHH:MM:SS.ffffffZ, as hashed
    commitment = models.CharField(max_length=64)
    refers_to = models.BigIntegerField(null=True, blank=True)
    # Internal only, never served: the capture's payment, the refund's id (a refund's and its
    # reversal's). Null elsewhere, so each pair is unique where set.
    payment_id = models.BigIntegerField(null=True, blank=True)
    refund_id = models.BigIntegerField(null=True, blank=True)
    logged_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "log entry"
        verbose_name_plural = "log entries"
        constraints = [
            models.UniqueConstraint(fields=["campaign", "index"], name="log_entry_index_once"),
            models.UniqueConstraint(
                fields=["campaign", "kind", "payment_id"], name="log_entry_capture_once"
            ),
            models.UniqueConstraint(
                fields=["campaign", "kind", "refund_id"], name="log_entry_refund_once"
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=EntryKind.values), name="log_entry_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"Entry {self.index} of campaign {self.campaign_id}: {self.kind} {self.amount}"

    def served(self) -> dict[str, object]:
        """The entry as served and hashed: exactly the eight keys (SPEC §3)."""
        return {
            "index": self.index,
            "campaign_id": self.campaign_id,
            "kind": str(self.kind),  # a plain str: an EntryKind member is hashed as its value
            "amount": self.amount,
            "currency": self.currency,
            "occurred_at": self.occurred_at,
            "commitment": self.commitment,
            "refers_to": self.refers_to,
        }


class LogNode(models.Model):
    """A complete subtree of a log's tree: the node over 2**level entries from index·2**level."""

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="+")
    level = models.PositiveSmallIntegerField()
    index = models.BigIntegerField()
    hash = models.BinaryField(max_length=32)
    sum = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "level", "index"], name="log_node_address_once"
            ),
        ]

    def __str__(self) -> str:
        return f"Node ({self.level}, {self.index}) of campaign {self.campaign_id}"


class DeferredRefund(models.Model):
    """A refund applied before its capture was logged (a reordered or replayed delivery): it is
    appended right after the capture's entry. Not part of the log; removed once appended."""

    refund_id = models.BigIntegerField(primary_key=True)
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="+")
    payment_id = models.BigIntegerField()
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    occurred_at = models.CharField(max_length=27)

    class Meta:
        indexes = [models.Index(fields=["campaign", "payment_id"], name="deferred_refund_payment")]

    def __str__(self) -> str:
        return f"Refund {self.refund_id} waiting for payment {self.payment_id}'s capture"


class Checkpoint(models.Model):
    """A signed checkpoint of a log (C2SP tlog-checkpoint in a signed note). Append-only."""

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="checkpoints")
    tree_size = models.BigIntegerField()
    root_hash = models.BinaryField(max_length=32)
    total = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    note = models.TextField()  # the signed note, as served
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign", "tree_size"], name="checkpoint_size_once"),
        ]

    def __str__(self) -> str:
        return f"Checkpoint {self.tree_size} of campaign {self.campaign_id}"
