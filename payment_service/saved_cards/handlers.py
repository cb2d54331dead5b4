"""What saved_cards consumes (docs/recurring.md), named in ``CAREFORALL["EVENT_HANDLERS"]``; each
runs inside the inbox's transaction, which records the event id."""

from __future__ import annotations

from careforall_common.contracts.events import Envelope, InstallmentDue
from saved_cards.services.installments import installment_due_record


def installment_due(envelope: Envelope) -> None:
    installment_due_record(InstallmentDue.parse(envelope.payload))
