"""Signed checkpoints of the logs that grew (SPEC §3: a new one within 5 s of a change).

Beat looks every second (``schedules.WhenCheckpointDue``) and sends the task
``transparency.checkpoints_sign`` only while a log is marked ``checkpoint_due``; one run signs
every such log at its size then, so a burst of appends costs one checkpoint, not one per entry.
Each log is signed in its own short transaction under its head's row lock, taken with SKIP
LOCKED: a log the projector is appending to right now is signed at the next look, a second later.
"""

from __future__ import annotations

import logging

from django.db import transaction

from transparency import note, tree
from transparency.models import Checkpoint, TransparencyLog
from transparency.nodes import DatabaseNodeStore
from transparency.signing import checkpoint_sign, origin

logger = logging.getLogger(__name__)

MAX_LOGS_PER_RUN = 500


def checkpoints_sign() -> int:
    """Sign every log whose checkpoint is due; return how many checkpoints were made."""
    due = TransparencyLog.objects.filter(checkpoint_due=True).order_by("pk")
    made = 0
    for campaign_id in list(due.values_list("pk", flat=True)[:MAX_LOGS_PER_RUN]):
        made += checkpoint_make(campaign_id) is not None
    return made


def checkpoint_make(campaign_id: int) -> Checkpoint | None:
    """Sign the log of ``campaign_id`` at its size now, unless signed at that size already."""
    with transaction.atomic():
        log = (
            TransparencyLog.objects.select_for_update(skip_locked=True)
            .filter(pk=campaign_id, checkpoint_due=True)
            .first()
        )
        if log is None:
            return None  # signed meanwhile, or being appended to: the next look takes it
        checkpoint = None
        if log.size > log.signed_size:
            root = tree.tree_root(DatabaseNodeStore(campaign_id), log.size)
            if root.sum != log.total:  # the head and the tree disagree: never sign that
                raise RuntimeError(
                    f"log of campaign {campaign_id}: tree total {root.sum}, head {log.total}"
                )
            text = note.checkpoint_text(
                origin=origin(campaign_id),
                tree_size=log.size,
                root_hash=root.hash,
                total=root.sum,
                currency=log.currency,
            )
            checkpoint = Checkpoint.objects.create(
                campaign_id=campaign_id,
                tree_size=log.size,
                root_hash=root.hash,
                total=root.sum,
                currency=log.currency,
                note=checkpoint_sign(campaign_id=campaign_id, text=text),
            )
        log.signed_size, log.checkpoint_due = log.size, False
        log.save(update_fields=["signed_size", "checkpoint_due"])
    return checkpoint
