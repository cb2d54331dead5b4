"""``POST /internal/events``: signed batches of events, each applied once (SPEC §4)."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from django.db import IntegrityError, transaction
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from careforall_common.inbox.handlers import RejectEvent, handler_for
from careforall_common.inbox.models import ProcessedEvent
from careforall_common.internal import IsSignedInternalCall
from careforall_common.problems import Problem

logger = logging.getLogger(__name__)


class EventIngestApi(APIView):
    """Apply each event of the batch in its own transaction, with its id recorded.

    Answers 200 with one result per event: ``processed``, ``duplicate`` (applied before),
    ``ignored`` (no handler here), ``rejected`` (never applicable) or ``failed`` (retry).
    """

    authentication_classes: list[Any] = []
    permission_classes = [IsSignedInternalCall]

    def post(self, request: Request) -> Response:
        events = request.data.get("events") if isinstance(request.data, dict) else None
        if not isinstance(events, list):
            raise Problem(400, 'Expected {"events": [...]}.')
        return Response({"results": [apply_event(event) for event in events]})


def apply_event(event: Any) -> dict[str, str]:
    """Apply one event exactly once; return its result."""
    event_id = str(event.get("event_id", "")) if isinstance(event, dict) else ""
    try:
        uuid.UUID(event_id)
        if not isinstance(event["payload"], dict):
            raise TypeError("payload")
    except (KeyError, TypeError, ValueError):
        return {"event_id": event_id, "status": "rejected", "error": "not an event envelope"}
    handler = handler_for(str(event.get("event_type", "")))
    if handler is None:
        return {"event_id": event_id, "status": "ignored"}
    try:
        with transaction.atomic():
            try:
                with transaction.atomic():
                    ProcessedEvent.objects.create(
                        event_id=event_id,
                        event_type=event["event_type"],
                        source=str(event.get("source", ""))[:32],
                    )
            except IntegrityError:
                return {"event_id": event_id, "status": "duplicate"}
            handler(event)
    except (RejectEvent, KeyError, TypeError, ValueError) as error:
        logger.error("event %s rejected: %s", event_id, error)
        return {"event_id": event_id, "status": "rejected", "error": str(error)}
    except Exception as error:
        logger.exception("event %s failed", event_id)
        return {"event_id": event_id, "status": "failed", "error": error.__class__.__name__}
    return {"event_id": event_id, "status": "processed"}
