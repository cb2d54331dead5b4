"""What the transparency app consumes, named in ``CAREFORALL["EVENT_HANDLERS"]``; each runs
inside the inbox's transaction, which records the event id."""

from __future__ import annotations

from careforall_common.contracts.events import CaptureLogged, ContractError, Envelope
from careforall_common.inbox.handlers import RejectEvent
from transparency.services import capture_logged


def capture_logged_handle(envelope: Envelope) -> None:
    try:
        event = CaptureLogged.parse(envelope.payload)
    except ContractError as error:
        raise RejectEvent(str(error)) from None
    capture_logged(event)
