"""The salt of a capture and its commitment (docs/transparency.md), and the index campaign_service
reports back. The salt never leaves this service but to the payment's donor."""

from __future__ import annotations

import hashlib
import secrets

from django.db import IntegrityError, transaction
from django.utils import timezone

from careforall_common.contracts.events import CaptureLogged
from careforall_common.inbox.handlers import RejectEvent
from payments.models import Payment
from transparency.models import CaptureCommitment


def commitment_of(salt: str, payment_id: int) -> str:
    """Lowercase hex SHA-256 of the ASCII text ``<salt hex>:<payment id>``."""
    return hashlib.sha256(f"{salt}:{payment_id}".encode("ascii")).hexdigest()


def capture_commitment_make(payment: Payment) -> str:
    """Make the payment's salt, in the caller's transaction of the capture; return the
    commitment that ``PAYMENT_CAPTURED`` carries. A second call keeps the first salt."""
    existing = CaptureCommitment.objects.filter(pk=payment.pk).first()
    if existing is not None:
        return existing.commitment
    salt = secrets.token_hex(32)
    row = CaptureCommitment.objects.create(
        payment_id=payment.pk,
        salt=salt,
        commitment=commitment_of(salt, payment.pk),
        campaign_id=payment.campaign_id,
    )
    return row.commitment


def capture_commitment_ensure(payment: Payment) -> CaptureCommitment:
    """The captured payment's row, made now for a capture of an earlier release (the log's
    backfill asks for its commitment)."""
    row = CaptureCommitment.objects.filter(pk=payment.pk).first()
    if row is not None:
        return row
    try:
        with transaction.atomic():
            capture_commitment_make(payment)
    except IntegrityError:  # made meanwhile by another caller: theirs stands
        pass
    return CaptureCommitment.objects.get(pk=payment.pk)


def capture_logged(event: CaptureLogged) -> None:
    """Keep the capture's index in its campaign's log (once; a repeat changes nothing)."""
    row = CaptureCommitment.objects.select_for_update().filter(pk=event.payment_id).first()
    if row is None or row.campaign_id != event.campaign_id:
        raise RejectEvent(
            f"payment {event.payment_id} has no capture commitment of campaign {event.campaign_id}"
        )
    if row.index is None:
        row.index, row.logged_at = event.index, timezone.now()
        row.save(update_fields=["index", "logged_at"])
    elif row.index != event.index:
        raise RejectEvent(f"payment {event.payment_id} is logged at {row.index}, not {event.index}")
