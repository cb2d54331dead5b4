"""The event handlers of a service, named in ``CAREFORALL["EVENT_HANDLERS"]``."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from django.utils.module_loading import import_string

from careforall_common.conf import careforall_settings

Handler = Callable[[dict[str, Any]], None]


class RejectEvent(Exception):
    """Raised by a handler for an event it can never apply: it is parked, not retried."""


@cache
def handler_for(event_type: str) -> Handler | None:
    path = careforall_settings.EVENT_HANDLERS.get(event_type)
    return import_string(path) if path else None
