"""The platform's event contracts (SPEC §4): one typed definition of the envelope and of each event.

Producers build an event and publish it (``outbox_publish``); consumers and reconciliation parse
what arrives with the same class. ``parse`` checks every field and raises ``ContractError`` for
anything that breaks the contract: a consumer rejects such an event (the publisher parks it as a
dead letter) instead of retrying it forever. ``to_payload`` is the inverse of ``parse``.

Contracts only grow: a field is added as optional, and an event that changes its meaning gets a
new ``event_version``, so a consumer that runs an older release keeps accepting what it knows.
"""

from careforall_common.contracts.events.base import (
    MAX_CARD_BRAND_LENGTH,
    MAX_DONOR_NAME_LENGTH,
    MAX_ERROR_LENGTH,
    PLEDGE_STATUSES,
    ContractError,
    Envelope,
    Event,
    timestamp_parse,
)
from careforall_common.contracts.events.payments import (
    CaptureLogged,
    PaymentAuthorized,
    PaymentCaptured,
    PaymentFailed,
    PaymentRefunded,
    PaymentRefundFailed,
    PaymentReported,
    RefundReported,
)
from careforall_common.contracts.events.plans import (
    PLAN_INTERVALS,
    PLAN_STATUSES,
    InstallmentDue,
    PlanCardChanged,
    PlanChanged,
)
from careforall_common.contracts.events.pledges import (
    CampaignChanged,
    PledgeCreated,
    PledgeStatusChanged,
)

__all__ = [
    "EVENT_TYPES",
    "MAX_CARD_BRAND_LENGTH",
    "MAX_DONOR_NAME_LENGTH",
    "MAX_ERROR_LENGTH",
    "PLAN_INTERVALS",
    "PLAN_STATUSES",
    "PLEDGE_STATUSES",
    "CampaignChanged",
    "CaptureLogged",
    "ContractError",
    "Envelope",
    "Event",
    "InstallmentDue",
    "PaymentAuthorized",
    "PaymentCaptured",
    "PaymentFailed",
    "PaymentRefundFailed",
    "PaymentRefunded",
    "PaymentReported",
    "PlanCardChanged",
    "PlanChanged",
    "PledgeCreated",
    "PledgeStatusChanged",
    "RefundReported",
    "event_parse",
    "timestamp_parse",
]

EVENT_TYPES: dict[str, type[Event]] = {
    cls.EVENT_TYPE: cls
    for cls in (
        PledgeCreated,
        PledgeStatusChanged,
        PaymentAuthorized,
        PaymentCaptured,
        PaymentFailed,
        PaymentRefunded,
        PaymentRefundFailed,
        CampaignChanged,
        PlanChanged,
        InstallmentDue,
        PlanCardChanged,
        CaptureLogged,
    )
}


def event_parse(envelope: Envelope) -> Event:
    """Return the typed event of ``envelope``; ``ContractError`` for an unknown type or payload."""
    cls = EVENT_TYPES.get(envelope.event_type)
    if cls is None:
        raise ContractError(f"{envelope.event_type} is not an event type of the platform")
    return cls.parse(envelope.payload)
