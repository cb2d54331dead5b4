"""Events campaign_service consumes: pledge, payment and plan events into the read model (SPEC §4).

The inbox (``careforall_common.inbox``) calls these, as ``EVENT_HANDLERS`` and
``EVENT_BATCH_HANDLER`` name them, inside the transaction that records the event ids; the
projector (``campaigns.projector``) writes the read model.
"""

from __future__ import annotations

from campaigns.projector import Parsed, batch_apply
from careforall_common.contracts.events import (
    EVENT_TYPES,
    ContractError,
    Envelope,
    PaymentRefunded,
    PaymentRefundFailed,
    PaymentReported,
    PlanChanged,
    PledgeCreated,
    PledgeStatusChanged,
)
from careforall_common.inbox.handlers import RejectEvent

PROJECTED = (
    PledgeCreated,
    PledgeStatusChanged,
    PaymentReported,
    PaymentRefunded,
    PaymentRefundFailed,
    PlanChanged,
)


def read_model_event_handle(envelope: Envelope) -> None:
    """One event: a batch of one."""
    rejected = read_model_events_handle([envelope])
    if rejected:
        raise RejectEvent(rejected[envelope.event_id])


def read_model_events_handle(envelopes: list[Envelope]) -> dict[str, str]:
    """Apply ``envelopes`` in the caller's transaction; return ``{event_id: error}`` of rejects.

    An event outside its contract, or of a type not projected here, is rejected: the publisher
    parks it as a dead letter, visible and replayable.
    """
    rejected: dict[str, str] = {}
    events: list[Parsed] = []
    for envelope in envelopes:
        cls = EVENT_TYPES.get(envelope.event_type)
        try:
            if cls is None or not issubclass(cls, PROJECTED):
                raise ContractError(f"{envelope.event_type} is not projected here")
            events.append((envelope, cls.parse(envelope.payload)))
        except ContractError as error:
            rejected[envelope.event_id] = str(error)
    return {**rejected, **batch_apply(events)}
