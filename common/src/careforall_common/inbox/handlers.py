"""The event handlers of a service, named in ``CAREFORALL["EVENT_HANDLERS"]``.

A handler takes the ``Envelope`` of one event and parses its payload with the event's contract
(``careforall_common.contracts.events``); it runs inside the transaction that records the event
id. A
service may also name an ``EVENT_BATCH_HANDLER``: it takes a list of envelopes, applies them all
in the caller's transaction and returns ``{event_id: error}`` for those it rejects.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from django.utils.module_loading import import_string

from careforall_common.conf import careforall_settings
from careforall_common.contracts.events import Envelope

Handler = Callable[[Envelope], None]
BatchHandler = Callable[[list[Envelope]], dict[str, str]]


class RejectEvent(Exception):
    """Raised by a handler for an event it can never apply: it is parked, not retried."""


@cache
def handler_for(event_type: str) -> Handler | None:
    path = careforall_settings.EVENT_HANDLERS.get(event_type)
    return import_string(path) if path else None


@cache
def batch_handler() -> BatchHandler | None:
    path = careforall_settings.EVENT_BATCH_HANDLER
    return import_string(path) if path else None
