"""Reads of the transparency logs (SPEC §3): entries, proofs and the latest checkpoint.

Every proof folds O(log n) stored complete subtrees read in one query (``transparency.tree``);
nothing recomputes a tree on a request. The bounds are the log's size now: entries past the
latest checkpoint are served too (they never change once written), and any tree size the log
has had — every size up to its size now — has its proofs.
"""

from __future__ import annotations

from dataclasses import dataclass

from transparency import tree
from transparency.models import MAX_ENTRIES_PER_CALL, Checkpoint, LogEntry, TransparencyLog
from transparency.nodes import DatabaseNodeStore


class RangeError(ValueError):
    """A range or tree size the log cannot answer: a 400."""


@dataclass(frozen=True)
class InclusionProof:
    entry: dict[str, object]
    tree_size: int
    path: list[tree.Node]


def log_size(campaign_id: int) -> int:
    size = TransparencyLog.objects.filter(pk=campaign_id).values_list("size", flat=True).first()
    return size or 0


def checkpoint_latest(campaign_id: int) -> Checkpoint | None:
    return Checkpoint.objects.filter(campaign_id=campaign_id).order_by("-tree_size").first()


def entries_get(*, campaign_id: int, start: int, end: int) -> list[dict[str, object]]:
    """The entries ``[start, end)``, at most ``MAX_ENTRIES_PER_CALL``."""
    if end - start > MAX_ENTRIES_PER_CALL:
        raise RangeError(f"At most {MAX_ENTRIES_PER_CALL} entries a call.")
    _within(start <= end <= log_size(campaign_id), "The range is past the log.")
    rows = LogEntry.objects.filter(campaign_id=campaign_id, index__gte=start, index__lt=end)
    return [entry.served() for entry in rows.order_by("index")]


def inclusion_get(*, campaign_id: int, index: int, tree_size: int) -> InclusionProof:
    _within(tree_size <= log_size(campaign_id), "The log never had this tree size.")
    _within(index < tree_size, "The index is past the tree size.")
    entry = LogEntry.objects.get(campaign_id=campaign_id, index=index)
    path = tree.inclusion_proof(DatabaseNodeStore(campaign_id), index, tree_size)
    return InclusionProof(entry=entry.served(), tree_size=tree_size, path=path)


def consistency_get(*, campaign_id: int, old_size: int, new_size: int) -> list[tree.Node]:
    _within(1 <= old_size <= new_size, "Consistency needs 1 <= from <= to.")
    _within(new_size <= log_size(campaign_id), "The log never had this tree size.")
    return tree.consistency_proof(DatabaseNodeStore(campaign_id), old_size, new_size)


def _within(condition: bool, message: str) -> None:
    if not condition:
        raise RangeError(message)
